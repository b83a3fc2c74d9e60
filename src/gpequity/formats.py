"""How a pound, a percentage, an index or a missing value is written: once, for every output.

The web pages, the datapacks and the command line all write their figures through these
functions, so the same figure reads the same wherever it is shown. Until December 2026 seven
formatters disagreed: the minus sign (``−£95.20`` on the web, ``£-95.20`` in the CLI), the
decimals of the concentration index (3, 4 or signed 4), the word for a missing value ("Not
available", "No value", "–", "-", "") and whether a sign was decided before or after rounding (a
gap of a tenth of a penny read "received £0.00 more" on one page and "the same" on another).

The rules, each once:

- a negative figure takes the true minus sign, U+2212 (``−£95.20``), never a hyphen;
- every figure is rounded half up (``Decimal``, not binary floats), and its sign and any words
  about it ("more", "less", "the same") are decided on the *rounded* figure, so a gap under half
  a penny is "the same" and never "−£0.00" or "£0.00 more";
- a missing value is written :data:`NOT_AVAILABLE`, whatever the figure;
- thousands are separated by commas.

Pure: no imports from the rest of gpequity, so every layer can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal, Protocol

#: The true minus sign (U+2212): a hyphen is too short to read as "minus" beside "£".
MINUS: Final = "\u2212"
#: The one way every output writes a value that does not exist (no practice, no data).
NOT_AVAILABLE: Final = "Not available"
#: The periods of a dataset that has none (the lookups): not a missing value, a fact.
NO_PERIODS: Final = "None"

#: Pounds and pence.
PENNY: Final = Decimal("0.01")
#: One decimal place: percentages, percentage points, "£1.2m".
TENTH: Final = Decimal("0.1")
#: Whole pounds, whole people.
UNIT: Final = Decimal(1)
#: An allocation per patient is written to a hundredth of a penny: a small pot shared over a
#: large list gives fractions of a penny, which two decimals would show as £0.00.
PER_PATIENT_PLACES: Final = 4
#: The concentration index (between -1 and 1) is written to four decimal places: ICBs differ
#: in the third.
INDEX_PLACES: Final = 4
#: Percentages and shares to one decimal place unless a table asks for fewer.
PERCENT_PLACES: Final = 1

THOUSAND: Final = Decimal(1_000)
MILLION: Final = Decimal(1_000_000)
BILLION: Final = Decimal(1_000_000_000)
#: The suffixes of a short sum of money, smallest first.
SHORT_SCALES: Final = ((THOUSAND, "k"), (MILLION, "m"), (BILLION, "bn"))
#: A large number of people is written in millions (62.1 million), never thousands.
PEOPLE_SCALES: Final = ((MILLION, " million"),)

Number = Decimal | float | int
Word = Literal["more", "less", "the same"]
#: The word for a difference, by its sign as written.
WORDS: Final[dict[int, Word]] = {1: "more", -1: "less", 0: "the same"}


def as_decimal(value: Number) -> Decimal:
    """The exact decimal a reader sees in ``repr``: ``0.1`` is 0.1, not 0.1000000000000000055."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_to(value: Number, step: Decimal) -> Decimal:
    """The value rounded half up to ``step`` (``PENNY``, ``TENTH``, ``UNIT``)."""
    return as_decimal(value).quantize(step, rounding=ROUND_HALF_UP)


