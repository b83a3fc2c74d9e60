"""The allocation form's fields: the component select's options and the ICB select."""

from __future__ import annotations

from gpequity.allocation import ComponentKind, Direction, Unit
from gpequity.allocation.catalogue import IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.web.allocate.fields import icb_options, indicator_groups, indicator_option_text

IMD = IndicatorEntry("imd", "Deprivation score", Unit.SCORE, Direction.HIGHER, None, "imd", 1.0)
SCREENING = IndicatorEntry(
    "bowel-screening", "Bowel screening", Unit.PERCENTAGE, Direction.LOWER, None, "efit", 0.964
)
POPULATION = IndicatorEntry(
    "population",
    "Population only",
    Unit.COUNT,
    Direction.HIGHER,
    None,
    "registered",
    kind=ComponentKind.POPULATION,
)


def test_an_option_says_the_direction_and_the_coverage() -> None:
    assert indicator_option_text(SCREENING) == (
        "Bowel screening (lower = more need) — 96% of practices have a value"
    )
    assert indicator_option_text(IMD) == "Deprivation score — every practice has a value"
    assert indicator_option_text(POPULATION) == "Population only"


def test_the_options_are_grouped_with_none_first_and_the_choice_selected() -> None:
    groups = indicator_groups([IMD, SCREENING, POPULATION], "bowel-screening")
    assert [g.label for g in groups] == [None, "Deprivation and population", "eFIT tool indicators"]
    assert [o.value for o in groups[0].options] == [""]
    selected = [o.value for g in groups for o in g.options if o.selected]
    assert selected == ["bowel-screening"]


def test_an_unknown_choice_is_kept_and_said_to_be_unavailable() -> None:
    groups = indicator_groups([IMD], "upload:mine", allow_none=False)
    assert [(o.value, o.text, o.selected) for o in groups[0].options] == [
        ("upload:mine", "upload:mine (not available)", True)
    ]


def test_an_icb_not_in_the_data_is_kept_and_said_to_be_unknown() -> None:
    [group] = icb_options([IcbEntry("QHM", "North East", 10)], "QZZ")
    assert [(o.value, o.selected) for o in group.options] == [
        ("", False),
        ("QZZ", True),
        ("QHM", False),
    ]
