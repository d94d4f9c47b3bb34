"""Tariffs (§11): wire schema round-trips, validation naming the field, database round-trips, PUT
semantics, DELETE and the own-tariffs selector."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from ocpi.core.exceptions import InvalidParameters, UnknownObject, validation_error
from ocpi.core.parsers import loads
from ocpi.tariffs import schemas, selectors, services
from ocpi.tariffs.models import Tariff
from tests.conftest import EXAMPLES, example

# Full Tariff objects: the tariff_N examples and the two TariffRestrictions examples of §11.4.6
# (which are whole tariffs showing a restriction). tariff_put_example.json lacks last_updated.
TARIFF_EXAMPLES = sorted(
    p.name for p in Path(EXAMPLES).glob("tariff*.json") if p.name != "tariff_put_example.json"
)


def test_examples_are_found():
    assert len(TARIFF_EXAMPLES) == 19
    assert "tariffrestriction_example_max_power.json" in TARIFF_EXAMPLES


def invalid(data) -> set[str]:
    with pytest.raises(ValidationError) as info:
        schemas.Tariff.model_validate(data)
    return {p["field"] for p in validation_error(info.value).data["errors"]}


@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_examples_round_trip(name):
    data = example(name)
    assert schemas.Tariff.model_validate(data).to_json() == data


@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_examples_parsed_as_the_views_parse_them_keep_exact_decimals(name):
    raw = (Path(EXAMPLES) / name).read_bytes()
    tariff = schemas.Tariff.model_validate(loads(raw))
    for element in tariff.elements:
        for component in element.price_components:
            assert isinstance(component.price, Decimal)
    assert tariff.to_json() == example(name)


def test_put_example_without_last_updated_is_refused():
    """§11.3.1 last_updated has cardinality 1; the spec's PUT example leaves it out."""
    assert invalid(example("tariff_put_example.json")) == {"last_updated"}


def test_restriction_examples_parse_their_restrictions():
    power = schemas.Tariff.model_validate(example("tariffrestriction_example_max_power.json"))
    assert [e.restrictions.max_power if e.restrictions else None for e in power.elements] == [
        Decimal("16.0"),
        Decimal("32.0"),
        None,
    ]
    duration = schemas.Tariff.model_validate(example("tariffrestriction_example_max_duration.json"))
    assert [e.restrictions.max_duration if e.restrictions else None for e in duration.elements] == [
        1800,
        3600,
        None,
    ]


@pytest.fixture
def complex_tariff():
    return copy.deepcopy(example("tariff_4_complex.json"))


def test_validation_names_the_fields(complex_tariff):
    complex_tariff["elements"][1]["price_components"][0]["type"] = "DISTANCE"  # unknown enum
    complex_tariff["elements"][4]["restrictions"]["start_time"] = "9:00"  # pattern
    complex_tariff["elements"][2]["restrictions"]["day_of_week"] = ["MONDAY", "FUNDAY"]
    complex_tariff["elements"][0]["price_components"][0]["step_size"] = 1.5  # int
    complex_tariff["currency"] = "EURO"  # string(3)
    complex_tariff["min_price"] = {"incl_vat": 1}  # Price.excl_vat required
    del complex_tariff["last_updated"]
    assert invalid(complex_tariff) == {
        "elements[1].price_components[0].type",
        "elements[4].restrictions.start_time",
        "elements[2].restrictions.day_of_week[1]",
        "elements[0].price_components[0].step_size",
        "currency",
        "min_price.excl_vat",
        "last_updated",
    }


def test_elements_and_price_components_need_one_entry(complex_tariff):
    complex_tariff["elements"][0]["price_components"] = []
    assert invalid(complex_tariff) == {"elements[0].price_components"}
    complex_tariff["elements"] = []
    assert invalid(complex_tariff) == {"elements"}


@pytest.mark.parametrize("date", ["2015-13-01", "15-12-24", "2015-12-32"])
def test_restriction_dates_follow_the_regex(complex_tariff, date):
    complex_tariff["elements"][0]["restrictions"] = {"start_date": date}
    assert invalid(complex_tariff) == {"elements[0].restrictions.start_date"}


def test_reservation_elements_only_price_flat_and_time():
    data = example("tariff_15_reservation_5_euro_per_hour.json")
    data["elements"][0]["price_components"].append({"type": "ENERGY", "price": 0.1, "step_size": 1})
    assert invalid(data) == {"elements[0]"}


# --- database -------------------------------------------------------------------------------------

pytestdb = pytest.mark.django_db


