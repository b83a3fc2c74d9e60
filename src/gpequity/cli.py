"""The ``gpequity`` command: parse arguments, call the modules, format the output.

Thin by design: no figure is computed here, so a number is the same wherever it is shown.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gpequity import config
from gpequity.commands.allocate import allocate_command, indicators_command
from gpequity.commands.compare import compare_command, sensitivity_command
from gpequity.commands.data import data_app
from gpequity.commands.datapack import datapack_command
from gpequity.commands.payments import payments_app
from gpequity.errors import GpequityError

app = typer.Typer(
    help="Fairer English general practice funding: the NHS payments warehouse, equity "
    "analyses and the eFIT allocation tool.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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
    typer.Option("--db", help=config.DB_HELP),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the web app (allocation tool, analyses, library, data) at http://HOST:PORT."""
    import uvicorn

    from gpequity.web.app import create_app

    db_file = config.db_path(db)
    console.print(f"Serving {db_file} at http://{host}:{port} (Ctrl+C to stop)")
    uvicorn.run(create_app(db_file), host=host, port=port, log_level="info")


def main() -> None:
    """Console entry point: user-facing errors as one clear message, never a traceback."""
    try:
        app()
    except GpequityError as exc:
        err_console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
