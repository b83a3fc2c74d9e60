"""The demo generator's tests share one demo folder and these readers of its files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gpequity.sources import demo

PAYMENT_FILES = {
    "2020/21": "nhs-payments/nhspaymentsgp-20-21-prac-csv.csv",
    "2021/22": "nhs-payments/nhspaymentsgp-21-22-prac-csv.csv",
    "2022/23": "nhs-payments/nhspaymentsgp-22-23-prac-csv.csv",
}
REGISTERED = "Number of Registered Patients (Last Known Figure)"
WEIGHTED = "Number of Weighted Patients (Last Known Figure)"
#: Practices in the shared demo: enough for stable statistics, quick to write.
PRACTICES = 1000


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    demo.generate_demo(folder, seed=7, practices=PRACTICES)
    return folder


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def imd_2019(out: Path) -> dict[str, float]:
    _, rows = read(out / "deprivation/practice-imd-93553.csv")
    return {r["AreaCode"]: float(r["Value"]) for r in rows if r["Year"] == "2019"}
