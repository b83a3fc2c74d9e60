"""What only the allocation pages write: counted nouns, component weights, ratios, and the
plain numbers a table sorts by. Money, shares, points, people and indices are written by
:mod:`gpequity.formats`, as everywhere else; indicator values by
:func:`gpequity.charts.format_indicator_value`, as in the charts.
"""

from __future__ import annotations

from decimal import Decimal

from gpequity.formats import format_count, format_number

#: A ratio ("2.50 times as much") is written to two decimals.
RATIO_PLACES = 2


def count(n: int, singular: str, plural: str) -> str:
    """ "1 practice", "1,234 practices"."""
    return f"{format_count(n)} {singular if n == 1 else plural}"


def format_weight(value: Decimal) -> str:
    """A component's weight as typed: ``50%``, ``33.33%``."""
    return f"{format(value.normalize(), 'f')}%"


def format_times(value: Decimal) -> str:
    """A ratio to two decimals: 1.5 -> "1.50"."""
    return format_number(value, places=RATIO_PLACES)


def sort_text(value: Decimal | float | None) -> str | None:
    """A number as plain text to sort by."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else repr(float(value))