def put(party, data):
    return services.tariff_put(party=party, data=schemas.Tariff.model_validate(data))


@pytestdb
@pytest.mark.parametrize("owner", ["own", "partner"])
@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_examples_round_trip_through_the_database(name, owner, own_party, partner_party):
    data = example(name)
    party = (own_party if owner == "own" else partner_party)(data["country_code"], data["party_id"])
    tariff, created = put(party, data)
    assert created
    assert services.tariff_to_json(tariff) == data
    fresh = selectors.tariff_get(country_code="de", party_id="all", tariff_id=data["id"])
    assert services.tariff_to_json(fresh) == data
    assert services.tariff_to_schema(fresh).to_json() == data


@pytestdb
def test_prices_are_decimal_columns(own_party):
    put(own_party("DE", "ALL"), example("tariff_12_025kwh_min_price.json"))
    tariff = Tariff.objects.get()
    assert tariff.min_price_excl_vat == Decimal("0.50")
    assert tariff.min_price_incl_vat == Decimal("0.55")
    assert tariff.max_price_excl_vat is None


@pytestdb
def test_put_replaces(partner_party):
    party = partner_party("DE", "ALL")
    put(party, example("tariff_8_simple_025kwh.json"))
    replacement = example("tariff_6_025kwh_start_max_price.json")  # same id "16"
    tariff, created = put(party, replacement)
    assert not created
    assert Tariff.objects.count() == 1
    assert services.tariff_to_json(tariff) == replacement


@pytestdb
def test_own_put_without_change_keeps_last_updated(own_party):
    party = own_party("DE", "ALL")
    data = example("tariff_4_complex.json")
    put(party, data)
    again = copy.deepcopy(data)
    again["last_updated"] = "2020-01-01T00:00:00Z"
    tariff, _ = put(party, again)
    assert services.tariff_to_json(tariff)["last_updated"] == data["last_updated"]
    again["elements"][0]["price_components"][0]["price"] = 3.0
    tariff, _ = put(party, again)
    assert services.tariff_to_json(tariff)["last_updated"] == "2020-01-01T00:00:00Z"


@pytestdb
def test_partner_put_stores_its_last_updated(partner_party):
    party = partner_party("DE", "ALL")
    data = example("tariff_4_complex.json")
    put(party, data)
    data["last_updated"] = "2020-01-01T00:00:00Z"
    tariff, _ = put(party, data)
    assert tariff.last_updated == datetime(2020, 1, 1, tzinfo=UTC)


@pytestdb
def test_put_refuses_another_partys_tariff(partner_party):
    with pytest.raises(InvalidParameters):
        put(partner_party("NL", "TNM"), example("tariff_1_simple_2hour.json"))


@pytestdb
def test_price_too_large_for_the_column_is_a_client_error(own_party):
    data = example("tariff_12_025kwh_min_price.json")
    data["min_price"]["incl_vat"] = 10**13
    with pytest.raises(InvalidParameters, match=r"min_price\.incl_vat"):
        put(own_party("DE", "ALL"), data)


@pytestdb
def test_path_check():
    data = schemas.Tariff.model_validate(example("tariff_1_simple_2hour.json"))
    services.tariff_check_path(data=data, country_code="DE", party_id="ALL", tariff_id="12")
    with pytest.raises(InvalidParameters):
        services.tariff_check_path(data=data, country_code="DE", party_id="ALL", tariff_id="13")


@pytestdb
def test_delete(partner_party):
    put(partner_party("DE", "ALL"), example("tariff_1_simple_2hour.json"))
    services.tariff_delete(tariff=selectors.tariff_get(country_code="DE", party_id="ALL", tariff_id="12"))
    with pytest.raises(UnknownObject):
        selectors.tariff_get(country_code="DE", party_id="ALL", tariff_id="12")


@pytestdb
def test_own_tariffs_selector_lists_only_ours_in_last_updated_order(own_party, partner_party):
    own = own_party("DE", "ALL")
    for n, name in enumerate(
        ["tariff_1_simple_2hour.json", "tariff_3_alt_url.json", "tariff_5_free_of_charge.json"]
    ):
        data = example(name)
        data["last_updated"] = (datetime(2020, 1, 1, tzinfo=UTC) - timedelta(days=n)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        put(own, data)
    put(
        partner_party("NL", "TNM"),
        {**example("tariff_1_simple_2hour.json"), "country_code": "NL", "party_id": "TNM"},
    )
    assert [t.ocpi_id for t in selectors.tariffs_of_own_parties()] == ["15", "13", "12"]
