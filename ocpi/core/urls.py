"""URL helper: OCPI paths match with or without a trailing slash (partners differ)."""

from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, re_path

_PARAM = re.compile(r"<(\w+)>")


def ocpi_path(route: str, view: Any) -> URLPattern:
    """`ocpi_path("locations/<country_code>/<party_id>/<location_id>", View)`: each <param> is one segment."""
    pattern = _PARAM.sub(lambda m: rf"(?P<{m.group(1)}>[^/]+)", route.strip("/"))
    return re_path(rf"^{pattern}/?$", view)
