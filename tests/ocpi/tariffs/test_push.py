"""Tariffs push (§11.2.2 Receiver calls through the outbox): PUT when new or changed, DELETE, who gets it.

Rows are asserted, not deliveries: outbox_enqueue kicks Celery on commit, which a `db` test never runs.
"""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from ocpi.models import PlatformEndpoint
from ocpi.sync import outbox
from ocpi.sync.models import OutboxMessage
from ocpi.tariffs import schemas, selectors, services
from ocpi.tariffs.push import tariff_resync
from tests.conftest import example
from tests.ocpi.locations.test_admin import form_data

pytestmark = pytest.mark.django_db

KEY = "DE/ALL/14"


def receiver(partner, module="tariffs"):
    PlatformEndpoint.objects.create(
        platform=partner.platform,
        identifier=module,
        role="RECEIVER",
        url=f"http://{partner.platform.name}.test/",
    )
    return partner


@pytest.fixture
def emsps(make_partner):
    """Two eMSPs with a Tariffs Receiver, and partners that must get nothing."""
    receiver(make_partner([("NL", "EMS", "EMSP")], name="emsp"))
    receiver(make_partner([("FR", "OTH", "EMSP")], name="other"))
    receiver(make_partner([("BE", "LOC", "EMSP")], name="locations-only"), module="locations")
    receiver(make_partner([("NL", "UNR", "EMSP")], name="unregistered", status="UNREGISTERED"))


@pytest.fixture
def tariff4():
    return copy.deepcopy(example("tariff_4_complex.json"))


def put(party, data):
    return services.tariff_put(party=party, data=schemas.Tariff.model_validate(data))


def calls():
    return [
        (m.platform.name, m.method, m.path)
        for m in OutboxMessage.objects.filter(state="PENDING").select_related("platform").order_by("id")
    ]


def test_a_new_tariff_is_a_put_of_the_whole_tariff(own_party, emsps, tariff4):
    put(own_party("DE", "ALL"), tariff4)
    assert calls() == [("emsp", "PUT", "/DE/ALL/14"), ("other", "PUT", "/DE/ALL/14")]
    for message in OutboxMessage.objects.all():
        assert (message.module, message.object_key, message.from_party) == ("tariffs", KEY, "DE-ALL")
        assert message.body == tariff4
    assert sorted(OutboxMessage.objects.values_list("to_party", flat=True)) == ["FR-OTH", "NL-EMS"]


def test_an_unchanged_put_enqueues_nothing_and_a_change_is_a_new_put(own_party, emsps, tariff4):
    party = own_party("DE", "ALL")
    put(party, tariff4)
    OutboxMessage.objects.all().delete()
    put(party, {**tariff4, "last_updated": "2020-01-01T00:00:00Z"})
    assert not OutboxMessage.objects.exists()
    changed = copy.deepcopy(tariff4)
    changed["elements"][0]["price_components"][0]["price"] = 3.0
    changed["last_updated"] = "2020-01-01T00:00:00Z"
    put(party, changed)
    assert calls() == [("emsp", "PUT", "/DE/ALL/14"), ("other", "PUT", "/DE/ALL/14")]
    assert OutboxMessage.objects.first().body == changed


def test_deleting_our_tariff_is_a_delete(own_party, emsps, tariff4):
    put(own_party("DE", "ALL"), tariff4)
    services.tariff_delete(tariff=selectors.tariff_get(country_code="DE", party_id="ALL", tariff_id="14"))
    # Same object key: each partner gets the pending PUT first, then the DELETE.
    assert calls() == [
        ("emsp", "PUT", "/DE/ALL/14"),
        ("other", "PUT", "/DE/ALL/14"),
        ("emsp", "DELETE", "/DE/ALL/14"),
        ("other", "DELETE", "/DE/ALL/14"),
    ]
    assert set(OutboxMessage.objects.filter(method="DELETE").values_list("object_key", "body")) == {
        (KEY, None)
    }


def test_a_partners_copy_is_never_pushed(partner_party, emsps, tariff4):
    party = partner_party("DE", "ALL")
    put(party, tariff4)
    put(party, {**tariff4, "currency": "USD", "last_updated": "2020-01-01T00:00:00Z"})
    services.tariff_delete(tariff=selectors.tariff_get(country_code="DE", party_id="ALL", tariff_id="14"))
    assert not OutboxMessage.objects.exists()


def test_admin_edit_is_a_put_and_admin_delete_a_delete(admin_client, own_party, emsps, tariff4):
    tariff, _ = put(own_party("DE", "ALL"), tariff4)
    OutboxMessage.objects.all().delete()
    url = reverse("admin:ocpi_tariffs_tariff_change", args=[tariff.pk])
    data = form_data(admin_client.get(url))
    assert admin_client.post(url, data).status_code == 302
    assert not OutboxMessage.objects.exists()  # nothing changed
    data["currency"] = "USD"
    assert admin_client.post(url, data).status_code == 302
    assert calls() == [("emsp", "PUT", "/DE/ALL/14"), ("other", "PUT", "/DE/ALL/14")]
    assert OutboxMessage.objects.first().body["currency"] == "USD"
    OutboxMessage.objects.all().delete()
    response = admin_client.post(
        reverse("admin:ocpi_tariffs_tariff_delete", args=[tariff.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert calls() == [("emsp", "DELETE", "/DE/ALL/14"), ("other", "DELETE", "/DE/ALL/14")]


def test_resync_gives_a_put_of_the_whole_current_tariff(own_party, tariff4):
    assert outbox._resync["tariffs"] is tariff_resync
    put(own_party("DE", "ALL"), tariff4)
    push = tariff_resync(KEY, "/DE/ALL/14")
    assert push is not None
    assert (push.module, push.object_key, push.method, push.path) == ("tariffs", KEY, "PUT", "/DE/ALL/14")
    assert push.body == tariff4
    assert tariff_resync("DE/ALL/99", "/DE/ALL/99") is None
