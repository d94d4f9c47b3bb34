"""The push outbox: audience, ordering, coalescing, retries, 429, circuit breaker, max age, resync."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from ocpi.core.routing import PartyRef
from ocpi.models import Party, PlatformEndpoint
from ocpi.sync import outbox
from ocpi.sync.models import OutboxMessage, PushChannel
from ocpi.sync.outbox import Push, deliver_platform, outbox_enqueue, outbox_retry, push_audience

pytestmark = pytest.mark.django_db

OK = {"status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"}


@pytest.fixture(autouse=True)
def _no_inline_waits(settings):
    """Each test sees one delivery round; inline waiting has its own test."""
    settings.OCPI_PUSH_INLINE_WAIT_SECONDS = 0


@pytest.fixture
def emsp(make_partner):
    partner = make_partner([("DE", "EMS", "EMSP")], name="emsp")
    PlatformEndpoint.objects.create(
        platform=partner.platform, identifier="locations", role="RECEIVER", url="http://emsp.test/locations"
    )
    PlatformEndpoint.objects.create(
        platform=partner.platform, identifier="sessions", role="RECEIVER", url="http://emsp.test/sessions"
    )
    return partner


@pytest.fixture
def other_emsp(make_partner):
    partner = make_partner([("FR", "OTH", "EMSP")], name="other")
    PlatformEndpoint.objects.create(
        platform=partner.platform, identifier="locations", role="RECEIVER", url="http://other.test/locations"
    )
    PlatformEndpoint.objects.create(
        platform=partner.platform, identifier="sessions", role="RECEIVER", url="http://other.test/sessions"
    )
    return partner


def loc_push(method="PUT", path="/NL/OCP/LOC1", body=None, key="NL/OCP/LOC1"):
    return Push(
        module="locations",
        object_key=key,
        method=method,
        path=path,
        body=body if body is not None else {"id": "LOC1"},
        from_party=PartyRef("NL", "OCP"),
    )


def enqueue(partner, push):
    return outbox_enqueue(push=push, audience=[(partner.platform, PartyRef(*_cc_pid(partner)))])


def _cc_pid(partner):
    p = partner.parties[0]
    return p.country_code, p.party_id


def test_audience_is_partners_with_the_receiver_endpoint(emsp, other_emsp, make_partner):
    make_partner([("BE", "NOE", "EMSP")], name="no-endpoint")
    names = sorted(p.name for p, _ in push_audience(module="locations"))
    assert names == ["emsp", "other"]


def test_sessions_audience_is_only_the_token_owner(emsp, other_emsp):
    audience = push_audience(module="sessions", only_parties=[PartyRef("DE", "EMS")])
    assert [(p.name, to) for p, to in audience] == [("emsp", PartyRef("DE", "EMS"))]


def test_unregistered_partners_are_not_in_the_audience(emsp):
    emsp.platform.status = "UNREGISTERED"
    emsp.platform.save()
    assert push_audience(module="locations") == []


@responses.activate
def test_delivers_with_token_routing_headers_and_body(emsp):
    responses.put("http://emsp.test/locations/NL/OCP/LOC1", json=OK)
    [message] = enqueue(emsp, loc_push(body={"id": "LOC1", "name": "x"}))
    report = deliver_platform(platform_id=emsp.platform.pk)
    assert report.delivered == 1
    request = responses.calls[0].request
    assert json.loads(request.body) == {"id": "LOC1", "name": "x"}
    assert request.headers["OCPI-from-party-id"] == "OCP"
    assert request.headers["OCPI-to-country-code"] == "DE"
    assert request.headers["OCPI-to-party-id"] == "EMS"
    assert "Token " in request.headers["Authorization"]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DELIVERED
    assert message.last_ocpi_status == 1000


@responses.activate
def test_messages_of_one_object_go_in_order_and_a_failure_holds_the_later_ones(emsp):
    responses.put("http://emsp.test/locations/NL/OCP/LOC1/E1", status=500, body="down")
    responses.put("http://emsp.test/locations/NL/OCP/LOC2", json=OK)
    first = enqueue(emsp, loc_push(path="/NL/OCP/LOC1/E1", body={"uid": "E1"}))[0]
    second = enqueue(emsp, loc_push(method="POST", path="/NL/OCP/LOC1/E1/x", body={"n": 1}))[0]
    other = enqueue(emsp, loc_push(path="/NL/OCP/LOC2", key="NL/OCP/LOC2"))[0]
    deliver_platform(platform_id=emsp.platform.pk, budget_seconds=2)
    first.refresh_from_db()
    second.refresh_from_db()
    other.refresh_from_db()
    assert first.state == OutboxMessage.State.PENDING
    assert first.attempts == 1
    assert first.next_attempt_at > timezone.now()
    assert second.attempts == 0  # held back behind the failed one
    assert other.state == OutboxMessage.State.DELIVERED  # another object is not held back


@responses.activate
def test_retry_succeeds_once_due(emsp):
    responses.put("http://emsp.test/locations/NL/OCP/LOC1", status=503, body="busy")
    [message] = enqueue(emsp, loc_push())
    deliver_platform(platform_id=emsp.platform.pk, budget_seconds=1)
    responses.replace(responses.PUT, "http://emsp.test/locations/NL/OCP/LOC1", json=OK)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    deliver_platform(platform_id=emsp.platform.pk, budget_seconds=1)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DELIVERED
    assert message.attempts == 2


@responses.activate
def test_429_honours_retry_after_and_pauses_the_partner(emsp):
    responses.put(
        "http://emsp.test/locations/NL/OCP/LOC1", status=429, headers={"Retry-After": "30"}, body=""
    )
    [message] = enqueue(emsp, loc_push())
    before = timezone.now()
    report = deliver_platform(platform_id=emsp.platform.pk, budget_seconds=1)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert timedelta(seconds=29) <= message.next_attempt_at - before <= timedelta(seconds=31)
    assert report.next_due is not None
    assert PushChannel.objects.get(platform=emsp.platform).open_until >= message.next_attempt_at


@responses.activate
def test_circuit_breaker_opens_for_a_dead_partner_and_spares_the_others(emsp, other_emsp, settings):
    settings.OCPI_PUSH_BREAKER_THRESHOLD = 3
    for i in range(6):
        responses.put(f"http://emsp.test/locations/NL/OCP/L{i}", body=requests.ConnectionError("refused"))
        enqueue(emsp, loc_push(path=f"/NL/OCP/L{i}", key=f"NL/OCP/L{i}"))
    responses.put("http://other.test/locations/NL/OCP/LOC1", json=OK)
    enqueue(other_emsp, loc_push())
    report = deliver_platform(platform_id=emsp.platform.pk, budget_seconds=2)
    assert report.circuit_open
    assert len(responses.calls) == 3  # stopped calling after the threshold
    channel = PushChannel.objects.get(platform=emsp.platform)
    assert channel.open_until > timezone.now()
    assert deliver_platform(platform_id=other_emsp.platform.pk).delivered == 1


def test_put_supersedes_older_pending_messages_of_the_object(emsp):
    patch = enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "CHARGING"}))[0]
    enqueue(emsp, loc_push(method="PUT", path="/NL/OCP/LOC1", body={"id": "LOC1", "v": 2}))
    patch.refresh_from_db()
    assert patch.state == OutboxMessage.State.SUPERSEDED
    assert OutboxMessage.objects.filter(state="PENDING").count() == 1


def test_patches_of_one_path_are_merged(emsp):
    for status in ("CHARGING", "BLOCKED", "AVAILABLE"):
        enqueue(
            emsp,
            loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": status, "last_updated": status}),
        )
    [pending] = OutboxMessage.objects.filter(state="PENDING")
    assert pending.body == {"status": "AVAILABLE", "last_updated": "AVAILABLE"}


def test_patches_appending_charging_periods_are_never_merged(emsp):
    for n in range(3):
        enqueue(
            emsp,
            Push(
                module="sessions",
                object_key="NL/OCP/S1",
                method="PATCH",
                path="/NL/OCP/S1",
                body={"charging_periods": [{"n": n}]},
            ),
        )
    assert OutboxMessage.objects.filter(state="PENDING").count() == 3


@responses.activate
def test_refused_content_fails_without_retry(emsp):
    responses.put(
        "http://emsp.test/locations/NL/OCP/LOC1",
        json={"status_code": 2001, "status_message": "bad", "timestamp": "x"},
    )
    [message] = enqueue(emsp, loc_push())
    assert deliver_platform(platform_id=emsp.platform.pk).failed == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert "bad" in message.last_error
    assert outbox_retry(messages=[message]) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING


@responses.activate
def test_too_old_messages_fail(emsp, settings):
    settings.OCPI_PUSH_MAX_AGE_SECONDS = 60
    [message] = enqueue(emsp, loc_push())
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    deliver_platform(platform_id=emsp.platform.pk)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert not responses.calls


@responses.activate
def test_patch_of_an_object_the_partner_lost_becomes_a_put(emsp, monkeypatch):
    monkeypatch.setitem(
        outbox._resync,
        "locations",
        lambda key, path: loc_push(path="/NL/OCP/LOC1", body={"id": "LOC1", "full": True}),
    )
    responses.patch(
        "http://emsp.test/locations/NL/OCP/LOC1/E1",
        status=404,
        json={"status_code": 2003, "status_message": "unknown", "timestamp": "x"},
    )
    responses.put("http://emsp.test/locations/NL/OCP/LOC1", json=OK)
    enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "AVAILABLE"}))
    deliver_platform(platform_id=emsp.platform.pk, budget_seconds=2)
    assert [c.request.method for c in responses.calls] == ["PATCH", "PUT"]
    assert json.loads(responses.calls[1].request.body) == {"id": "LOC1", "full": True}
    assert OutboxMessage.objects.filter(state="DELIVERED", method="PUT").count() == 1


def test_lease_lets_only_one_worker_deliver(emsp):
    enqueue(emsp, loc_push())
    PushChannel.objects.create(
        platform=emsp.platform, lease_owner="other", lease_until=timezone.now() + timedelta(minutes=1)
    )
    report = deliver_platform(platform_id=emsp.platform.pk)
    assert not report.claimed
    assert OutboxMessage.objects.get().attempts == 0


def test_own_party_changes_are_not_sent_back_to_the_owner(emsp):
    owner = Party.objects.get(platform=emsp.platform)
    assert push_audience(module="locations", owner=owner) == []


@responses.activate
def test_a_patch_merged_while_the_older_body_is_on_the_wire_is_not_lost(emsp):
    """The worker claims a message before sending; a later PATCH then becomes a message of its own."""
    [first] = enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "CHARGING"}))
    sent: list[dict] = []

    def partner(request):
        sent.append(json.loads(request.body))
        if len(sent) == 1:  # while the first PATCH is in flight, the EVSE changes again
            enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "BLOCKED"}))
        return 200, {}, json.dumps(OK)

    responses.add_callback(responses.PATCH, "http://emsp.test/locations/NL/OCP/LOC1/E1", callback=partner)
    deliver_platform(platform_id=emsp.platform.pk, budget_seconds=2)
    assert sent == [{"status": "CHARGING"}, {"status": "BLOCKED"}]
    first.refresh_from_db()
    assert first.body == {"status": "CHARGING"}
    assert OutboxMessage.objects.filter(state="DELIVERED").count() == 2


def test_a_claimed_message_is_neither_merged_nor_superseded(emsp):
    [patch] = enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "CHARGING"}))
    OutboxMessage.objects.filter(pk=patch.pk).update(attempts=1)
    enqueue(emsp, loc_push(method="PATCH", path="/NL/OCP/LOC1/E1", body={"status": "BLOCKED"}))
    enqueue(emsp, loc_push(method="PUT", path="/NL/OCP/LOC1", body={"id": "LOC1"}))
    patch.refresh_from_db()
    assert (patch.state, patch.body) == ("PENDING", {"status": "CHARGING"})
    assert list(OutboxMessage.objects.order_by("id").values_list("method", "state")) == [
        ("PATCH", "PENDING"),
        ("PATCH", "SUPERSEDED"),
        ("PUT", "PENDING"),
    ]


@responses.activate
def test_short_pauses_are_waited_out_inside_the_delivery_run(emsp, settings):
    settings.OCPI_PUSH_INLINE_WAIT_SECONDS = 2
    responses.put("http://emsp.test/locations/NL/OCP/LOC1", status=429, headers={"Retry-After": "1"}, body="")
    responses.put("http://emsp.test/locations/NL/OCP/LOC1", json=OK)
    [message] = enqueue(emsp, loc_push())
    report = deliver_platform(platform_id=emsp.platform.pk, budget_seconds=5)
    assert report.delivered == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("DELIVERED", 2)
    assert message.last_attempt_at - message.created_at >= timedelta(seconds=0.9)


def test_a_kick_for_a_deleted_partner_does_nothing():
    report = deliver_platform(platform_id=987654)
    assert (report.claimed, report.delivered) == (False, 0)
    assert not PushChannel.objects.exists()
