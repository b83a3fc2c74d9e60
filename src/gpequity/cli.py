"""The ``gpequity`` command: parse arguments, call the modules, format the output.

Thin by design: no figure is computed here, so a number is the same wherever it is shown.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from gpequity import config
from gpequity.commands.allocate import allocate_command, indicators_command
from gpequity.commands.compare import compare_command, sensitivity_command
from gpequity.commands.data import data_app
from gpequity.commands.datapack import datapack_command
from gpequity.commands.options import DbOption, per_core_option
from gpequity.commands.payments import payments_app
from gpequity.errors import GpequityError, WarehouseUnreadable, os_error_message

app = typer.Typer(
    help="Fairer English general practice funding: the NHS payments warehouse, equity "
    "analyses and the eFIT allocation tool.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help texts are plain text: Rich markup read "[default: ...]" as a tag and dropped it.
    rich_markup_mode=None,
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, per_core_option("--workers", "Worker processes")] = None,
    db: DbOption = None,
) -> None:
    """Serve the web app (allocation tool, analyses, library, data) at http://HOST:PORT."""
    import uvicorn
    import uvicorn.config

    from gpequity.reports.batch import default_jobs
    from gpequity.web.server import HTTP_PROTOCOL

    db_file = config.db_path(db)
    count = workers or default_jobs()
    # Each worker is a process of its own that builds the app by name and finds the warehouse
    # in the environment (read-only: the workers share nothing but the file).
    os.environ["GPEQUITY_DB"] = str(db_file.resolve())
    console.print(
        f"Serving {db_file} at http://{host}:{port} with {count} worker"
        f"{'s' if count != 1 else ''} (Ctrl+C to stop)"
    )
    _warn_if_unreadable(db_file)
    # uvicorn's logging, and the app's own (each worker says when its results are warmed).
    logging_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    logging_config["loggers"]["gpequity"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    uvicorn.run(
        "gpequity.web.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=count,
        log_level="info",
        log_config=logging_config,
        http=HTTP_PROTOCOL,  # every connection without Nagle's delay (gpequity.web.server)
    )


def _warn_if_unreadable(db_file: Path) -> None:
    """Say once, before serving, that the warehouse cannot be read (the app still starts: the
    file may be rebuilt while it runs, and its pages and API say so until then)."""
    from gpequity.warehouse.build import connect

    if not db_file.exists():
        return
    try:
        with connect(db_file) as con:
            con.execute("SELECT * FROM meta").fetchall()
            con.execute("SELECT * FROM sources").fetchall()
        return
    except WarehouseUnreadable as unreadable:  # on opening: damaged, or held by a writer
        error = unreadable
    except duckdb.Error:  # a block read by a query
        error = WarehouseUnreadable(db_file)
    err_console.print(
        f"warning: {error} Until then the pages say the data cannot be read and the API "
        "answers 503.",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def main() -> None:
    """Console entry point: user-facing errors as one clear message, never a traceback."""
    try:
        app()
    except GpequityError as exc:
        err_console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except duckdb.Error:
        # The warehouse opened but a block of it could not be read (a file cut short or
        # corrupted after the header): named, with what to do; not the engine's text.
        from gpequity.warehouse.build import last_opened

        err_console.print(
            f"error: {WarehouseUnreadable(last_opened())}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        sys.exit(1)
    except OSError as exc:
        # A file the command could not write or read (a missing folder, a full disk, no
        # permission): one line naming it, not a traceback.
        err_console.print(
            f"error: {os_error_message(exc)}", highlight=False, markup=False, soft_wrap=True
        )
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
