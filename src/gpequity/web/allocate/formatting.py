"""How the allocation pages write money, shares, weights, indicator values and counts.

Each rule once, for every allocation page (the results, compare and sensitivity pages).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from gpequity.allocation import PENCE, Unit

#: Shown where the engine gives no value.
NOT_AVAILABLE = "Not available"
MINUS = "\u2212"
TENTH = Decimal("0.1")


def count(n: int, singular: str, plural: str) -> str:
    """ "1 practice", "1,234 practices"."""
    return f"{n:,} {singular if n == 1 else plural}"


def format_pounds(value: Decimal) -> str:
    """£1,234.56; −£1,234.56."""
    sign = MINUS if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def format_change(value: Decimal) -> str:
    """+£822.51, −£1,225.10, £0.00."""
    if value == 0:
        return "£0.00"
    return ("+" if value > 0 else MINUS) + f"£{abs(value):,.2f}"


def format_per_patient(value: Decimal | None) -> str:
    return NOT_AVAILABLE if value is None else f"£{value:,.4f}"


def format_share(value: Decimal | float) -> str:
    """A fraction of 1 as a percentage: 0.123456 -> 12.3%."""
    percent = (Decimal(str(value)) * 100).quantize(TENTH, ROUND_HALF_UP)
    return f"{percent}%"


def format_points(value: Decimal) -> str:
    """A difference of two fractions in percentage points: +2.3 points."""
    points = (value * 100).quantize(TENTH, ROUND_HALF_UP)
    if points == 0:
        return "0.0 points"
    return ("+" if points > 0 else MINUS) + f"{abs(points)} points"


def format_times(value: Decimal) -> str:
    """A ratio to two decimals: 1.5 -> "1.50"."""
    return str(value.quantize(PENCE, ROUND_HALF_UP))


def format_people(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_value(value: float | None, unit: Unit) -> str:
    """An indicator value: 72.5%, 13.98, 1,234.57 (at most two decimals)."""
    if value is None:
        return "missing"
    number = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == Unit.PERCENTAGE else text


def format_weight(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def format_index(value: float | None) -> str:
    if value is None:
        return NOT_AVAILABLE
    text = f"{abs(value):.3f}"
    return (MINUS + text) if value < 0 and text != "0.000" else text


def sort_text(value: Decimal | float | None) -> str | None:
    """A number as plain text to sort by."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else repr(float(value))
