"""``gpequity datapack`` on small synthetic warehouses: one ICB's pack as HTML or PDF, every
ICB's with ``--all`` in parallel, and a failed pack reported while the others are written."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from gpequity.analysis.icb import UnknownIcb
from gpequity.analysis.payments import UnknownYear
from gpequity.cli import app
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse

#: The ICBs kept in the small warehouse that ``--all`` runs over.
FEW_ICBS = ("QE1", "QHM", "QOP")
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("datapack-cli")
    generate_demo(tmp / "demo", seed=31, practices=300)
    path = tmp / "demo.duckdb"
    # Payments, deprivation and Fingertips indicators: a pack like the real data's.
    folders = ("lookups", "nhs-payments", "deprivation", "fingertips")
    build_warehouse(path, [tmp / "demo" / d for d in folders], synthetic=True)
    return path


@pytest.fixture(scope="module")
def few_db(db: Path) -> Path:
    """The same warehouse with the practices of three ICBs only, so --all makes three packs."""
    path = db.with_name("few.duckdb")
    shutil.copy(db, path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "DELETE FROM payments WHERE icb_code NOT IN (SELECT unnest(?))", [list(FEW_ICBS)]
        )
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["datapack", *args])


def test_one_icb_as_html(db: Path, tmp_path: Path) -> None:
    result = invoke(
        "--icb", "qhm", "--year", "22-23", "--format", "html", "--out", str(tmp_path),
        "--db", str(db),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "gpequity-datapack-QHM-2022-23.html"
    assert f"wrote {path}" in result.output
    assert "1 of 1 datapacks written" in result.output
    assert "NHS North East and North Cumbria" in path.read_text(encoding="utf-8")


def test_one_icb_as_pdf_for_the_latest_year(db: Path, tmp_path: Path) -> None:
    result = invoke("--icb", "QHM", "--out", str(tmp_path), "--db", str(db))
    assert result.exit_code == 0, result.output
    path = tmp_path / "gpequity-datapack-QHM-2022-23.pdf"  # pdf and the latest year by default
    assert path.read_bytes().startswith(b"%PDF-")


def test_all_icbs_in_parallel(few_db: Path, tmp_path: Path) -> None:
    result = invoke(
        "--all", "--format", "html", "--jobs", "2", "--out", str(tmp_path), "--db", str(few_db)
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [f"gpequity-datapack-{code}-2022-23.html" for code in FEW_ICBS]
    assert "3 of 3 datapacks written" in result.output


def test_a_failed_pack_is_reported_and_the_others_are_written(few_db: Path, tmp_path: Path) -> None:
    (tmp_path / "gpequity-datapack-QHM-2022-23.html").mkdir()  # in the way of QHM's pack
    result = invoke(
        "--all", "--format", "html", "--jobs", "2", "--out", str(tmp_path), "--db", str(few_db)
    )
    assert result.exit_code == 1
    # in words: it was "failed: QHM: IsADirectoryError: [Errno 21] Is a directory: '...'"
    in_the_way = tmp_path / "gpequity-datapack-QHM-2022-23.html"
    assert f"failed: QHM: cannot be written: {in_the_way}: Is a directory." in result.output
    assert "Errno" not in result.output and "Error:" not in result.output
    assert "2 of 3 datapacks written" in result.output
    for code in ("QE1", "QOP"):
        assert (tmp_path / f"gpequity-datapack-{code}-2022-23.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # With neither it said "not both" (issue 13).
        ([], "Error: Invalid value: give --icb CODE (repeatable) or --all\n"),
        (["--all", "--icb", "QHM"], "give --icb CODE (repeatable) or --all, not both\n"),
    ],
)
def test_either_icb_or_all(db: Path, args: list[str], message: str) -> None:
    result = invoke(*args, "--db", str(db))
    assert result.exit_code == 2
    assert result.output.endswith(message)


def test_an_out_that_is_a_file_is_one_line_before_any_work(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "packs"
    out.write_text("not a folder")
    result = invoke("--icb", "QE1", "--format", "html", "--out", str(out), "--db", str(db))
    assert str(result.exception) == f"--out {out}: is a file, not a folder."


def test_an_unknown_icb_or_year_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    result = invoke("--icb", "QZZ", "--out", str(tmp_path), "--db", str(db))
    assert isinstance(result.exception, UnknownIcb)
    assert str(result.exception).startswith("no ICB 'QZZ' in the 2022/23 payments file; ICBs: ")
    result = invoke("--icb", "QHM", "--year", "2030/31", "--out", str(tmp_path), "--db", str(db))
    assert isinstance(result.exception, UnknownYear)
    assert not any(tmp_path.iterdir())
