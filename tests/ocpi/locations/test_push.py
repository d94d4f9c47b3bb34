"""Locations push (§8.2.2 Receiver calls through the outbox): which call, which body, which partners.

Rows are asserted, not deliveries: outbox_enqueue kicks Celery on commit, which a `db` test never runs.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from ocpi.core.patch import validate_patch
from ocpi.core.types import format_datetime
from ocpi.locations import schemas, selectors, services
from ocpi.locations.models import EVSE, Location
from ocpi.locations.push import location_resync
from ocpi.locations.visibility import location_visible_to
from ocpi.models import PlatformEndpoint
from ocpi.sync import outbox
from ocpi.sync.models import OutboxMessage
from ocpi.tokens.models import Token
from tests.conftest import example
from tests.ocpi.locations.test_admin import form_data

pytestmark = pytest.mark.django_db

KEY = "BE/BEC/LOC1"
ALLOWED_DRIVER = {"visual_number": "DF000-2001-8999-1", "issuer": "TheNewMotion"}


def receiver(partner, module="locations"):
    PlatformEndpoint.objects.create(
        platform=partner.platform,
        identifier=module,
        role="RECEIVER",
        url=f"http://{partner.platform.name}.test/",
    )
    return partner


def give_token(partner, **fields):
    party = partner.parties[0]
    values = {
        "uid": "012345678",
        "type": "RFID",
        "contract_id": f"{party.country_code}-{party.party_id}-C12345678",
        "issuer": "TheNewMotion",
        "visual_number": "DF000-2001-8999-1",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": datetime(2024, 1, 1, tzinfo=UTC),
        **fields,
    }
    Token.objects.create(party=party, country_code=party.country_code, ocpi_party_id=party.party_id, **values)


@pytest.fixture
def emsp(make_partner):
    """A registered eMSP with a Locations Receiver; it owns the driver ALLOWED_DRIVER names."""
    partner = receiver(make_partner([("DE", "TNM", "EMSP")], name="emsp"))
    give_token(partner)
    return partner


@pytest.fixture
def other(make_partner):
    """Another registered eMSP with a Locations Receiver, whose drivers no list names."""
    partner = receiver(make_partner([("FR", "OTH", "EMSP")], name="other"))
    give_token(partner, uid="999", visual_number="OTHER-1", issuer="Other")
    return partner


@pytest.fixture
def bystanders(make_partner):
    """Partners that must never get anything: no Receiver endpoint, or not registered."""
    make_partner([("NL", "NOE", "EMSP")], name="no-endpoint")
    receiver(make_partner([("NL", "UNR", "EMSP")], name="unregistered", status="UNREGISTERED"))


@pytest.fixture
def loc1() -> dict[str, Any]:
    return copy.deepcopy(example("location_example.json"))


@pytest.fixture
def be_own(own_party):
    return own_party("BE", "BEC")


def put(party, data):
    return services.location_put(party=party, data=schemas.Location.model_validate(data))


def rows(**filters):
    return list(OutboxMessage.objects.filter(state="PENDING", **filters).order_by("id"))


def calls(**filters):
    """(partner, method, path) of the pending messages, in order."""
    return [(m.platform.name, m.method, m.path) for m in rows(**filters)]


def fresh_location() -> Location:
    return selectors.location_get(country_code="BE", party_id="BEC", location_id="LOC1")


def evse(uid: str) -> EVSE:
    return selectors.evse_get(location=fresh_location(), evse_uid=uid)


# --- location PUT ----------------------------------------------------------------------------------


def test_new_location_is_a_put_of_the_whole_location_to_each_partner_with_a_receiver(
    be_own, emsp, other, bystanders, loc1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        put(be_own, loc1)
    assert calls() == [("emsp", "PUT", "/BE/BEC/LOC1"), ("other", "PUT", "/BE/BEC/LOC1")]
    for message in rows():
        assert message.module == "locations"
        assert message.object_key == KEY
        assert message.body == loc1
        assert message.from_party == "BE-BEC"
    assert [m.to_party for m in rows()] == ["DE-TNM", "FR-OTH"]
    assert len(callbacks) == 1  # delivery is kicked once the transaction commits


def test_the_rows_are_written_in_the_change_transaction(be_own, emsp, loc1):
    def change_then_fail():
        with transaction.atomic():
            put(be_own, loc1)
            assert len(rows()) == 1
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not Location.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_put_that_changes_nothing_enqueues_nothing(be_own, emsp, loc1):
    put(be_own, loc1)
    same = copy.deepcopy(loc1)
    same["last_updated"] = "2020-01-01T00:00:00Z"  # a newer stamp alone is no change (lesson 10)
    put(be_own, same)
    assert calls() == [("emsp", "PUT", "/BE/BEC/LOC1")]


def test_a_changed_put_is_a_new_put_that_supersedes_the_pending_one(be_own, emsp, loc1):
    put(be_own, loc1)
    changed = {**copy.deepcopy(loc1), "name": "Gent Noord", "last_updated": "2020-01-01T00:00:00Z"}
    put(be_own, changed)
    [message] = rows()
    assert (message.method, message.path) == ("PUT", "/BE/BEC/LOC1")
    assert message.body["name"] == "Gent Noord"
    assert message.body["last_updated"] == "2020-01-01T00:00:00Z"
    assert OutboxMessage.objects.filter(state="SUPERSEDED").count() == 1


def test_a_partners_copy_is_never_pushed(make_partner, emsp, loc1):
    cpo = receiver(make_partner([("BE", "BEC", "CPO")], name="cpo"))
    location, _ = put(cpo.parties[0], loc1)
    services.evse_patch(
        evse=selectors.evse_get(location=location, evse_uid="3256"),
        patch={"status": schemas.Status.CHARGING, "last_updated": datetime(2024, 1, 1, tzinfo=UTC)},
    )
    services.location_patch(
        location=location, patch={"name": "x", "last_updated": datetime(2024, 1, 2, tzinfo=UTC)}
    )
    assert not OutboxMessage.objects.exists()


# --- PATCH of the changed fields -------------------------------------------------------------------


def test_an_evse_status_change_is_a_patch_of_status_and_last_updated(be_own, emsp, other, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    patched = services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.CHARGING})
    assert calls() == [("emsp", "PATCH", "/BE/BEC/LOC1/3256"), ("other", "PATCH", "/BE/BEC/LOC1/3256")]
    for message in rows():
        assert message.object_key == KEY
        assert message.body == {"status": "CHARGING", "last_updated": format_datetime(patched.last_updated)}


def test_an_unchanged_evse_status_enqueues_nothing(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.AVAILABLE})
    assert not OutboxMessage.objects.exists()


def test_a_location_patch_sends_only_the_changed_fields(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    patch = validate_patch(
        schemas.Location,
        {
            "name": "Gent Zuid",  # unchanged: not sent
            "postal_code": None,  # cleared: sent as null
            "coordinates": {"latitude": "51.047600", "longitude": "3.729944"},
            "last_updated": "2024-01-01T00:00:00Z",
        },
    )
    services.location_patch(location=fresh_location(), patch=patch)
    [message] = rows()
    assert (message.method, message.path) == ("PATCH", "/BE/BEC/LOC1")
    assert message.body == {
        "postal_code": None,
        "coordinates": {"latitude": "51.047600", "longitude": "3.729944"},
        "last_updated": "2024-01-01T00:00:00Z",
    }


def test_a_location_patch_with_evses_is_sent_as_a_put_of_the_whole_location(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    new_evse = {**copy.deepcopy(loc1["evses"][1]), "uid": "3258", "last_updated": "2024-01-01T00:00:00Z"}
    patch = validate_patch(schemas.Location, {"evses": [new_evse], "last_updated": "2024-01-01T00:00:00Z"})
    services.location_patch(location=fresh_location(), patch=patch)
    [message] = rows()
    assert (message.method, message.path) == ("PUT", "/BE/BEC/LOC1")
    assert [e["uid"] for e in message.body["evses"]] == ["3256", "3257", "3258"]


def test_a_connector_patch_is_a_patch_on_the_connector_path(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    connector = selectors.connector_get(evse=evse("3256"), connector_id="2")
    services.connector_patch(
        connector=connector, patch={"tariff_ids": ["14"], "last_updated": datetime(2024, 1, 1, tzinfo=UTC)}
    )
    [message] = rows()
    assert (message.method, message.path, message.object_key) == ("PATCH", "/BE/BEC/LOC1/3256/2", KEY)
    assert message.body == {"tariff_ids": ["14"], "last_updated": "2024-01-01T00:00:00Z"}


# --- PUT of an EVSE or a connector -----------------------------------------------------------------


def test_evse_put_and_connector_put_are_puts_of_that_object(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    new_evse = {**copy.deepcopy(loc1["evses"][1]), "uid": "3258", "last_updated": "2024-01-01T00:00:00Z"}
    written, created = services.evse_put(
        location=fresh_location(), data=schemas.EVSE.model_validate(new_evse)
    )
    assert created
    connector = {**loc1["evses"][0]["connectors"][0], "id": "3", "last_updated": "2024-01-02T00:00:00Z"}
    services.connector_put(evse=written, data=schemas.Connector.model_validate(connector))
    evse_message, connector_message = rows()
    assert (evse_message.method, evse_message.path) == ("PUT", "/BE/BEC/LOC1/3258")
    assert evse_message.body == new_evse
    assert (connector_message.method, connector_message.path) == ("PUT", "/BE/BEC/LOC1/3258/3")
    assert connector_message.body == connector
    assert {evse_message.object_key, connector_message.object_key} == {KEY}


def test_an_unchanged_evse_put_enqueues_nothing(be_own, emsp, loc1):
    put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    services.evse_put(location=fresh_location(), data=schemas.EVSE.model_validate(loc1["evses"][0]))
    assert not OutboxMessage.objects.exists()


# --- who may see it (publish / publish_allowed_to) -------------------------------------------------


def test_an_unpublished_location_goes_only_to_the_emsp_of_the_allowed_drivers(be_own, emsp, other, loc1):
    put(be_own, {**loc1, "publish": False, "publish_allowed_to": [ALLOWED_DRIVER]})
    assert calls() == [("emsp", "PUT", "/BE/BEC/LOC1")]
    assert rows()[0].to_party == "DE-TNM"
    assert rows()[0].body["publish_allowed_to"] == [ALLOWED_DRIVER]
    services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.CHARGING})
    assert calls(method="PATCH") == [("emsp", "PATCH", "/BE/BEC/LOC1/3256")]


def test_a_private_location_goes_to_nobody(be_own, emsp, other, loc1):
    put(be_own, {**loc1, "publish": False})
    services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.CHARGING})
    assert not OutboxMessage.objects.exists()


def test_unpublishing_tells_those_that_had_it_and_publishing_sends_it_whole_to_the_others(
    be_own, emsp, other, loc1
):
    put(be_own, {**loc1, "publish": False, "publish_allowed_to": [ALLOWED_DRIVER]})
    OutboxMessage.objects.all().delete()
    published = validate_patch(
        schemas.Location,
        {"publish": True, "publish_allowed_to": None, "last_updated": "2024-01-01T00:00:00Z"},
    )
    services.location_patch(location=fresh_location(), patch=published)
    assert calls() == [("emsp", "PATCH", "/BE/BEC/LOC1"), ("other", "PUT", "/BE/BEC/LOC1")]
    assert rows()[0].body == {
        "publish": True,
        "publish_allowed_to": None,
        "last_updated": "2024-01-01T00:00:00Z",
    }
    assert rows()[1].body["publish"] is True
    OutboxMessage.objects.all().delete()

    private = validate_patch(schemas.Location, {"publish": False, "last_updated": "2024-01-02T00:00:00Z"})
    services.location_patch(location=fresh_location(), patch=private)
    # Both had it: both learn it is no longer to be shown; later changes go to nobody.
    assert calls() == [("emsp", "PATCH", "/BE/BEC/LOC1"), ("other", "PATCH", "/BE/BEC/LOC1")]
    assert rows()[0].body == {"publish": False, "last_updated": "2024-01-02T00:00:00Z"}
    OutboxMessage.objects.all().delete()
    services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.CHARGING})
    assert not OutboxMessage.objects.exists()


def test_visibility_rule_for_one_location_and_one_party_set(be_own, emsp, other, loc1):
    location, _ = put(
        be_own, {**loc1, "publish": False, "publish_allowed_to": [{"uid": "012345678", "type": "RFID"}]}
    )
    assert location_visible_to(location=location, parties=emsp.parties)
    assert not location_visible_to(location=location, parties=other.parties)
    location.publish, location.publish_allowed_to = True, None
    assert location_visible_to(location=location, parties=other.parties)


# --- admin edits go through the services and push the same way ------------------------------------


@pytest.fixture
def own_location(be_own, emsp, loc1):
    location, _ = put(be_own, loc1)
    OutboxMessage.objects.all().delete()
    return location


def test_admin_evse_status_edit_in_the_location_page_enqueues_a_patch(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    data = form_data(admin_client.get(url))
    data["evses-1-status"] = "OUTOFORDER"
    assert admin_client.post(url, data).status_code == 302
    [message] = rows()
    assert (message.method, message.path) == ("PATCH", "/BE/BEC/LOC1/3257")
    assert message.body == {
        "status": "OUTOFORDER",
        "last_updated": format_datetime(EVSE.objects.get(uid="3257").last_updated),
    }


def test_admin_unchanged_save_enqueues_nothing(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    assert admin_client.post(url, form_data(admin_client.get(url))).status_code == 302
    assert not OutboxMessage.objects.exists()


def test_admin_location_edit_enqueues_a_patch_of_the_changed_fields(admin_client, own_location):
    url = reverse("admin:ocpi_locations_location_change", args=[own_location.pk])
    data = form_data(admin_client.get(url))
    data["name"] = "Gent Centrum"
    assert admin_client.post(url, data).status_code == 302
    [message] = rows()
    assert (message.method, message.path) == ("PATCH", "/BE/BEC/LOC1")
    assert message.body == {
        "name": "Gent Centrum",
        "last_updated": format_datetime(Location.objects.get().last_updated),
    }


def test_admin_evse_page_status_and_connector_edits_are_patches(admin_client, own_location):
    url = reverse("admin:ocpi_locations_evse_change", args=[EVSE.objects.get(uid="3256").pk])
    data = form_data(admin_client.get(url))
    data["status"] = "BLOCKED"
    data["connectors-0-max_amperage"] = "32"
    assert admin_client.post(url, data).status_code == 302
    assert calls() == [("emsp", "PATCH", "/BE/BEC/LOC1/3256"), ("emsp", "PATCH", "/BE/BEC/LOC1/3256/1")]
    assert set(rows()[0].body) == {"status", "last_updated"}
    assert set(rows()[1].body) == {"max_amperage", "last_updated"}
    assert rows()[1].body["max_amperage"] == 32


def test_admin_removing_a_connector_is_a_put_of_the_evse(admin_client, own_location):
    url = reverse("admin:ocpi_locations_evse_change", args=[EVSE.objects.get(uid="3256").pk])
    data = form_data(admin_client.get(url))
    data["connectors-1-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    [message] = rows()
    assert (message.method, message.path) == ("PUT", "/BE/BEC/LOC1/3256")
    assert [c["id"] for c in message.body["connectors"]] == ["1"]
    assert [c["id"] for c in services.evse_to_json(evse("3256"))["connectors"]] == ["1"]


def test_admin_new_evse_is_a_put_of_the_evse_with_its_connectors(admin_client, own_location):
    response = admin_client.post(
        reverse("admin:ocpi_locations_evse_add"),
        {
            "location": str(own_location.pk),
            "uid": "NEW-1",
            "status": "PLANNED",
            "connectors-TOTAL_FORMS": "1",
            "connectors-INITIAL_FORMS": "0",
            "connectors-MIN_NUM_FORMS": "1",
            "connectors-MAX_NUM_FORMS": "1000",
            "connectors-0-ocpi_id": "1",
            "connectors-0-standard": "CHADEMO",
            "connectors-0-format": "CABLE",
            "connectors-0-power_type": "DC",
            "connectors-0-max_voltage": "500",
            "connectors-0-max_amperage": "125",
        },
    )
    assert response.status_code == 302
    [message] = rows()
    assert (message.method, message.path) == ("PUT", "/BE/BEC/LOC1/NEW-1")
    assert message.body == services.evse_to_json(evse("NEW-1"))
    assert message.body["connectors"][0]["standard"] == "CHADEMO"


# --- resync: a partner lost the object -------------------------------------------------------------


def test_resync_gives_a_put_of_the_whole_current_location(be_own, loc1):
    assert outbox._resync["locations"] is location_resync
    put(be_own, loc1)
    services.evse_patch(evse=evse("3256"), patch={"status": schemas.Status.CHARGING})
    push = location_resync(KEY, "/BE/BEC/LOC1/3256")
    assert push is not None
    assert (push.module, push.object_key, push.method, push.path) == ("locations", KEY, "PUT", "/BE/BEC/LOC1")
    assert push.body == services.location_to_json(fresh_location())
    assert push.body["evses"][0]["status"] == "CHARGING"
    assert location_resync("BE/BEC/GONE", "/BE/BEC/GONE") is None