def _step(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _written(
    value: Number | None, places: int, *, prefix: str = "", suffix: str = "", plus: bool = False
) -> str:
    """The one rule: rounded half up to ``places``, thousands separated, the sign of the rounded
    figure in front (``−`` U+2212; ``+`` too with ``plus``), :data:`NOT_AVAILABLE` for none."""
    if value is None:
        return NOT_AVAILABLE
    amount = round_to(value, _step(places))
    return _signed(amount, f"{prefix}{abs(amount):,.{places}f}{suffix}", plus=plus)


def _signed(amount: Decimal, text: str, *, plus: bool = False) -> str:
    """``text`` (written from the absolute value) with the sign of the rounded ``amount``.

    ``Decimal("-0.00")`` is not below zero, so a figure that rounds to nought takes no sign.
    """
    if amount < 0:
        return MINUS + text
    if plus and amount > 0:
        return "+" + text
    return text


# --- money ----------------------------------------------------------------------------------


def format_pounds(value: Number | None, places: int = 2) -> str:
    """Pounds and pence: ``£170.74``, ``−£3.25``, ``£1,234,567.89``; :data:`NOT_AVAILABLE`."""
    return _written(value, places, prefix="£")


def format_pounds_whole(value: Number | None) -> str:
    """Whole pounds: ``£10,230,094,805`` (the CSV downloads keep the pence)."""
    return format_pounds(value, places=0)


def format_pounds_short(value: Number | None) -> str:
    """A large sum for a sentence: ``£10.2bn``, ``£870.3m``, ``£12.5k``, ``£950``."""
    return _short(value, SHORT_SCALES, format_pounds_whole, prefix="£")


def _short(
    value: Number | None,
    scales: Sequence[tuple[Decimal, str]],
    whole: Callable[[Number], str],
    *,
    prefix: str = "",
) -> str:
    """A large figure to a tenth of the largest of ``scales`` (smallest first) that keeps it
    under a thousand: ``£870.3m``, ``62.1 million``; under the smallest, written ``whole``."""
    if value is None:
        return NOT_AVAILABLE
    amount = as_decimal(value)
    size = abs(amount)
    if round_to(size, UNIT) < scales[0][0]:
        return whole(value)
    # Decided on the rounded figure, so £999,960 is "£1.0m", not "£1,000.0k".
    largest = scales[-1][0]
    scale, suffix = next(
        (scale, suffix)
        for scale, suffix in scales
        if round_to(size / scale, TENTH) < THOUSAND or scale == largest
    )
    return _signed(amount, f"{prefix}{round_to(size / scale, TENTH):,}{suffix}")


def format_change(value: Number | None) -> str:
    """A change of money, always signed: ``+£822.51``, ``−£1,225.10``, ``£0.00``."""
    return _written(value, 2, prefix="£", plus=True)


def format_per_patient(value: Number | None) -> str:
    """An allocation per patient, to a hundredth of a penny: ``£0.1234``, ``£12.3400``."""
    return format_pounds(value, places=PER_PATIENT_PLACES)


def compare_word(difference: Number) -> Word:
    """ "more", "less" or "the same" for a difference of money, decided on the rounded pence.

    A difference under half a penny is "the same": the page shows the figure to the penny, and
    "received £0.00 more" contradicts itself.
    """
    return WORDS[sign_as_written(difference, places=2)]


def compare_amounts(amount: Number, other: Number) -> Word:
    """Whether ``amount`` is "more", "less" or "the same" as ``other``, both as written to the
    penny: two sums that both read £170.74 are "the same"."""
    return compare_word(round_to(amount, PENNY) - round_to(other, PENNY))


def sign_as_written(value: Number, places: int) -> int:
    """1, -1 or 0: the sign of ``value`` once rounded to ``places`` decimals, as it is shown.

    A sentence about a figure ("Negative: ...") must agree with the figure beside it, so it
    asks this, not the unrounded value.
    """
    amount = round_to(value, _step(places))
    return (amount > 0) - (amount < 0)


# --- percentages ----------------------------------------------------------------------------


def format_percent(value: Number | None, places: int = PERCENT_PLACES) -> str:
    """A figure already in percent: ``12.3%``, ``−4.0%``."""
    return _written(value, places, suffix="%")


def format_share(value: Number | None, places: int = PERCENT_PLACES) -> str:
    """A fraction of 1 as a percentage: ``0.123456`` is ``12.3%``."""
    return NOT_AVAILABLE if value is None else format_percent(as_decimal(value) * 100, places)


def format_points(value: Number | None) -> str:
    """A difference of two fractions in percentage points, signed: ``+2.3 points``."""
    if value is None:
        return NOT_AVAILABLE
    return _written(as_decimal(value) * 100, 1, suffix=" points", plus=True)


# --- counts and plain numbers -----------------------------------------------------------------


def format_count(value: int | None) -> str:
    """A count with thousands separators: ``6,669``."""
    return NOT_AVAILABLE if value is None else format_number(value, places=0)


def format_people(value: Number | None) -> str:
    """Patients to the whole person (the files give averages over quarters): ``62,134,645``."""
    return format_number(value, places=0)


def format_people_short(value: Number | None) -> str:
    """``62.1 million``, or the whole number under a million."""
    return _short(value, PEOPLE_SCALES, format_people)


def format_number(value: Number | None, places: int = 1) -> str:
    """A plain number to ``places`` decimals with thousands separators: ``1,234.5``."""
    return _written(value, places)


def format_index(value: Number | None) -> str:
    """A concentration index to :data:`INDEX_PLACES` places, unsigned when positive: ``0.0235``.

    The slope index of inequality is money per weighted patient and is written with
    :func:`format_pounds`.
    """
    return format_number(value, places=INDEX_PLACES)


class Bounds(Protocol):
    """A confidence interval (``gpequity.intervals.Interval``): its two bounds."""

    @property
    def lower(self) -> float: ...

    @property
    def upper(self) -> float: ...


def format_with_interval(
    value: Number | None,
    interval: Bounds | None,
    write: Callable[[Number | None], str] = format_pounds,
    *,
    level: float = 0.95,
) -> str:
    """A figure and its confidence interval, each written by ``write``:
    ``£16.02 (95% CI £13.22 to £18.96)``, ``0.0235 (95% CI 0.0202 to 0.0267)``; the figure
    alone when it has no interval, :data:`NOT_AVAILABLE` when it has no value."""
    if value is None:
        return NOT_AVAILABLE
    if interval is None:
        return write(value)
    percent = format_number(level * 100, places=0)
    return f"{write(value)} ({percent}% CI {write(interval.lower)} to {write(interval.upper)})"


def format_date(day: date) -> str:
    """A day as a sentence writes it: ``14 March 2025``."""
    return f"{day.day} {day:%B %Y}"


# --- words ------------------------------------------------------------------------------------


def list_in_words(items: Sequence[str], last: str = "or") -> str:
    """``2020/21, 2021/22 or 2022/23``; ``none`` for no items."""
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def sentence_case(text: str) -> str:
    """The text with its first letter in capitals."""
    return text[:1].upper() + text[1:]
