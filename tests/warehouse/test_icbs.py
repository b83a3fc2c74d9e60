"""Resolving an ICB code of either geography to the ICB(s) of today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from gpequity.errors import GpequityError
from gpequity.warehouse.icbs import (
    UnknownIcb,
    list_current_icbs,
    list_practices_of,
    resolve_icb,
)
from gpequity.warehouse.organisations import SCHEMA

OLD, END, NEW = date(2022, 7, 1), date(2026, 3, 31), date(2026, 4, 1)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """Mid and South Essex merged into Essex; Frimley split; Devon kept its code."""
    con = duckdb.connect()
    con.execute(SCHEMA)
    for code, name, short, start, end in (
        (
            "QH8",
            "NHS Mid and South Essex Integrated Care Board",
            "Mid and South Essex ICB",
            OLD,
            END,
        ),
        ("QNQ", "NHS Frimley Integrated Care Board", "Frimley ICB", OLD, END),
        ("QJK", "NHS Devon Integrated Care Board", "Devon ICB", OLD, END),
        ("QJK", "NHS Devon Integrated Care Board", "Devon ICB", NEW, None),
        ("D7T5G", "NHS Essex Integrated Care Board", "Essex ICB", NEW, None),
        (
            "QRL",
            "NHS Hampshire and Isle of Wight Integrated Care Board",
            "Hampshire and Isle of Wight ICB",
            NEW,
            None,
        ),
        ("S0E4D", None, None, NEW, None),
    ):
        con.execute(
            "INSERT INTO organisations VALUES ('icb', ?, NULL, ?, ?, NULL, ?, ?, 'test')",
            [code, name, short, start, end],
        )
    for code, successor in (("QH8", "D7T5G"), ("QNQ", "QRL"), ("QNQ", "S0E4D"), ("QJK", "QJK")):
        con.execute(
            "INSERT INTO organisation_successors VALUES (?, ?, ?, 1, 'test')",
            [code, successor, NEW],
        )
    for practice, icb, start in (
        ("L83001", "QJK", NEW),
        ("F81001", "D7T5G", NEW),
        ("L83001", "QJK", OLD),
    ):
        con.execute(
            "INSERT INTO practice_memberships VALUES (?, ?, '2026/27', ?, NULL, 'test', 'x')",
            [practice, start, icb],
        )
    yield con
    con.close()


def test_a_current_code_is_itself(con):
    resolution = resolve_icb(con, " qjk ")
    assert resolution.is_current and resolution.message == ""
    assert [i.code for i in resolution.current] == ["QJK"]
    assert resolution.icb.name == "NHS Devon Integrated Care Board"


def test_a_predecessor_names_its_successor_and_the_day(con):
    resolution = resolve_icb(con, "QH8")
    assert not resolution.is_current and resolution.changed_on == NEW
    assert [i.code for i in resolution.current] == ["D7T5G"]
    assert resolution.message == (
        "QH8 (Mid and South Essex ICB) became part of NHS Essex ICB (D7T5G) on 1 April 2026"
    )


def test_a_split_predecessor_names_every_successor(con):
    # Thames Valley has no official name loaded: its code stands for it.
    assert resolve_icb(con, "QNQ").message == (
        "QNQ (Frimley ICB) was split on 1 April 2026 between NHS Hampshire and Isle of Wight "
        "ICB (QRL) and S0E4D"
    )


def test_an_unknown_code_is_a_clear_error(con):
    with pytest.raises(UnknownIcb, match="no ICB has the code 'XYZ'"):
        resolve_icb(con, "XYZ")


def test_current_icbs_and_their_practices(con):
    assert [(i.code, i.label) for i in list_current_icbs(con)] == [
        ("D7T5G", "Essex ICB"),
        ("QJK", "Devon ICB"),
        ("QRL", "Hampshire and Isle of Wight ICB"),
        ("S0E4D", "S0E4D"),
    ]
    assert list_practices_of(con, "QJK") == ["L83001"]
    assert list_practices_of(con, "D7T5G") == ["F81001"]
    with pytest.raises(GpequityError, match=r"became part of NHS Essex ICB \(D7T5G\)"):
        list_practices_of(con, "QH8")


def test_a_predecessor_whose_practices_are_nowhere_today_says_so(con):
    con.execute(
        "INSERT INTO organisations VALUES ('icb', 'QZZ', NULL, 'NHS Zed Integrated Care Board', "
        "'Zed ICB', NULL, ?, ?, 'test')",
        [OLD, END],
    )
    resolution = resolve_icb(con, "QZZ")
    assert resolution.current == ()
    assert resolution.message == (
        "QZZ (Zed ICB) was an ICB until 31 March 2026; no ICB of today holds its practices"
    )
