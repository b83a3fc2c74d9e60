"""The issue's case on the real eFIT files: a file of the user's own indicator covering 5% of
West and North London's practices (Z9B2Z), weighted 50%. The CLI's JSON and the web page say
which component and how many practices were given the median; over half missing needs the
confirmation (``--allow-sparse``, the form's tick box). The API takes no file: the same warning
through it is tested on a catalogue indicator in test_warnings.py.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.allocation.icbs import icb_practice_codes
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse, connect
from gpequity.web.app import create_app

pytestmark = pytest.mark.realdata

ICB = "Z9B2Z"
COVERED = 0.05


@pytest.fixture(scope="module")
def warehouse(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("efit-real-warnings") / "efit.duckdb"
    build_warehouse(db, [real_data_dir / "efit"], allow_rejects=True)
    return db


@pytest.fixture(scope="module")
def upload(warehouse: Path) -> tuple[bytes, int, int]:
    """The file (5% of the ICB's practices with a value), the practices, those without one."""
    with connect(warehouse) as con:
        codes = sorted(icb_practice_codes(con, ICB))
    covered = codes[: int(len(codes) * COVERED)]
    lines = ["Practice code,Local score", *(f"{c},{10 + n}" for n, c in enumerate(covered))]
    return "\n".join(lines).encode(), len(codes), len(codes) - len(covered)


def message(practices: int, missing: int) -> str:
    share = f"{100 * missing / practices:.1f}%"
    return (
        f"'Local score' has no value for {missing} practices of {practices} ({share}): they "
        "were given the ICB median of the practices that have one. You confirmed its use."
    )


def test_the_cli(warehouse: Path, upload: tuple[bytes, int, int], tmp_path: Path) -> None:
    data, practices, missing = upload
    path = tmp_path / "local.csv"
    path.write_bytes(data)
    args = [
        "allocate",
        "--icb",
        ICB,
        "--amount",
        "1000000",
        "--component",
        "imd:50",
        "--component",
        "upload:local-score:50",
        "--indicators-file",
        str(path),
        "--format",
        "json",
        "--db",
        str(warehouse),
    ]
    refused = CliRunner().invoke(app, args, catch_exceptions=False)
    assert refused.exit_code == 1
    assert "- --allow-sparse: 'Local score' (component 2) has no value for" in refused.stderr
    result = CliRunner().invoke(app, [*args, "--allow-sparse"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert [(w["code"], w["component"], w["message"], len(w["practices"])) for w in warnings] == [
        ("sparse-component", "upload:local-score", message(practices, missing), missing)
    ]


def test_the_web_page(warehouse: Path, upload: tuple[bytes, int, int]) -> None:
    data, practices, missing = upload
    form = {
        "icb": ICB,
        "amount": "1000000",
        "method": "recommended",
        "c1": "imd",
        "w1": "50",
        "c2": "upload:local-score",
        "w2": "50",
    }
    with TestClient(create_app(warehouse)) as client:
        uploaded = client.post(
            "/allocate",
            data={**form, "action": "upload"},
            files={"indicators_file": ("local.csv", data, "text/csv")},
        )
        assert uploaded.status_code == 200
        carried = re.search(r'name="upload_data" value="([^"]*)"', uploaded.text)
        assert carried is not None
        calculate = {
            **form,
            "action": "calculate",
            "upload_data": html.unescape(carried.group(1)),
            "upload_name": "local.csv",
        }
        refused = client.post("/allocate", data=calculate)
        assert refused.status_code == 422
        assert 'id="allow_sparse-error"' in refused.text
        page = client.post("/allocate", data={**calculate, "allow_sparse": "1"})
    assert page.status_code == 200
    assert message(practices, missing) in html.unescape(page.text)
