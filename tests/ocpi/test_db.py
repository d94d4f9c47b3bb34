"""The fast bulk writes of `ocpi.core.db`: many rows in few statements, converted as `save` converts them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ocpi.core.db import bulk_insert_rows, bulk_update_rows
from ocpi.models import Party, Platform

pytestmark = pytest.mark.django_db(transaction=True)


def _count() -> int:
    """Parties of these tests (the migrations create our own parties too)."""
    return Party.objects.filter(country_code="NL", party_id__regex=r"^[0-9]{3}$").count()


def _parties(count: int, start: int = 0) -> list[Party]:
    return [
        Party(
            country_code="NL",
            party_id=f"{n:03d}",
            role="CPO",
            business_name=f"Operator {n}",
            business_logo={"url": f"https://example.com/{n}.png", "category": "OPERATOR"},
        )
        for n in range(start, start + count)
    ]


def test_insert_many_rows_in_few_statements_with_values_converted() -> None:
    with CaptureQueriesContext(connection) as captured:
        bulk_insert_rows(_parties(500))
    inserts = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert 1 <= len(inserts) <= 10  # not one per row
    assert _count() == 500
    stored = Party.objects.get(party_id="321")
    assert stored.business_name == "Operator 321"
    assert stored.business_logo == {"url": "https://example.com/321.png", "category": "OPERATOR"}
    assert stored.created_at is not None  # pre_save ran: auto_now_add
    assert stored.created_at.tzinfo is not None


def test_conflicting_rows_are_skipped_or_refuse_the_whole_insert() -> None:
    bulk_insert_rows(_parties(3))
    with pytest.raises(IntegrityError):
        bulk_insert_rows(_parties(4, start=1))  # 001..002 exist
    assert _count() == 3  # nothing of the refused insert was written

    renamed = _parties(4, start=1)
    for party in renamed:
        party.business_name = "renamed"
    bulk_insert_rows(renamed, ignore_conflicts=True)
    assert _count() == 5
    assert Party.objects.filter(business_name="renamed").count() == 2  # 003 and 004 only
    assert Party.objects.get(party_id="001").business_name == "Operator 1"


def test_update_many_rows_by_key_the_last_values_of_a_row_given_twice_win() -> None:
    bulk_insert_rows(_parties(400))
    rows = list(Party.objects.order_by("party_id"))
    changed = rows[:300]
    for party in changed:
        party.business_name = f"Now {party.party_id}"
        party.business_logo = None
    again = Party.objects.get(pk=rows[0].pk)
    again.business_name = "Given twice"
    with CaptureQueriesContext(connection) as captured:
        bulk_update_rows([*changed, again], ["business_name", "business_logo"])
    updates = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    if connection.vendor == "sqlite":
        assert 1 <= len(updates) <= 5  # not one per row

    assert Party.objects.get(pk=rows[0].pk).business_name == "Given twice"
    # `again` was read before the change: its logo, written last, is the old one
    assert Party.objects.get(pk=rows[0].pk).business_logo == {
        "url": "https://example.com/0.png",
        "category": "OPERATOR",
    }
    assert Party.objects.get(party_id="299").business_name == "Now 299"
    assert Party.objects.get(party_id="299").business_logo is None
    untouched = Party.objects.get(party_id="300")
    assert untouched.business_name == "Operator 300"
    assert untouched.business_logo == {"url": "https://example.com/300.png", "category": "OPERATOR"}


def test_insert_values_fills_defaults_and_auto_now_and_converts_values() -> None:
    from ocpi.core.db import insert_values
    from ocpi.sync.models import OutboxMessage

    platform = Platform.objects.create(name="p", status=Platform.Status.REGISTERED)
    before = timezone.now()
    insert_values(
        OutboxMessage,
        ("platform_id", "module", "object_key", "method", "path", "body", "next_attempt_at"),
        [
            (platform.pk, "sessions", f"NL/ABC/{n}", "PATCH", f"/NL/ABC/{n}", {"kwh": 1.5}, before)
            for n in range(300)
        ],
    )
    rows = OutboxMessage.objects.filter(platform=platform).order_by("pk")
    assert rows.count() == 300
    first = rows[0]
    assert first.body == {"kwh": 1.5}
    assert first.state == OutboxMessage.State.PENDING  # the field's default
    assert first.attempts == 0
    assert first.last_error == ""
    assert first.created_at >= before  # auto_now_add: now
    assert first.next_attempt_at == before


def test_insert_values_refuses_to_leave_out_a_field_that_needs_its_pre_save() -> None:
    from django.db import models as dj_models

    from ocpi.core import db

    class Upload(dj_models.FileField):
        pass

    field = Upload(name="upload")
    field.attname = "upload"
    with pytest.raises(ValueError, match="upload: give its value"):
        db._default(field)
