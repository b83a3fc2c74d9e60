"""The real-data pack of one ICB, printed: rendered to PNG pages with ``pdftoppm`` (Debian
poppler-utils) in ``test-artifacts/datapacks/`` for people to look at, and checked to have
the expected pages and the payments analysis's figures."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from gpequity.reports.batch import make_datapack
from gpequity.reports.render import Format, file_name

from .conftest import ICB, YEAR
from .test_pdf import assert_payments_figures_printed, pdf_pages

pytestmark = pytest.mark.realdata

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "datapacks"
#: QHM's 2022/23 pack of the real payments, IMD and four Fingertips files: cover; contents;
#: 1 overview; 2 payments (two pages: the two charts, then the measures); 2.1 payment lines;
#: 3 indicators (two pages: four indicators); 4 practices to look at; 5 methods (two pages).
EXPECTED_PAGES = 11
#: Resolution of the PNG pages: enough to read every table.
DPI = 70


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found:
        return found
    reason = "pdftoppm is not installed (Debian poppler-utils; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_real_pack_prints_on_the_expected_pages(real_db: Path) -> None:
    tool = pdftoppm()
    with duckdb.connect(str(real_db), read_only=True) as con:
        pdf = make_datapack(con, ICB, YEAR, Format.pdf)
        pages = pdf_pages(pdf)
        assert_payments_figures_printed(pages, con)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / file_name(ICB, YEAR, Format.pdf)
    path.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{path.stem}-*.png"):
        old.unlink()
    subprocess.run(
        [tool, "-r", str(DPI), "-png", str(path), str(ARTIFACTS / path.stem)],
        check=True,
        timeout=300,
    )
    images = sorted(ARTIFACTS.glob(f"{path.stem}-*.png"))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == EXPECTED_PAGES
    assert len(images) == EXPECTED_PAGES
    assert all(image.stat().st_size > 5_000 for image in images)  # none blank

    text = " ".join(" ".join(pages).split())
    assert "NHS North East and North Cumbria Integrated Care Board" in text
    assert "Synthetic" not in text
    # England's figures of the real 2022/23 files (docs/payments-analysis.md).
    # (Fifths formed among the practices with patients: issue 10.)
    for pounds in ("£170.72", "£172.38", "£161.48", "£155.66", "£154.70"):
        assert pounds in text
    assert "Smoking prevalence in adults (15+) - current smokers (QOF)" in text
