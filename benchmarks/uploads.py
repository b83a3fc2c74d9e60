"""Benchmark: hostile indicator uploads against a normal one, time and memory.

Issue 13 found tiny files that took minutes and gigabytes to read (20 million shared strings:
294 s and 1.8 GB; one 500 MB string: 1.4 GB; a sheet declared A1:XFD60000: 87 s; 10,000
empty CSV columns: 166 s). It reports, for each hostile file of
``tests/allocation/test_upload_limits.py`` (built by the same functions), the file's size, the
time ``parse_indicator_upload`` takes to refuse it and the memory it adds to the process
(sampled while it runs, and the process's peak), next to the in-run reference: a normal upload
of ``--practices`` (500) practices with three value columns, as CSV and as Excel, read in
full. A file PASSes when it is refused with its message within the tests' bounds (5 s, 150 MB).
Then the same files through a real request to the allocation page (a 422 with the message,
within the same bounds), next to a normal upload through the page.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import io
import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path
from types import ModuleType

from fastapi.testclient import TestClient
from openpyxl import Workbook

from gpequity.allocation.icbs import icb_practice_codes, list_icbs
from gpequity.allocation.upload import UploadResult, parse_indicator_upload
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse, connect
from gpequity.web.app import create_app

TESTS = Path(__file__).resolve().parents[1] / "tests" / "allocation" / "test_upload_limits.py"
MEGABYTE = 1024 * 1024
UNPROCESSABLE = 422


def hostile_files() -> ModuleType:
    """The test module that builds the hostile files (one definition of each)."""
    spec = importlib.util.spec_from_file_location("test_upload_limits", TESTS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def normal_upload(practices: int) -> tuple[bytes, bytes, set[str]]:
    """The same table as CSV and as Excel: practice code, name and three value columns."""
    codes = [f"A{81000 + n:05d}" for n in range(practices)]
    table: list[list[object]] = [
        ["Practice code", "Practice name", "Uptake %", "Smoking rate", "List size"]
    ]
    table += [
        [code, f"Practice {n}", 50 + n % 50, n % 30 / 3, 1000 + n] for n, code in enumerate(codes)
    ]
    csv = "\n".join(",".join(str(cell) for cell in row) for row in table).encode()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return csv, buffer.getvalue(), set(codes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    files = hostile_files()
    csv, xlsx, codes = normal_upload(args.practices)

    def reference(data: bytes, name: str) -> tuple[float, int]:
        def read() -> UploadResult:
            return parse_indicator_upload(data, name, codes, codes)

        runs = [files.measure(read) for _ in range(args.runs)]
        assert all(len(run.result.columns) == 3 and not run.result.problems for run in runs)
        return statistics.median(r.seconds for r in runs), max(r.growth for r in runs)

    print(
        f"reference: a normal upload of {args.practices:,} practices, 3 value columns, read in full"
    )
    for data, name in ((csv, "normal.csv"), (xlsx, "normal.xlsx")):
        seconds, growth = reference(data, name)
        print(
            f"  {name:<12} {len(data) / 1024:8,.0f} KB {seconds * 1000:9.1f} ms "
            f"{growth / MEGABYTE:7.1f} MB  (median of {args.runs}; most memory added)"
        )
    print(
        f"hostile files: refused within {files.SECONDS_PER_FILE:g} s and "
        f"{files.MEMORY_GROWTH_BYTES / MEGABYTE:.0f} MB"
    )
    failures = 0
    for hostile in files.HOSTILE:
        data = hostile.build()
        measured = files.measure(partial(files.parse, data, hostile.filename))
        messages = [problem.message for problem in measured.result.problems]
        passed = (
            messages == [hostile.message]
            and measured.seconds < files.SECONDS_PER_FILE
            and measured.growth < files.MEMORY_GROWTH_BYTES
        )
        failures += not passed
        print(
            f"  {'PASS' if passed else 'FAIL'} {hostile.build.__name__:<38} "
            f"{len(data) / 1024:8,.0f} KB {measured.seconds * 1000:9.1f} ms "
            f"{measured.growth / MEGABYTE:7.1f} MB  {messages[0] if messages else 'accepted'}"
        )
    failures += through_the_web_page(files, args.runs)
    return 1 if failures else 0


def through_the_web_page(files: ModuleType, runs: int) -> int:
    """The same files posted to the allocation page of an app over a demo warehouse (the
    server in this process, so the memory it adds is this process's), next to a normal upload
    of the ICB's practices through the same page. Returns the number of failures."""
    with tempfile.TemporaryDirectory() as folder:
        demo, db = Path(folder) / "demo", Path(folder) / "demo.duckdb"
        generate_demo(demo, seed=13, practices=300)
        build_warehouse(db, [demo])
        with connect(db) as con:
            icb = max(list_icbs(con), key=lambda entry: (entry.practices, entry.code)).code
            codes = sorted(icb_practice_codes(con, icb))
        normal = "Practice code,Need\n" + "".join(f"{c},{n}\n" for n, c in enumerate(codes))
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            files.post(client, "normal.csv", normal.encode(), icb)  # the app's first-use work
            reference = [
                files.measure(partial(files.post, client, "normal.csv", normal.encode(), icb))
                for _ in range(runs)
            ]
            print(
                f"through the web page (POST /allocate, {icb}): reference, a normal upload of "
                f"{len(codes)} practices: status {reference[0].result[0]}, "
                f"{statistics.median(r.seconds for r in reference) * 1000:.1f} ms, "
                f"{max(r.growth for r in reference) / MEGABYTE:.1f} MB"
            )
            failures = 0
            for hostile in files.HOSTILE:
                data = hostile.build()
                measured = files.measure(partial(files.post, client, hostile.filename, data, icb))
                status, page = measured.result
                passed = (
                    status == UNPROCESSABLE
                    and hostile.message in html.unescape(page)
                    and measured.seconds < files.SECONDS_PER_FILE
                    and measured.growth < files.MEMORY_GROWTH_BYTES
                )
                failures += not passed
                print(
                    f"  {'PASS' if passed else 'FAIL'} {hostile.build.__name__:<38} "
                    f"{status} {measured.seconds * 1000:9.1f} ms "
                    f"{measured.growth / MEGABYTE:7.1f} MB"
                )
    return failures


if __name__ == "__main__":
    sys.exit(main())
