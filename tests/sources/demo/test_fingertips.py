"""The Fingertips indicator exports."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from gpequity.sources import demo

from .conftest import PAYMENT_FILES, PRACTICES, imd_2019, read


@pytest.mark.parametrize(
    ("name", "per", "parent_is_pcn"),
    [
        ("indicator-91547-smoking-prevalence-qof.csv", 100, False),
        ("indicator-93930-ae-attendances-0-4.csv", 1000, True),
        ("indicator-219-hypertension-prevalence-qof.csv", 100, False),
    ],
)
def test_fingertips_exports_are_consistent_and_follow_deprivation(
    out: Path, name: str, per: int, parent_is_pcn: bool
) -> None:
    _, rows = read(out / "fingertips" / name)
    england = [r for r in rows if r["Area Type"] == "England"]
    practices = [r for r in rows if r["Area Type"] == "GPs"]
    assert len(england) == 1 and england[0]["Area Code"] == "E92000001"
    assert len(practices) > 0.95 * PRACTICES
    imd = imd_2019(out)
    pcn_codes = {r["Code"] for r in read(out / PAYMENT_FILES["2022/23"])[1]}
    pcn_codes |= {r["PCN Code"] for r in read(out / PAYMENT_FILES["2021/22"])[1]}
    for row in practices:
        if parent_is_pcn:
            assert row["Parent Code"] in pcn_codes
        else:
            assert (row["Parent Code"], row["Parent Name"]) == ("E92000001", "England")
        if not row["Value"]:
            assert row["Value note"] == demo.SUPPRESSED and row["Denominator"]
            continue
        value = float(row["Value"])
        assert value == pytest.approx(per * int(row["Count"]) / int(row["Denominator"]))
        assert float(row["Lower CI 95.0 limit"]) < value < float(row["Upper CI 95.0 limit"])
    counts = [int(r["Count"]) for r in practices if r["Count"]]
    assert int(england[0]["Count"]) >= sum(counts)
    scored = sorted(
        (imd[r["Area Code"]], float(r["Value"]))
        for r in practices
        if r["Value"] and r["Area Code"] in imd
    )
    fifth = len(scored) // 5
    least = statistics.mean(v for _, v in scored[:fifth])
    most = statistics.mean(v for _, v in scored[-fifth:])
    if "hypertension" in name:
        # Deprived lists are younger, which offsets their higher age-specific prevalence.
        assert abs(most - least) < 0.5 * least
    else:
        assert most > 1.2 * least
