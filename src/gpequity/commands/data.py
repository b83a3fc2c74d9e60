"""``gpequity data``: build the warehouse (load, demo, fetch) and show what is in it (status).

Every load ends with a short summary (datasets, rows loaded and rejected, warnings by kind);
``--verbose`` adds every file, every warning and every note. A load that stops, for whatever
reason (a bad file, another load running, a full disk, Ctrl+C), says so in one message and
leaves the previous warehouse as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import DownloadColumn

from gpequity import config
from gpequity.commands.options import DbOption, FormatOption
from gpequity.errors import GpequityError, untouched
from gpequity.formats import NO_PERIODS, format_count
from gpequity.output import Format, progress_bar, render_rows

if TYPE_CHECKING:
    from gpequity.sources.base import LoadReport
    from gpequity.warehouse.build import BuildResult
    from gpequity.warehouse.summary import DatasetSummary

data_app = typer.Typer(
    help="Build and inspect the warehouse of official NHS files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

console = Console()
err_console = Console(stderr=True)

AllowRejectsOption = Annotated[
    bool,
    typer.Option(
        "--allow-rejects",
        help="Load the good rows even when some rows are rejected (each is recorded in "
        "load_rejections and listed by --verbose).",
    ),
]
AllowShrinkOption = Annotated[
    bool,
    typer.Option(
        "--allow-shrink",
        help="Replace the warehouse even when a dataset loses more than 10% of its rows "
        "against the current one (a file cut short or missing is refused otherwise).",
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="List every file, warning, rejected row and note of the load."
    ),
]
#: Warnings of one kind that the summary shows in full when there is only one of them.
EXAMPLE_WIDTH = 160


def load_into(
    sources: list[Path],
    db: Path | None,
    *,
    allow_rejects: bool = False,
    allow_shrink: bool = False,
    synthetic: bool = False,
    verbose: bool = False,
) -> None:
    """Build the warehouse from ``sources`` and print what the load did."""
    from gpequity.warehouse.build import build_warehouse

    db_file = config.db_path(db)
    previous = db_file.exists()
    try:
        with progress_bar(err_console) as progress:
            task = progress.add_task("Loading", total=None)

            def step(message: str) -> None:
                progress.update(task, description=f"Loading {message}")
                progress.advance(task)

            result = build_warehouse(
                db_file,
                sources,
                synthetic=synthetic,
                allow_rejects=allow_rejects,
                allow_shrink=allow_shrink,
                progress=step,
            )
    except KeyboardInterrupt:
        err_console.print(f"interrupted; {untouched(previous)}", highlight=False)
        raise typer.Exit(130) from None
    _print_load(result, verbose=verbose)


def _print_load(result: BuildResult, *, verbose: bool) -> None:
    from gpequity.warehouse.summary import summarise

    summary = summarise(result.reports, result.warnings)
    if verbose:
        render_rows(
            console,
            Format.table,
            ["dataset", "period", "file", "rows read", "loaded", "rejected"],
            [[r.dataset, r.period or "", Path(r.path).name, *_counts(r)] for r in result.reports],
            title=f"Loaded into {result.db_path}",
        )
    else:
        render_rows(
            console,
            Format.table,
            ["dataset", "files", "periods", "rows read", "loaded", "rejected"],
            [[d.dataset, d.files, _periods(d.periods), *_counts(d)] for d in summary.datasets],
            title=f"Loaded into {result.db_path}",
        )
    for stale in result.stale:
        _note(f"removed {stale.path}, left by a load that stopped (pid {stale.pid})")
    if verbose:
        for note in result.ignored:
            _note(note)
        for report in result.reports:
            for rejection in report.rejections:
                _say("rejected:", rejection.describe(report.path))
        for warning in [w for r in result.reports for w in r.warnings] + result.warnings:
            _say("warning:", warning)
    replaced = "replaced the previous warehouse" if result.previous else "a new warehouse"
    console.print(
        f"Loaded {len(summary.datasets)} datasets from {format_count(summary.files)} files "
        f"({replaced}): {format_count(summary.rows_loaded)} rows loaded, "
        f"{format_count(summary.rows_rejected)} rejected, "
        f"{format_count(summary.warning_count)} warnings.",
        highlight=False,
        markup=False,
    )
    if result.ignored and not verbose:
        console.print(
            f"{format_count(len(result.ignored))} files ignored (not a supported dataset).",
            highlight=False,
        )
    if summary.warnings:
        console.print("Warnings by kind:", highlight=False)
        for kind in summary.warnings:
            # One real example of each kind ("N of N practice(s) ..." alone says little).
            more = f" (and {format_count(kind.count - 1)} more like it)" if kind.count > 1 else ""
            text = f"{_shorten(kind.example)}{more}"
            console.print(f"  {kind.count:>4} × {text}", highlight=False, markup=False)
    if (summary.warnings or summary.rows_rejected or result.ignored) and not verbose:
        console.print(
            "Every warning, rejected row and ignored file: gpequity data load --verbose; "
            "the warnings and rejections are also in gpequity data status.",
            highlight=False,
            markup=False,
        )


def _counts(item: LoadReport | DatasetSummary) -> list[int]:
    return [item.rows_read, item.rows_loaded, item.rows_rejected]


def _periods(periods: tuple[str, ...]) -> str:
    if not periods:
        return NO_PERIODS
    return (
        ", ".join(periods)
        if len(periods) <= 3
        else f"{periods[0]} to {periods[-1]} ({len(periods)})"
    )


def _shorten(text: str) -> str:
    return text if len(text) <= EXAMPLE_WIDTH else text[: EXAMPLE_WIDTH - 1] + "…"


def _note(message: str) -> None:
    _say("note:", message)


def _say(label: str, message: str) -> None:
    err_console.print(f"{label} {message}", highlight=False, markup=False, soft_wrap=True)


@data_app.command("load")
def data_load(
    source: Annotated[
        list[Path],
        typer.Option("--source", help="Folder (or file) of official files; repeatable."),
    ],
    db: DbOption = None,
    allow_rejects: AllowRejectsOption = False,
    allow_shrink: AllowShrinkOption = False,
    synthetic: Annotated[
        bool,
        typer.Option(
            "--synthetic",
            help="Flag the warehouse as synthetic (automatic when a source "
            "folder holds a SYNTHETIC marker).",
        ),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Build the warehouse from the official files in DIR (dataset recognised from each file)."""
    load_into(
        source,
        db,
        allow_rejects=allow_rejects,
        allow_shrink=allow_shrink,
        synthetic=synthetic,
        verbose=verbose,
    )


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
        "db_origin": config.db_path_origin(db),
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
        origin = config.db_path_origin(db)
        console.print(f"The warehouse path is {origin}.", markup=False, highlight=False)
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
    allow_shrink: AllowShrinkOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write synthetic demonstration data in the exact official file formats."""
    from gpequity.sources.demo import generate_demo

    with progress_bar(err_console) as progress:
        task = progress.add_task("Generating", total=None)

        def step(message: str) -> None:
            progress.update(task, description=f"Generating {message}")

        files = generate_demo(out, seed=seed, practices=practices, progress=step)
    console.print(f"Wrote {len(files)} synthetic files to {out} (seed {seed}).")
    if load:
        load_into([out], db, synthetic=True, allow_shrink=allow_shrink, verbose=verbose)


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
    allow_shrink: AllowShrinkOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Download the official files from their publishers (resumable), then load them.

    A file that cannot be downloaded is reported and the others are still fetched; the
    command then exits with status 1 (after loading what was fetched, unless --no-load).
    """
    from gpequity.sources.download import fetch_datasets

    hooks = RichFetchHooks(err_console)
    with hooks.progress:
        result = fetch_datasets(dest, mirror=mirror, only=only, progress=hooks)
    for name in result.downloaded:
        console.print(f"downloaded {name}", highlight=False)
    for name in result.skipped:
        console.print(f"already complete: {name}", highlight=False)
    for failure in result.failures:
        _say("failed:", failure.describe())
    if load and (result.downloaded or result.skipped):
        try:
            load_into([dest], db, allow_shrink=allow_shrink, verbose=verbose)
        except GpequityError as exc:
            if not result.failures:
                raise
            _say("error:", str(exc))
    if result.failures:
        _say(
            "error:",
            f"{format_count(len(result.failures))} of "
            f"{format_count(len(result.failures) + len(result.downloaded) + len(result.skipped))}"
            " files could not be fetched (listed above as failed)",
        )
        raise typer.Exit(1)


class RichFetchHooks:
    """Download progress as a Rich progress bar: one task per file, its size when known."""

    def __init__(self, console: Console) -> None:
        # Bytes so far "of" the size when the server said it; bytes so far when it did not
        # (a failed file has no size).
        self.progress = progress_bar(console, DownloadColumn())
        self._task: object = None

    def start(self, total_files: int) -> None:
        self.progress.console.print(f"Fetching {total_files} files", highlight=False)

    def file_started(self, name: str, total_bytes: int | None) -> None:
        self._task = self.progress.add_task(name, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self.progress.advance(self._task, nbytes)  # type: ignore[arg-type]

    def file_done(self, name: str) -> None:
        if self._task is not None:
            self.progress.remove_task(self._task)  # type: ignore[arg-type]
            self._task = None
