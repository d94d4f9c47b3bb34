"""Admin for locations and tariffs: pages work, edits stay valid OCPI and move last_updated."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from ocpi.locations import schemas, selectors, services
from ocpi.locations.models import EVSE, Location
from ocpi.tariffs import schemas as tariff_schemas
from ocpi.tariffs import services as tariff_services
from ocpi.tariffs.models import Tariff
from tests.conftest import example

pytestmark = pytest.mark.django_db

T0 = datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)


@pytest.fixture
def own_location(own_party):
    location, _ = services.location_put(
        party=own_party("BE", "BEC"), data=schemas.Location.model_validate(example("location_example.json"))
    )
    return location


def form_data(response) -> dict[str, str]:
    """The admin change form's current values, ready to post back (inline management forms included)."""
    data: dict[str, str] = {}
    for form in [
        response.context["adminform"].form,
        *[f for fs in response.context["inline_admin_formsets"] for f in fs.formset.forms],
    ]:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, list | dict):
                value = json.dumps(value)
            data[form.add_prefix(name)] = (
                str(value) if not isinstance(value, bool) else ("on" if value else "")
            )
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
    return {k: v for k, v in data.items() if v != ""}


def test_changelists_and_searches_render(admin_client, own_location):
    tariff_services.tariff_put(
        party=own_location.party,
        data=tariff_schemas.Tariff.model_validate(
            {**example("tariff_4_complex.json"), "country_code": "BE", "party_id": "BEC"}
        ),
    )
    for url in [
        reverse("admin:ocpi_locations_location_changelist") + "?q=Gent",
        reverse("admin:ocpi_locations_location_changelist") + "?evses__status__exact=RESERVED",
        reverse("admin:ocpi_locations_evse_changelist") + "?status__exact=AVAILABLE",
        reverse("admin:ocpi_tariffs_tariff_changelist") + "?q=14",
        reverse("admin:ocpi_locations_location_add"),
        reverse("admin:ocpi_locations_evse_add"),
        reverse("admin:ocpi_tariffs_tariff_add"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    response = admin_client.get(reverse("admin:ocpi_locations_location_changelist") + "?q=Gent")
    assert "LOC1" in response.content.decode()


def test_tariff_elements_are_readable(admin_client, own_party):
    tariff, _ = tariff_services.tariff_put(
        party=own_party("DE", "ALL"),
        data=tariff_schemas.Tariff.model_validate(example("tariff_4_complex.json")),
    )
    page = admin_client.get(reverse("admin:ocpi_tariffs_tariff_change", args=[tariff.pk])).content.decode()
    assert "<th>dimension</th>" in page
    assert "day_of_week=SATURDAY,SUNDAY" in page
    assert "1.25 EUR per hour charging" in page


def test_editing_a_location_in_admin_validates_and_bumps_last_updated(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    data = form_data(admin_client.get(url))
    data["latitude"] = "51.04"  # not the GeoLocation pattern
    data["facilities"] = '["SAUNA"]'  # unknown Facility
    response = admin_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"latitude", "facilities"}
    assert Location.objects.get().last_updated == T0

    data["latitude"] = "51.047600"
    data["facilities"] = '["CAFE"]'
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    location = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    assert location.facilities == ["CAFE"]
    assert location.last_updated > T0
    schemas.Location.model_validate(services.location_to_json(location))


def test_saving_an_unchanged_location_keeps_last_updated(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    response = admin_client.post(url, form_data(admin_client.get(url)))
    assert response.status_code == 302
    assert Location.objects.get().last_updated == T0
    assert set(EVSE.objects.values_list("last_updated", flat=True)) == {
        T0,
        datetime(2015, 6, 28, 8, 12, 1, tzinfo=UTC),
    }


def test_evse_status_change_in_the_inline_bumps_evse_and_location(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    data = form_data(admin_client.get(url))
    data["evses-1-status"] = "OUTOFORDER"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    evse = EVSE.objects.get(uid="3257")
    assert evse.status == "OUTOFORDER"
    assert evse.last_updated > T0
    assert Location.objects.get().last_updated == evse.last_updated
    assert EVSE.objects.get(uid="3256").last_updated == datetime(2015, 6, 28, 8, 12, 1, tzinfo=UTC)


def test_partner_copies_are_read_only(admin_client, partner_party):
    location, _ = services.location_put(
        party=partner_party("BE", "BEC"),
        data=schemas.Location.model_validate(example("location_example.json")),
    )
    url = reverse("admin:ocpi_locations_location_change", args=[location.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    admin_client.post(url, {"name": "Hijacked"})
    assert Location.objects.get().name == "Gent Zuid"


def test_tariff_admin_refuses_an_invalid_element(admin_client, own_party):
    tariff, _ = tariff_services.tariff_put(
        party=own_party("DE", "ALL"),
        data=tariff_schemas.Tariff.model_validate(example("tariff_1_simple_2hour.json")),
    )
    url = reverse("admin:ocpi_tariffs_tariff_change", args=[tariff.pk])
    data = form_data(admin_client.get(url))
    data["elements"] = json.dumps([{"price_components": [{"type": "TIME", "price": 2, "step_size": "60"}]}])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "elements" in response.context["adminform"].form.errors
    assert Tariff.objects.get().elements == example("tariff_1_simple_2hour.json")["elements"]


def test_connector_change_on_the_evse_page_bumps_its_branch(admin_client, own_location):
    evse = EVSE.objects.get(uid="3256")
    url = reverse("admin:ocpi_locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data["connectors-0-max_amperage"] = "32"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    fresh = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    rendered = services.location_to_json(fresh)
    changed = rendered["evses"][0]["connectors"][0]
    assert changed["max_amperage"] == 32
    assert changed["last_updated"] > "2016"
    assert rendered["evses"][0]["connectors"][1]["last_updated"] == "2015-03-18T08:12:01Z"
    assert rendered["evses"][0]["last_updated"] == changed["last_updated"]
    assert rendered["last_updated"] == changed["last_updated"]
    assert rendered["evses"][1]["last_updated"] == "2015-06-29T20:39:09Z"


def test_invalid_connector_is_refused(admin_client, own_location):
    evse = EVSE.objects.get(uid="3256")
    url = reverse("admin:ocpi_locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data["connectors-1-tariff_ids"] = '["this-tariff-id-is-much-longer-than-thirty-six-characters"]'
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "tariff_ids" in response.context["inline_admin_formsets"][0].formset.forms[1].errors
    assert Location.objects.get().last_updated == T0


def test_adding_an_evse_with_its_connector(admin_client, own_location):
    response = admin_client.post(
        reverse("admin:ocpi_locations_evse_add"),
        {
            "location": str(own_location.pk),
            "uid": "NEW-1",
            "status": "PLANNED",
            "capabilities": '["RFID_READER"]',
            "connectors-TOTAL_FORMS": "1",
            "connectors-INITIAL_FORMS": "0",
            "connectors-MIN_NUM_FORMS": "1",
            "connectors-MAX_NUM_FORMS": "1000",
            "connectors-0-position": "0",
            "connectors-0-ocpi_id": "1",
            "connectors-0-standard": "CHADEMO",
            "connectors-0-format": "CABLE",
            "connectors-0-power_type": "DC",
            "connectors-0-max_voltage": "500",
            "connectors-0-max_amperage": "125",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    fresh = selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")
    rendered = services.location_to_json(fresh)
    assert [e["uid"] for e in rendered["evses"]] == ["3256", "3257", "NEW-1"]
    new = rendered["evses"][2]
    assert new["capabilities"] == ["RFID_READER"]
    assert new["connectors"][0]["standard"] == "CHADEMO"
    assert rendered["last_updated"] == new["last_updated"]
    schemas.Location.model_validate(rendered)


def test_an_evse_without_connectors_is_refused(admin_client, own_location):
    response = admin_client.post(
        reverse("admin:ocpi_locations_evse_add"),
        {
            "location": str(own_location.pk),
            "uid": "NEW-2",
            "status": "PLANNED",
            "connectors-TOTAL_FORMS": "0",
            "connectors-INITIAL_FORMS": "0",
            "connectors-MIN_NUM_FORMS": "1",
            "connectors-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert not EVSE.objects.filter(uid="NEW-2").exists()
