"""URL helper: OCPI paths match with or without a trailing slash (partners differ)."""

from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, path


def ocpi_path(route: str, view: Any) -> list[URLPattern]:
    """`ocpi_path("locations/<country_code>/<party_id>/<location_id>", View)`; `/` at the end is accepted too.

    The slash variant is left out of the OpenAPI document (ocpi.core.openapi.drop_slash_variants).
    """
    route = re.sub(r"<(\w+)>", r"<str:\1>", route.strip("/"))
    return [path(route, view), path(f"{route}/", view)]
