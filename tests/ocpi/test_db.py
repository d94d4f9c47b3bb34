"""The fast bulk writes of `ocpi.core.db`: many rows in few statements, converted as `save` converts them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ocpi.core.db import bulk_update_rows, insert_values
from ocpi.models import Party, Platform

pytestmark = pytest.mark.django_db(transaction=True)


def _count() -> int:
    """Parties of these tests (the migrations create our own parties too)."""
    return Party.objects.filter(country_code="NL", party_id__regex=r"^[0-9]{3}$").count()


COLUMNS = ("country_code", "party_id", "role", "business_name", "business_logo")


def _parties(count: int, start: int = 0) -> list[tuple[str, str, str, str, dict[str, str]]]:
    return [
        (
            "NL",
            f"{n:03d}",
            "CPO",
            f"Operator {n}",
            {"url": f"https://example.com/{n}.png", "category": "OPERATOR"},
        )
        for n in range(start, start + count)
    ]


def _insert(rows: list[tuple[str, str, str, str, dict[str, str]]], *, ignore_conflicts: bool = False) -> None:
    insert_values(Party, COLUMNS, rows, ignore_conflicts=ignore_conflicts)


def test_insert_many_rows_in_few_statements_with_values_converted() -> None:
    with CaptureQueriesContext(connection) as captured:
        _insert(_parties(500))
    inserts = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert 1 <= len(inserts) <= 10  # not one per row
    assert _count() == 500
    stored = Party.objects.get(party_id="321")
    assert stored.business_name == "Operator 321"
    assert stored.business_logo == {"url": "https://example.com/321.png", "category": "OPERATOR"}
    assert stored.created_at is not None  # auto_now_add: now
    assert stored.created_at.tzinfo is not None


def test_conflicting_rows_are_skipped_or_refuse_the_whole_insert() -> None:
    _insert(_parties(3))
    with pytest.raises(IntegrityError):
        _insert(_parties(4, start=1))  # 001..002 exist
    assert _count() == 3  # nothing of the refused insert was written

    renamed = [(*row[:3], "renamed", row[4]) for row in _parties(4, start=1)]
    _insert(renamed, ignore_conflicts=True)
    assert _count() == 5
    assert Party.objects.filter(business_name="renamed").count() == 2  # 003 and 004 only
    assert Party.objects.get(party_id="001").business_name == "Operator 1"


def test_update_many_rows_by_key_the_last_values_of_a_row_given_twice_win() -> None:
    _insert(_parties(400))
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


def test_a_finite_decimal_is_stored_as_given_other_values_as_save_converts_them() -> None:
    from decimal import Decimal
    from unittest import mock

    from django.core.exceptions import ValidationError
    from django.db import models as dj_models

    from ocpi.core import db
    from ocpi.sessions.models import Session

    field = Session._meta.get_field("kwh")
    convert = db._converter(field, connection)
    amount = Decimal("12.345")
    prepare = dj_models.DecimalField.get_db_prep_save
    with mock.patch.object(
        dj_models.DecimalField, "get_db_prep_save", autospec=True, side_effect=prepare
    ) as spy:
        assert convert(amount) is amount
        assert spy.call_count == 0  # the field is not asked: it would give the same Decimal back
        assert convert(1.5) == Decimal("1.5")
        assert convert("7.25") == Decimal("7.25")
        assert spy.call_count == 2  # anything else: converted by the field, as `save` converts it
        with pytest.raises(ValidationError):
            convert(Decimal("NaN"))  # not finite: refused by the field, as `save` refuses it
