"""Project contracts: OpenAPI describes real objects, own parties follow settings, structured logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.test import override_settings

from ocpi.core import context
from ocpi.core.logging import ContextFilter
from ocpi.locations.models import EVSE, Location
from ocpi.models import Party
from ocpi.services import own_parties_sync
from ocpi.tariffs.models import Tariff
from ocpi.tokens.models import Token

pytestmark = pytest.mark.django_db


def test_openapi_schema_generates_without_warnings_and_describes_real_objects():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    schema = json.loads(out.getvalue())
    assert "/ocpi/2.2.1/credentials" in schema["paths"]
    post = schema["paths"]["/ocpi/2.2.1/credentials"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith(("/Credentials", "/CredentialsRequest"))
    component = schema["components"]["schemas"]["Credentials"]
    assert set(component["required"]) == {"token", "url", "roles"}
    assert component["properties"]["token"]["maxLength"] == 64
    assert "OcpiToken" in schema["components"]["securitySchemes"]


def test_swagger_ui_is_served(client):
    assert client.get("/api/docs/").status_code == 200


@override_settings(
    OCPI_COUNTRY_CODE="BE", OCPI_PARTY_ID="XYZ", OCPI_ROLES=["CPO", "HUB"], OCPI_BUSINESS_NAME="B"
)
def test_own_parties_follow_settings_and_are_updated_not_duplicated():
    own_parties_sync()
    own_parties_sync()
    rows = set(Party.objects.own().filter(country_code="BE").values_list("party_id", "role", "business_name"))
    assert rows == {("XYZ", "CPO", "B"), ("XYZ", "HUB", "B")}


def test_migrate_created_the_default_own_parties():
    assert set(Party.objects.own().values_list("country_code", "party_id", "role")) >= {
        ("NL", "OCP", "CPO"),
        ("NL", "OCP", "EMSP"),
    }


def test_log_records_carry_request_id_partner_and_module():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with context.bind(request_id="r1", correlation_id="c1", partner="acme", module="locations"):
        ContextFilter().filter(record)
    assert (record.request_id, record.partner, record.ocpi_module) == ("r1", "acme", "locations")


def test_ocpi_demo_is_idempotent_and_prints_a_token_a():
    first, second = io.StringIO(), io.StringIO()
    call_command("ocpi_demo", stdout=first)
    call_command("ocpi_demo", stdout=second)
    assert "Token A:" in second.getvalue()
    assert "/ocpi/versions" in second.getvalue()
    assert Party.objects.own().count() == 2
    assert Location.objects.filter(party__platform__isnull=True).count() == 3
    assert EVSE.objects.count() == 6
    assert Tariff.objects.count() == 1
    assert Token.objects.filter(party__role="EMSP", party__platform__isnull=True).count() == 2


def test_admin_404_and_403_keep_their_status(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/ocpi/platform/999999/change/").status_code in (302, 403, 404)
    assert client.get("/admin/ocpi/platform/add/").status_code == 403
