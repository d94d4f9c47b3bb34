"""session_put / session_patch / session_to_json (§9.2.2.2 PUT, §9.2.2.3 PATCH) through the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ocpi.core.exceptions import InvalidParameters
from ocpi.core.patch import validate_patch
from ocpi.models import Party
from ocpi.sessions import schemas
from ocpi.sessions.models import Session, SessionChargingPeriod
from ocpi.sessions.services import session_patch, session_put, session_to_json
from tests.conftest import example

pytestmark = pytest.mark.django_db

EXAMPLES = ["session_example_1_simple_start.json", "session_example_2_short_finished.json"]


def _cpo(country_code: str, party_id: str) -> Party:
    party, _ = Party.objects.get_or_create(
        country_code=country_code, party_id=party_id, role="CPO", defaults={"business_name": party_id}
    )
    return party


def _finished() -> tuple[Session, dict]:
    data = example("session_example_2_short_finished.json")
    session, _ = session_put(party=_cpo("BE", "BEC"), data=data)
    return session, data


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.mark.parametrize(
    "name", ["session_patch_example_charging_period.json", "session_patch_example_total_cost.json"]
)
def test_patch_examples_validate(name):
    fields = validate_patch(schemas.Session, example(name))
    assert set(fields) == set(example(name))


@pytest.mark.parametrize("name", EXAMPLES)
def test_put_then_to_json_equals_the_example(name):
    data = example(name)
    session, created = session_put(
        party=_cpo(data["country_code"], data["party_id"]), data=data, session_id="101"
    )
    assert created
    session = Session.objects.get(pk=session.pk)
    assert session_to_json(session) == data
    assert schemas.Session.model_validate(session_to_json(session)).to_json() == data


def test_columns_hold_exact_decimals_and_the_token_emsp():
    session, _ = _finished()
    session = Session.objects.get(pk=session.pk)
    assert session.kwh == Decimal("41.12")
    assert session.total_cost_excl_vat == Decimal("8.50")
    assert session.total_cost_incl_vat == Decimal("9.35")
    assert (session.token_country_code, session.token_party_id, session.token_uid) == ("NL", "TST", "123abc")
    assert session.charging_periods.count() == 3


def test_numbers_beyond_the_stored_precision_round_half_up():
    data = {**example("session_example_1_simple_start.json"), "kwh": Decimal("0.58333333333333337")}
    session, _ = session_put(party=_cpo("NL", "STK"), data=data)
    assert Session.objects.get(pk=session.pk).kwh == Decimal("0.5833333333")


def test_number_out_of_range_names_the_field():
    data = {**example("session_example_1_simple_start.json"), "total_cost": {"excl_vat": Decimal("1e20")}}
    with pytest.raises(InvalidParameters) as exc:
        session_put(party=_cpo("NL", "STK"), data=data)
    assert "total_cost.excl_vat" in exc.value.message


def test_put_replaces_every_field_and_the_charging_periods():
    session, data = _finished()
    replacement = {**data, "kwh": 50, "status": "INVALID", "last_updated": "2015-06-30T00:00:00Z"}
    replacement["charging_periods"] = data["charging_periods"][:1]
    stored, created = session_put(party=_cpo("BE", "BEC"), data=replacement)
    assert not created
    assert stored.pk == session.pk
    assert session_to_json(Session.objects.get(pk=session.pk)) == replacement


@pytest.mark.parametrize("periods", [None, []])
def test_put_without_charging_periods_removes_them(periods):
    session, data = _finished()
    replacement = {**data, "last_updated": "2015-06-30T00:00:00Z"}
    if periods is None:
        del replacement["charging_periods"]
    else:
        replacement["charging_periods"] = periods
    session_put(party=_cpo("BE", "BEC"), data=replacement)
    result = session_to_json(Session.objects.get(pk=session.pk))
    assert "charging_periods" not in result
    assert result["last_updated"] == "2015-06-30T00:00:00Z"
    assert not SessionChargingPeriod.objects.exists()


def test_put_without_change_writes_nothing():
    session, data = _finished()
    with CaptureQueriesContext(connection) as queries:
        _, created = session_put(
            party=_cpo("BE", "BEC"), data={**data, "last_updated": "2030-01-01T00:00:00Z"}
        )
    assert not created
    assert _writes(queries) == []
    assert session_to_json(Session.objects.get(pk=session.pk)) == data


def test_put_changing_only_a_charging_period_takes_the_new_last_updated():
    session, data = _finished()
    changed = {**data, "last_updated": "2015-06-30T00:00:00Z"}
    changed["charging_periods"] = [
        *data["charging_periods"][:2],
        {**data["charging_periods"][2], "tariff_id": "13"},
    ]
    session_put(party=_cpo("BE", "BEC"), data=changed)
    assert session_to_json(Session.objects.get(pk=session.pk)) == changed


@pytest.mark.parametrize(
    ("kwargs", "data_changes", "field"),
    [
        ({"session_id": "102"}, {}, "id"),
        ({}, {"party_id": "XXX"}, "party_id"),
        ({}, {"country_code": "NL"}, "country_code"),
    ],
)
def test_put_refuses_key_mismatch(kwargs, data_changes, field):
    data = {**example("session_example_2_short_finished.json"), **data_changes}
    with pytest.raises(InvalidParameters) as exc:
        session_put(party=_cpo("BE", "BEC"), data=data, **kwargs)
    assert exc.value.data["errors"][0]["field"] == field
    assert not Session.objects.exists()


def test_put_validation_error_names_the_field():
    data = {**example("session_example_2_short_finished.json"), "status": "CHARGING"}
    with pytest.raises(InvalidParameters) as exc:
        session_put(party=_cpo("BE", "BEC"), data=data)
    assert [e["field"] for e in exc.value.data["errors"]] == ["status"]


def test_patch_appends_charging_periods_and_replaces_other_fields():
    session, data = _finished()
    patch = example("session_patch_example_charging_period.json")
    session_patch(session=session, patch=patch)
    result = session_to_json(Session.objects.get(pk=session.pk))
    assert result["charging_periods"] == [*data["charging_periods"], *patch["charging_periods"]]
    assert result["kwh"] == 15
    assert result["total_cost"] == {"excl_vat": 0.8, "incl_vat": 0.88}
    assert result["last_updated"] == "2019-06-23T08:16:02Z"
    assert list(SessionChargingPeriod.objects.order_by("position").values_list("position", flat=True)) == [
        0,
        1,
        2,
        3,
    ]


def test_patch_appends_to_a_session_without_periods():
    data = example("session_example_1_simple_start.json")
    session, _ = session_put(party=_cpo("NL", "STK"), data=data)
    first = {"start_date_time": "2020-03-09T10:17:09Z", "dimensions": [{"type": "ENERGY", "volume": 1.5}]}
    second = {
        "start_date_time": "2020-03-09T10:32:09Z",
        "dimensions": [{"type": "STATE_OF_CHARGE", "volume": 40}],
    }
    session_patch(
        session=session, patch={"charging_periods": [first], "last_updated": "2020-03-09T10:32:00Z"}
    )
    session_patch(
        session=session, patch={"charging_periods": [second], "last_updated": "2020-03-09T10:47:00Z"}
    )
    assert session_to_json(Session.objects.get(pk=session.pk))["charging_periods"] == [first, second]


def test_patch_total_cost_example_keeps_periods():
    session, data = _finished()
    patch = example("session_patch_example_total_cost.json")
    session_patch(session=session, patch=patch)
    assert session_to_json(Session.objects.get(pk=session.pk)) == {**data, **patch}


@pytest.mark.parametrize("periods", [[], None])
def test_patch_with_empty_or_null_periods_changes_no_period(periods):
    session, data = _finished()
    session_patch(
        session=session, patch={"charging_periods": periods, "last_updated": "2015-06-30T00:00:00Z"}
    )
    assert session_to_json(Session.objects.get(pk=session.pk)) == data


def test_retried_patch_does_not_append_twice():
    session, _ = _finished()
    patch = example("session_patch_example_charging_period.json")
    session_patch(session=session, patch=patch)
    with CaptureQueriesContext(connection) as queries:
        session_patch(session=session, patch=patch)
    assert _writes(queries) == []
    assert SessionChargingPeriod.objects.count() == 4


def test_patch_periods_are_validated_with_their_path():
    session, _ = _finished()
    bad = {"start_date_time": "2019-06-23T08:16:02Z", "dimensions": [{"type": "ENERGY", "volume": "lots"}]}
    with pytest.raises(InvalidParameters) as exc:
        session_patch(
            session=session, patch={"charging_periods": [bad], "last_updated": "2019-06-23T08:16:02Z"}
        )
    assert [e["field"] for e in exc.value.data["errors"]] == ["charging_periods[0].dimensions[0].volume"]
    assert SessionChargingPeriod.objects.count() == 3


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"status": "COMPLETED"}, "last_updated"),
        ({"id": "999", "last_updated": "2019-06-23T08:16:02Z"}, "id"),
        ({"kwh": None, "last_updated": "2019-06-23T08:16:02Z"}, "kwh"),
        ({"status": "DONE", "last_updated": "2019-06-23T08:16:02Z"}, "status"),
        ({"cdr_token": {"uid": "x"}, "last_updated": "2019-06-23T08:16:02Z"}, "cdr_token.country_code"),
    ],
)
def test_patch_errors_name_the_field(patch, field):
    session, data = _finished()
    with pytest.raises(InvalidParameters) as exc:
        session_patch(session=session, patch=patch)
    assert exc.value.data["errors"][0]["field"] == field
    assert session_to_json(Session.objects.get(pk=session.pk)) == data


def test_patch_clears_an_optional_field():
    session, _ = _finished()
    session_patch(
        session=session,
        patch={"end_date_time": None, "status": "ACTIVE", "last_updated": "2015-06-30T00:00:00Z"},
    )
    result = session_to_json(Session.objects.get(pk=session.pk))
    assert "end_date_time" not in result
    assert result["status"] == "ACTIVE"


def test_patch_cdr_token_moves_the_session_to_another_emsp():
    session, data = _finished()
    token = {**data["cdr_token"], "party_id": "OTH"}
    session_patch(session=session, patch={"cdr_token": token, "last_updated": "2015-06-30T00:00:00Z"})
    session = Session.objects.get(pk=session.pk)
    assert session.token_party_id == "OTH"
    assert session_to_json(session)["cdr_token"] == token
