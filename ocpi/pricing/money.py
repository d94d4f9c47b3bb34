"""Money rounding: the one place where an exact amount becomes an amount of money.

OCPI 2.2.1 leaves rounding open (§11.3.1 Tariff, NOTE: "There are no parameters related to price
rounding ... price rounding has to be done according to rules and restrictions set by applicable laws,
contracts between the parties using OCPI and the currency used"). Our choice, documented in
docs/pricing.md:

* every amount is computed exactly (Decimal, or an exact Fraction where a charging period is split);
* money is rounded once, at the end, to the minor unit of the tariff's currency (ISO 4217 exponent),
  with ROUND_HALF_UP (halves away from zero). The spec's own examples round this way: 20.5 kWh at
  0.25 = 5.125 is shown as 5.13 (§11.3.1.1, Simple Tariff example with alternative URL);
* a total is the rounded exact total, and its parts are apportioned by the largest-remainder method so
  that the rounded parts always add up to the rounded total (the spec's complex example shows parts
  2.875 + 3.30 + 4.125 incl. VAT and a total of 10.30, which rounding each part first would break).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

Exact = Decimal | Fraction
"""An exact amount: a Decimal, or a Fraction where pro-rating made the value non-terminating."""

# ISO 4217 currencies whose minor unit is not 2 decimals; every other code uses 2.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
            "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip


def minor_unit(currency: str) -> int:
    """Number of decimals of the currency's minor unit (ISO 4217 exponent; 2 when not listed)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to an integer, halves away from zero (denominator > 0)."""
    units = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return -units if numerator < 0 else units


def _amount(units: int, digits: int) -> Decimal:
    return Decimal(units).scaleb(-digits)


def round_money(amount: Exact, currency: str) -> Decimal:
    """Round an exact amount to the currency's minor unit, halves away from zero (ROUND_HALF_UP)."""
    digits = minor_unit(currency)
    numerator, denominator = amount.as_integer_ratio()
    return _amount(_half_up(numerator * 10**digits, denominator), digits)


def round_within(amount: Exact, low: Decimal | None, high: Decimal | None, currency: str) -> Decimal:
    """Round a total bounded by min_price/max_price without leaving the bounds (§11.3.1).

    Rounds half up like every amount, but never below `low` (rounded up to the minor unit) nor above
    `high` (rounded down): a max_price of 0.6050 caps the total at 0.60, never 0.61. When the rounded
    bounds cross, the max wins, as it does for the exact amounts.
    """
    quantum = _quantum(currency)
    total = round_money(amount, currency)
    if low is not None:
        total = max(total, low.quantize(quantum, rounding=ROUND_CEILING))
    if high is not None:
        total = min(total, high.quantize(quantum, rounding=ROUND_FLOOR))
    return total


def settle(parts: Sequence[Exact], currency: str) -> tuple[list[Decimal], Decimal]:
    """Round the exact total of `parts` once and apportion it over the parts (largest remainder).

    Returns the rounded parts and the rounded total; the rounded parts sum to the rounded total
    exactly, and each rounded part is within one minor unit of its exact value. Ties between equal
    remainders go to the earlier part, so the result is deterministic. Integer arithmetic on the exact
    ratios throughout: nothing is approximated.
    """
    digits = minor_unit(currency)
    scale = 10**digits
    ratios = [part.as_integer_ratio() for part in parts]
    common = math.lcm(*(denominator for _, denominator in ratios))
    scaled = [numerator * scale * (common // denominator) for numerator, denominator in ratios]
    total = _half_up(sum(scaled), common)
    floors = [value // common for value in scaled]
    missing = total - sum(floors)
    if missing:
        remainders = [value % common for value in scaled]
        for i in sorted(range(len(parts)), key=lambda i: (-remainders[i], i))[:missing]:
            floors[i] += 1
    return [_amount(units, digits) for units in floors], _amount(total, digits)
