"""cdr_create / cdr_to_json (§10.2.2.2 POST): round trip through the database, idempotency, checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ocpi.cdrs import services
from ocpi.cdrs.models import Cdr
from ocpi.cdrs.schemas import CDR
from ocpi.cdrs.services import cdr_create, cdr_to_json
from ocpi.core.exceptions import InvalidParameters
from ocpi.models import Party
from tests.conftest import example
from tests.ocpi.cdrs.test_schemas import _full

pytestmark = pytest.mark.django_db


@pytest.fixture
def bec() -> Party:
    return Party.objects.create(country_code="BE", party_id="BEC", role="CPO", business_name="BEC")


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.mark.parametrize("data", [example("cdr_example.json"), _full()], ids=["spec-example", "every-field"])
def test_create_then_to_json_equals_the_input(bec, data):
    cdr, created = cdr_create(party=bec, data=data)
    assert created
    stored = Cdr.objects.get(pk=cdr.pk)
    assert cdr_to_json(stored) == data
    assert CDR.model_validate(cdr_to_json(stored)).to_json() == data


def test_columns_hold_totals_token_and_location(bec):
    cdr, _ = cdr_create(party=bec, data=_full())
    cdr = Cdr.objects.get(pk=cdr.pk)
    assert cdr.total_cost_excl_vat == Decimal("4.00")
    assert cdr.total_cost_incl_vat == Decimal("4.40")
    assert cdr.total_energy == Decimal("15.342")
    assert cdr.total_time == Decimal("1.973")
    assert cdr.total_parking_time == Decimal("0.25")
    assert cdr.total_energy_cost_excl_vat == 0
    assert cdr.total_energy_cost_incl_vat is None
    assert (cdr.token_country_code, cdr.token_party_id, cdr.token_uid) == ("DE", "TNM", "012345678")
    assert (cdr.location_id, cdr.evse_uid, cdr.connector_id) == ("LOC1", "3256", "1")
    assert cdr.session_id == "101"


def test_second_post_of_the_same_cdr_creates_nothing(bec):
    data = example("cdr_example.json")
    first, created = cdr_create(party=bec, data=data)
    assert created
    with CaptureQueriesContext(connection) as queries:
        again, created = cdr_create(party=bec, data=data)
    assert not created
    assert again.pk == first.pk
    assert _writes(queries) == []
    assert Cdr.objects.count() == 1


def test_changed_content_under_a_known_id_keeps_the_first_cdr(bec, caplog):
    data = example("cdr_example.json")
    cdr_create(party=bec, data=data)
    changed = {**data, "id": "12345", "total_cost": {"excl_vat": 99}, "last_updated": "2016-01-01T00:00:00Z"}
    stored, created = cdr_create(party=bec, data=changed)
    assert not created
    assert cdr_to_json(Cdr.objects.get(pk=stored.pk)) == data
    assert "posted again with other content" in caplog.text


def test_cdr_id_is_case_insensitive(bec):
    data = {**example("cdr_example.json"), "id": "abc"}
    cdr_create(party=bec, data=data)
    _, created = cdr_create(party=bec, data={**data, "id": "ABC"})
    assert not created
    assert Cdr.objects.count() == 1


def test_same_id_from_another_cpo_is_another_cdr(bec):
    other = Party.objects.create(country_code="BE", party_id="OTH", role="CPO", business_name="OTH")
    data = example("cdr_example.json")
    cdr_create(party=bec, data=data)
    _, created = cdr_create(party=other, data={**data, "party_id": "OTH"})
    assert created
    assert Cdr.objects.count() == 2


def test_credit_cdr_is_a_new_cdr(bec):
    data = example("cdr_example.json")
    cdr_create(party=bec, data=data)
    credit = {
        **data,
        "id": "12345-C",
        "credit": True,
        "credit_reference_id": "12345",
        "total_cost": {"excl_vat": -4.0, "incl_vat": -4.4},
    }
    cdr, created = cdr_create(party=bec, data=credit)
    assert created
    assert cdr.credit is True
    assert cdr_to_json(Cdr.objects.get(pk=cdr.pk)) == credit


def test_create_refuses_a_cdr_of_another_party(bec):
    with pytest.raises(InvalidParameters) as exc:
        cdr_create(party=bec, data={**example("cdr_example.json"), "party_id": "XXX"})
    assert exc.value.data["errors"][0]["field"] == "party_id"
    assert not Cdr.objects.exists()


def test_create_validation_error_names_the_field(bec):
    data = example("cdr_example.json")
    data["charging_periods"][0]["dimensions"][0]["type"] = "POWER"
    with pytest.raises(InvalidParameters) as exc:
        cdr_create(party=bec, data=data)
    assert [e["field"] for e in exc.value.data["errors"]] == ["charging_periods[0].dimensions[0].type"]


def test_there_is_no_update_service():
    writes = ("update", "patch", "put", "replace", "delete")
    assert not [name for name in dir(services) if name.startswith("cdr") and any(w in name for w in writes)]
