"""``gpequity datapack``: an ICB's inequality datapack as HTML or PDF, or every ICB's at once.

Thin: it resolves the year and the ICBs, then calls :mod:`gpequity.reports.batch`, showing a
progress bar while the packs are made. A pack that fails is reported and the others carry
on; the command then exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gpequity import config
from gpequity.analysis.icb import icbs_in_year, resolve_icb
from gpequity.analysis.payments import resolve_year
from gpequity.commands.options import DbOption, YearOption, check_out_folder, per_core_option
from gpequity.output import progress_bar
from gpequity.reports.batch import PackOutcome, default_jobs, write_datapacks
from gpequity.reports.render import Format
from gpequity.warehouse.build import connect

#: Where the packs are written unless ``--out`` says otherwise.
DEFAULT_OUT = Path("data/datapacks")


def datapack_command(
    icb: Annotated[
        list[str] | None,
        typer.Option("--icb", help="ICB code, e.g. QHM; repeatable.", show_default=False),
    ] = None,
    all_icbs: Annotated[
        bool, typer.Option("--all", help="Every ICB of the year's payments file (42).")
    ] = False,
    year: YearOption = None,
    format: Annotated[Format, typer.Option("--format", help="html or pdf.")] = Format.pdf,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the packs to.")] = (
        DEFAULT_OUT
    ),
    jobs: Annotated[int | None, per_core_option("--jobs", "Packs made at once")] = None,
    db: DbOption = None,
) -> None:
    """Write ICB inequality datapacks (HTML or A4 PDF): one ICB's, or every ICB's with --all."""
    if not icb and not all_icbs:
        raise typer.BadParameter("give --icb CODE (repeatable) or --all")
    if icb and all_icbs:
        raise typer.BadParameter("give --icb CODE (repeatable) or --all, not both")
    check_out_folder(out)
    db_file = config.db_path(db)
    with connect(db_file) as con:
        chosen = resolve_year(con, year)
        if all_icbs:
            codes = [i.code for i in icbs_in_year(con, chosen)]
        else:
            codes = list(dict.fromkeys(resolve_icb(con, chosen, c).code for c in icb or []))
    console = Console()
    err_console = Console(stderr=True)
    workers = min(jobs or default_jobs(), len(codes))
    with progress_bar(err_console) as progress:
        task = progress.add_task(f"Datapacks {chosen} ({workers} at once)", total=len(codes))

        def done(outcome: PackOutcome) -> None:
            if not outcome.ok:
                # Said once, as it happens (the error text is the file's, not markup).
                progress.console.print(
                    f"failed: {outcome.icb_code}: {outcome.error}",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
            progress.advance(task)

        outcomes = write_datapacks(db_file, codes, chosen, format, out, jobs=workers, on_done=done)
    for outcome in outcomes:
        if outcome.path is not None:
            console.print(f"wrote {outcome.path}", highlight=False, soft_wrap=True)
    failed = [o for o in outcomes if not o.ok]
    made = len(outcomes) - len(failed)
    console.print(f"{made} of {len(outcomes)} datapacks written to {out} ({chosen}, {format}).")
    if failed:
        codes_failed = ", ".join(o.icb_code for o in failed)
        err_console.print(
            f"error: {len(failed)} datapacks not written ({codes_failed}); the reasons are above.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
