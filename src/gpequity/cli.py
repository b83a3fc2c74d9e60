"""The ``gpequity`` command: parse arguments, call the modules, format the output.

Thin by design: no figure is computed here, so a number is the same wherever it is shown.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from gpequity import config
from gpequity.commands.allocate import allocate_command, indicators_command
from gpequity.commands.compare import compare_command, sensitivity_command
from gpequity.commands.datapack import datapack_command
from gpequity.commands.payments import payments_app
from gpequity.errors import GpequityError
from gpequity.formats import NO_PERIODS
from gpequity.output import Format, progress_bar, render_rows

app = typer.Typer(
    help="Fairer English general practice funding: the NHS payments warehouse, equity "
    "analyses and the eFIT allocation tool.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(
    help="Build and inspect the warehouse of official NHS files.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
app.add_typer(payments_app, name="payments")
app.command("allocate")(allocate_command)
app.command("indicators")(indicators_command)
app.command("compare")(compare_command)
app.command("sensitivity")(sensitivity_command)
app.command("datapack")(datapack_command)

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse file [default: $GPEQUITY_DB or data/gpequity.duckdb]."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def _progress() -> Progress:
    return progress_bar(err_console)


def _load(sources: list[Path], db: Path | None, *, allow_rejects: bool, synthetic: bool) -> None:
    from gpequity.warehouse.build import build_warehouse, detect_files, files_in

    db_file = config.db_path(db)
    detected, _ = detect_files(p for s in sources for p in files_in(s))
    with _progress() as progress:
        task = progress.add_task("Loading", total=len(detected) + 1)

        def step(message: str) -> None:
            progress.update(task, description=f"Loading {message}")
            progress.advance(task)

        result = build_warehouse(
            db_file, sources, synthetic=synthetic, allow_rejects=allow_rejects, progress=step
        )
    rows = [
        [r.dataset, r.period or "", Path(r.path).name, r.rows_read, r.rows_loaded, r.rows_rejected]
        for r in result.reports
    ]
    render_rows(
        console,
        Format.table,
        ["dataset", "period", "file", "rows read", "loaded", "rejected"],
        rows,
        title=f"Loaded into {db_file}",
    )
    for note in result.ignored:
        err_console.print(f"[yellow]note:[/] {note}")
    warnings = [w for r in result.reports for w in r.warnings] + result.warnings
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")


@data_app.command("load")
def data_load(
    source: Annotated[
        list[Path],
        typer.Option("--source", help="Folder (or file) of official files; repeatable."),
    ],
    db: DbOption = None,
    allow_rejects: Annotated[
        bool,
        typer.Option(
            "--allow-rejects",
            help="Load the good rows even when some rows are rejected (each is "
            "listed and recorded in load_rejections).",
        ),
    ] = False,
    synthetic: Annotated[
        bool,
        typer.Option(
            "--synthetic",
            help="Flag the warehouse as synthetic (automatic when a source "
            "folder holds a SYNTHETIC marker).",
        ),
    ] = False,
) -> None:
    """Build the warehouse from the official files in DIR (dataset recognised from each file)."""
    _load(source, db, allow_rejects=allow_rejects, synthetic=synthetic)


@data_app.command("status")
def data_status(db: DbOption = None, format: FormatOption = Format.table) -> None:
    """Show the datasets, periods, row counts and sources in the warehouse."""
    from gpequity.output import to_jsonable
    from gpequity.warehouse.status import read_status

    status = read_status(config.db_path(db))
    header = [
        "dataset",
        "period",
        "file",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "sha256",
        "loaded_at",
    ]
    rows = [
        [
            s.dataset,
            s.period or "",
            s.path,
            s.rows_read,
            s.rows_loaded,
            s.rows_rejected,
            s.sha256,
            s.loaded_at,
        ]
        for s in status.sources
    ]
    value = {
        "db": status.db_path,
        "synthetic": status.synthetic,
        "built_at": status.built_at,
        "datasets": status.datasets,
        "tables": status.tables,
        "sources": [dict(zip(header, r, strict=True)) for r in rows],
        "warnings": status.warnings,
        "icb_geographies": [g.description for g in status.geographies],
    }
    if format is Format.table:
        kind = "[bold red]SYNTHETIC demonstration data[/]" if status.synthetic else "real data"
        console.print(f"Warehouse {status.db_path}: {kind}, built {status.built_at}")
        render_rows(
            console,
            format,
            ["dataset", "periods"],
            [[d, ", ".join(p) or NO_PERIODS] for d, p in status.datasets.items()],
            title="Datasets",
        )
        render_rows(
            console,
            format,
            header[:6],
            [
                [
                    s.dataset,
                    s.period or NO_PERIODS,
                    Path(s.path).name,
                    s.rows_read,
                    s.rows_loaded,
                    s.rows_rejected,
                ]
                for s in status.sources
            ],
            title="Sources",
        )
        render_rows(console, format, ["table", "rows"], list(status.tables.items()), title="Tables")
        for geography in status.geographies:
            console.print(f"ICB geography {geography.description}", markup=False)
        for warning in status.warnings:
            console.print(f"warning: {warning}", markup=False, highlight=False)
    else:
        render_rows(console, format, header, rows, json_value=to_jsonable(value))


@data_app.command("demo")
def data_demo(
    out: Annotated[Path, typer.Option(help="Folder to write the synthetic files to.")] = (
        config.DEFAULT_DEMO_DIR
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = (
        2023
    ),
    practices: Annotated[int, typer.Option(min=50, help="Number of practices.")] = 6500,
    load: Annotated[bool, typer.Option(help="Also build the warehouse from them.")] = False,
    db: DbOption = None,
) -> None:
    """Write synthetic demonstration data in the exact official file formats."""
    from gpequity.sources.demo import generate_demo

    with _progress() as progress:
        task = progress.add_task("Generating", total=None)

        def step(message: str) -> None:
            progress.update(task, description=f"Generating {message}")

        files = generate_demo(out, seed=seed, practices=practices, progress=step)
    console.print(f"Wrote {len(files)} synthetic files to {out} (seed {seed}).")
    if load:
        _load([out], db, allow_rejects=False, synthetic=True)


@data_app.command("fetch")
def data_fetch(
    dest: Annotated[Path, typer.Option(help="Folder to save the raw files to.")] = (
        config.DEFAULT_RAW_DIR
    ),
    mirror: Annotated[
        str | None,
        typer.Option(
            help="Base URL of a mirror laid out like ../shared/data "
            "[default: $GPEQUITY_FETCH_MIRROR, else the publishers]."
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Fetch only this dataset; repeatable.")
    ] = None,
    load: Annotated[bool, typer.Option(help="Build the warehouse from the files after.")] = True,
    db: DbOption = None,
) -> None:
    """Download the official files from their publishers (resumable), then load them."""
    from gpequity.sources.download import fetch_datasets

    hooks = _RichFetchHooks()
    with hooks.progress:
        result = fetch_datasets(dest, mirror=mirror, only=only, progress=hooks)
    for name in result.downloaded:
        console.print(f"downloaded {name}")
    for name in result.skipped:
        console.print(f"already complete: {name}")
    for failure in result.failures:
        err_console.print(f"[red]failed:[/] {failure}")
    if load and (result.downloaded or result.skipped):
        _load([dest], db, allow_rejects=False, synthetic=False)
    if result.failures:
        raise typer.Exit(1)


class _RichFetchHooks:
    """Download progress as a Rich progress bar."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} / {task.total:,.0f} bytes"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self._task: object = None

    def start(self, total_files: int) -> None:
        self.progress.console.print(f"Fetching {total_files} files")

    def file_started(self, name: str, total_bytes: int | None) -> None:
        self._task = self.progress.add_task(name, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self.progress.advance(self._task, nbytes)  # type: ignore[arg-type]

    def file_done(self, name: str) -> None:
        if self._task is not None:
            self.progress.remove_task(self._task)  # type: ignore[arg-type]
            self._task = None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes [default: one per CPU core].",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the web app (allocation tool, analyses, library, data) at http://HOST:PORT."""
    import uvicorn

    from gpequity.reports.batch import default_jobs

    db_file = config.db_path(db)
    count = workers or default_jobs()
    # Each worker is a process of its own that builds the app by name and finds the warehouse
    # in the environment (read-only: the workers share nothing but the file).
    os.environ["GPEQUITY_DB"] = str(db_file.resolve())
    console.print(
        f"Serving {db_file} at http://{host}:{port} with {count} worker"
        f"{'s' if count != 1 else ''} (Ctrl+C to stop)"
    )
    uvicorn.run(
        "gpequity.web.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=count,
        log_level="info",
    )


def main() -> None:
    """Console entry point: user-facing errors as one clear message, never a traceback."""
    try:
        app()
    except GpequityError as exc:
        err_console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted; the previous warehouse is untouched")
        sys.exit(130)
