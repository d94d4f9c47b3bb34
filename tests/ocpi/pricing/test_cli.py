"""`manage.py ocpi_price`: a tariff and a CDR or Session file, as a table or as JSON; invalid input
exits with status 2 and names the file and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import EXAMPLES

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[3]
TARIFF_14 = str(EXAMPLES / "tariff_14_step_size.json")
CDR = str(DATA / "cdr_switching_element_1.json")


def run(*args: str) -> str:
    out = StringIO()
    call_command("ocpi_price", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def cdr_tariff(tmp_path: Path) -> str:
    """The tariff embedded in the spec's CDR example, as a file."""
    path = tmp_path / "tariff_12.json"
    path.write_text(json.dumps(json.loads((EXAMPLES / "cdr_example.json").read_text())["tariffs"][0]))
    return str(path)


def test_table_shows_which_element_priced_which_part(cdr_tariff: str) -> None:
    """16:55-17:05 Amsterdam time (from cdr_location.time_zone) crosses 17:00: two elements."""
    out = run(TARIFF_14, CDR)
    assert "CDR CDR-14-1 priced with tariff 22 (EUR)" in out
    assert "Time zone Europe/Amsterdam (from cdr_location.time_zone)" in out
    lines = out.splitlines()
    rows = [line.split() for line in lines if line[:1].isdigit()]
    assert [(r[0], r[2], r[5], r[6]) for r in rows] == [
        ("0", "16:55:00", "TIME", "0"),
        ("0", "17:00:00", "TIME", "1"),
        ("1", "17:05:00", "PARKING_TIME", "1"),
    ]
    assert rows[2][9:11] == ["0.2500", "h"]  # 2 parking minutes billed as 15
    assert any(line.split() == ["total_cost", "0.55", "0.55"] for line in lines)


def test_table_of_the_spec_cdr_example(cdr_tariff: str) -> None:
    out = run(cdr_tariff, str(EXAMPLES / "cdr_example.json"))
    assert "Time zone UTC (default)" in out
    assert any(line.split() == ["total_time_cost", "4.00", "4.40"] for line in out.splitlines())


def test_json_holds_the_cdr_total_fields(cdr_tariff: str) -> None:
    document = json.loads(run("--json", cdr_tariff, str(EXAMPLES / "cdr_example.json")), parse_float=Decimal)
    assert document["total_cost"] == {"excl_vat": Decimal("4.00"), "incl_vat": Decimal("4.40")}
    assert document["total_time"] == Decimal("1.9730")
    assert set(document) == {
        "total_cost", "total_fixed_cost", "total_energy", "total_energy_cost", "total_time",
        "total_time_cost", "total_parking_time", "total_parking_cost", "total_reservation_cost",
    }  # fmt: skip


def test_json_with_tz_overrides_the_object(cdr_tariff: str) -> None:
    """In UTC the whole session (14:55-15:07) is before 17:00: € 1.20/h for 10 min, parking 15 min."""
    document = json.loads(run("--json", "--tz", "UTC", TARIFF_14, CDR), parse_float=Decimal)
    assert document["total_time_cost"]["excl_vat"] == Decimal("0.20")
    assert document["total_cost"]["excl_vat"] == Decimal("0.45")


def test_a_session_in_progress(tmp_path: Path) -> None:
    session = json.loads((EXAMPLES / "session_example_1_simple_start.json").read_text())
    path = tmp_path / "session.json"
    path.write_text(json.dumps(session))
    document = json.loads(
        run("--json", str(EXAMPLES / "tariff_9_025kwh_start.json"), str(path)), parse_float=Decimal
    )
    assert document["total_cost"] == {"excl_vat": Decimal("0.50"), "incl_vat": Decimal("0.60")}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"start_date_time": ', "bad.json: not valid JSON"),
        ("[1, 2]", "bad.json: body: must be a JSON object"),
        ('{"charging_periods": []}', "bad.json: start_date_time: missing required field"),
        (
            '{"start_date_time": "2024-06-03T14:55:00Z", "charging_periods": [{"start_date_time": '
            '"2024-06-03T14:55:00Z", "dimensions": [{"type": "ENERGY", "volume": "ten"}]}]}',
            "bad.json: charging_periods[0].dimensions[0].volume:",
        ),
        (
            '{"start_date_time": "2024-06-03T14:55:00Z", "charging_periods": [{"start_date_time": '
            '"2024-06-03T14:55:00Z", "dimensions": [{"type": "WATTS", "volume": 1}]}]}',
            "bad.json: charging_periods[0].dimensions[0].type:",
        ),
        (
            '{"start_date_time": "2024-06-03T14:55:00Z", "end_date_time": "2024-06-03T14:00:00Z", '
            '"cdr_location": {}, "charging_periods": [{"start_date_time": "2024-06-03T14:55:00Z", '
            '"dimensions": [{"type": "TIME", "volume": 1}]}]}',
            "bad.json: end_date_time: is before the start of the last charging period",
        ),
        (
            '{"start_date_time": "2024-06-03T14:55:00Z", "time_zone": "Mars/Base"}',
            "bad.json: time_zone: unknown",
        ),
    ],
)
def test_invalid_input_names_the_field(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError) as error:
        run(TARIFF_14, str(path))
    assert error.value.returncode == 2
    assert expected in str(error.value)


def test_invalid_tariff_names_the_field(tmp_path: Path) -> None:
    tariff = json.loads(Path(TARIFF_14).read_text())
    tariff["elements"][1]["price_components"][0]["type"] = "KWH"
    path = tmp_path / "tariff.json"
    path.write_text(json.dumps(tariff))
    with pytest.raises(CommandError) as error:
        run(str(path), CDR)
    assert error.value.returncode == 2
    assert "tariff.json: not a valid Tariff: elements[1].price_components[0].type:" in str(error.value)


def test_unknown_zone_and_missing_file() -> None:
    with pytest.raises(CommandError, match="--tz: unknown time zone") as error:
        run("--tz", "Europe/Atlantis", TARIFF_14, CDR)
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match=r"missing\.json: cannot read") as error:
        run(TARIFF_14, "missing.json")
    assert error.value.returncode == 2


def test_exit_status_2_from_the_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "cdr.json"
    bad.write_text('{"start_date_time": "yesterday"}')
    done = subprocess.run(
        [sys.executable, "manage.py", "ocpi_price", TARIFF_14, str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "cdr.json: start_date_time:" in done.stderr
    assert done.stdout == ""
