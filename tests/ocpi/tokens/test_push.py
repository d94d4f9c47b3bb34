"""Our own eMSP's tokens are pushed to partner CPOs through the outbox (§12.1.1, §12.2.1)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from ocpi.models import Party, PlatformEndpoint
from ocpi.sync import outbox
from ocpi.sync.models import OutboxMessage
from ocpi.tokens.models import Token
from ocpi.tokens.push import token_resync
from ocpi.tokens.services import token_patch, token_put, token_to_json
from tests.conftest import example

pytestmark = pytest.mark.django_db


def _receiver(partner, url: str = "http://cpo.test/tokens") -> None:
    PlatformEndpoint.objects.create(platform=partner.platform, identifier="tokens", role="RECEIVER", url=url)


@pytest.fixture
def own_emsp() -> Party:
    return Party.objects.create(country_code="NL", party_id="TNM", role="EMSP", business_name="TNM")


@pytest.fixture
def cpo(make_partner):
    partner = make_partner([("DE", "CPO", "CPO")], name="cpo")
    _receiver(partner)
    return partner


@pytest.fixture
def bystanders(make_partner):
    """A partner without a Tokens Receiver and an unregistered one with it: neither hears anything."""
    make_partner([("FR", "NOE", "CPO")], name="no-endpoint")
    _receiver(make_partner([("BE", "UNR", "CPO")], name="unregistered", status="UNREGISTERED"))


def _pending():
    return list(OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("id"))


def _deliver_all() -> None:
    OutboxMessage.objects.update(state=OutboxMessage.State.DELIVERED)


def test_new_token_is_put_whole_to_every_cpo_with_a_tokens_receiver(own_emsp, cpo, bystanders, make_partner):
    second = make_partner([("DE", "SEC", "CPO")], name="second")
    _receiver(second, "http://second.test/tokens")
    token, _ = token_put(party=own_emsp, data=example("token_put_example.json"))
    messages = _pending()
    assert sorted(m.platform.name for m in messages) == ["cpo", "second"]
    message = next(m for m in messages if m.platform == cpo.platform)
    assert (message.module, message.method, message.path) == ("tokens", "PUT", "/NL/TNM/012345678")
    assert message.object_key == "NL/TNM/012345678/RFID"
    assert message.body == token_to_json(token) == example("token_put_example.json")
    assert (message.from_party, message.to_party) == ("NL-TNM", "DE-CPO")


def test_a_non_rfid_token_path_carries_its_type(own_emsp, cpo):
    data = {**example("token_example_1_app_user.json"), "country_code": "NL", "party_id": "TNM"}
    token_put(party=own_emsp, data=data)
    [message] = _pending()
    assert message.path == f"/NL/TNM/{data['uid']}?type=APP_USER"
    assert message.object_key == f"NL/TNM/{data['uid']}/APP_USER"


def test_a_uid_is_quoted_in_the_path(own_emsp, cpo):
    token_put(party=own_emsp, data={**example("token_put_example.json"), "uid": "A B/1"})
    [message] = _pending()
    assert message.path == "/NL/TNM/A%20B%2F1"
    assert message.object_key == "NL/TNM/A B/1/RFID"


def test_replacing_put_pushes_the_whole_token_and_supersedes_the_pending_one(own_emsp, cpo):
    data = example("token_put_example.json")
    token_put(party=own_emsp, data=data)
    changed = {**data, "valid": False, "last_updated": "2015-07-01T10:00:00Z"}
    del changed["visual_number"]
    token_put(party=own_emsp, data=changed)
    [message] = _pending()
    assert (message.method, message.body) == ("PUT", changed)
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.SUPERSEDED).count() == 1


def test_put_or_patch_without_change_pushes_nothing(own_emsp, cpo):
    data = example("token_put_example.json")
    token, _ = token_put(party=own_emsp, data=data)
    _deliver_all()
    token_put(party=own_emsp, data={**data, "last_updated": "2030-01-01T00:00:00Z"})
    token_patch(token=token, patch={"valid": data["valid"], "last_updated": "2030-01-01T00:00:00Z"})
    assert _pending() == []


def test_patch_pushes_only_the_changed_fields_and_last_updated(own_emsp, cpo):
    token, _ = token_put(party=own_emsp, data=example("token_put_example.json"))
    _deliver_all()
    token_patch(token=token, patch=example("token_patch_example.json"))
    [message] = _pending()
    assert (message.method, message.path) == ("PATCH", "/NL/TNM/012345678")
    assert message.body == example("token_patch_example.json")
    assert message.object_key == "NL/TNM/012345678/RFID"


def test_patch_clearing_an_optional_field_sends_null(own_emsp, cpo):
    token, _ = token_put(party=own_emsp, data=example("token_put_example.json"))
    _deliver_all()
    token_patch(token=token, patch={"visual_number": None, "last_updated": "2030-01-01T00:00:00Z"})
    [message] = _pending()
    assert message.body == {"visual_number": None, "last_updated": "2030-01-01T00:00:00Z"}


def test_partners_tokens_are_never_pushed(make_partner, cpo):
    emsp = make_partner([("NL", "TNM", "EMSP")], name="emsp")
    _receiver(emsp, "http://emsp.test/tokens")
    token, _ = token_put(party=emsp.parties[0], data=example("token_put_example.json"))
    token_patch(token=token, patch=example("token_patch_example.json"))
    assert _pending() == []


def test_a_partner_with_several_roles_is_addressed_as_its_cpo(own_emsp, make_partner):
    both = make_partner([("AA", "EMS", "EMSP"), ("ZZ", "CPO", "CPO")], name="both")
    _receiver(both)
    token_put(party=own_emsp, data=example("token_put_example.json"))
    [message] = _pending()
    assert message.to_party == "ZZ-CPO"


def test_the_message_is_written_in_the_changes_transaction(own_emsp, cpo):
    def change_then_fail() -> None:
        with transaction.atomic():
            token_put(party=own_emsp, data=example("token_put_example.json"))
            assert len(_pending()) == 1
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not Token.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_delivery_is_kicked_once_the_change_commits(
    own_emsp, cpo, django_capture_on_commit_callbacks, monkeypatch
):
    kicked: list[list[int]] = []
    monkeypatch.setattr(outbox, "kick", lambda ids: kicked.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=True):
        token_put(party=own_emsp, data=example("token_put_example.json"))
    assert kicked == [[cpo.platform.pk]]


def test_admin_edit_of_our_token_enqueues_a_patch(admin_client, own_emsp, cpo):
    token, _ = token_put(party=own_emsp, data=example("token_put_example.json"))
    _deliver_all()
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(token.pk),
        "form-0-valid": "",
        "form-0-whitelist": "ALWAYS",
        "_save": "Save",
    }
    assert admin_client.post(reverse("admin:ocpi_tokens_token_changelist"), form).status_code == 302
    [message] = _pending()
    token.refresh_from_db()
    assert (message.method, message.path) == ("PATCH", "/NL/TNM/012345678")
    assert message.body == {"valid": False, "last_updated": token_to_json(token)["last_updated"]}


def test_resync_is_registered_and_rebuilds_the_whole_token(own_emsp):
    token, _ = token_put(party=own_emsp, data=example("token_put_example.json"))
    assert outbox._resync["tokens"] is token_resync
    push = token_resync("NL/TNM/012345678/RFID", "/NL/TNM/012345678")
    assert push is not None
    assert (push.method, push.path, push.object_key) == ("PUT", "/NL/TNM/012345678", "NL/TNM/012345678/RFID")
    assert push.body == token_to_json(token)
    assert token_resync("NL/TNM/unknown/RFID", "/NL/TNM/unknown") is None
