"""The commands' shared options (``gpequity.commands.options``): every ``[default: ...]`` is in
``--help`` (Rich markup read it as a tag and dropped it), and an ``--out`` that cannot be
written is refused before any work, in words."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from gpequity.cli import app
from gpequity.commands.options import UnwritableOutput, check_out_file, check_out_folder

DEFAULT_IN_HELP = re.compile(r"\[default: [^\]]+\]")


def _commands() -> list[tuple[list[str], Any]]:
    """Every command of ``gpequity``, with the words that call it (Typer's own Click
    commands: a group is one with ``commands``)."""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*words, name])
        else:
            found.append((words, command))

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


def _flat(text: str) -> str:
    """Help text with the wrapping undone (words joined by single spaces)."""
    return " ".join(text.split())


@pytest.mark.parametrize("words", [w for w, _ in COMMANDS], ids=" ".join)
def test_help_shows_every_default(words: list[str]) -> None:
    command = dict((" ".join(w), c) for w, c in COMMANDS)[" ".join(words)]
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for param in command.params:
        help_text = getattr(param, "help", None) or ""
        for default in DEFAULT_IN_HELP.findall(help_text):
            assert _flat(default) in shown, (param.name, default)
    # The options' own defaults, e.g. "--format ... [default: table]".
    for param in command.params:
        if param.name == "format" and param.default is not None:
            default = getattr(param.default, "value", param.default)
            assert f"[default: {default}]" in shown


def test_the_help_of_db_names_the_environment_variable() -> None:
    result = CliRunner().invoke(app, ["payments", "summary", "--help"], env={"COLUMNS": "100"})
    shown = _flat(result.output)
    assert "[default: $GPEQUITY_DB, else gpequity.duckdb in the per-user data folder" in shown


def test_an_out_file_is_checked_before_any_work(tmp_path: Path) -> None:
    assert check_out_file(tmp_path / "x.svg") == tmp_path / "x.svg"
    with pytest.raises(UnwritableOutput) as caught:
        check_out_file(tmp_path / "missing" / "x.svg")
    assert str(caught.value) == (
        f"--out {tmp_path / 'missing' / 'x.svg'}: the folder {tmp_path / 'missing'} does not "
        "exist; create it first."
    )
    with pytest.raises(UnwritableOutput, match="is a folder; give a file name in it"):
        check_out_file(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UnwritableOutput, match="is a file, not a folder"):
        check_out_file(tmp_path / "file" / "x.svg")


def test_an_out_folder_may_be_made_but_not_be_a_file(tmp_path: Path) -> None:
    assert check_out_folder(tmp_path / "new" / "packs") == tmp_path / "new" / "packs"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UnwritableOutput, match="is a file, not a folder"):
        check_out_folder(tmp_path / "file")
    with pytest.raises(UnwritableOutput, match="is a file, not a folder"):
        check_out_folder(tmp_path / "file" / "packs")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    with pytest.raises(UnwritableOutput, match="cannot be written to"):
        check_out_file(folder / "x.csv")


@pytest.mark.parametrize("words", [w for w, _ in COMMANDS], ids=" ".join)
def test_every_option_has_its_help(words: list[str]) -> None:
    """An option declared through ``with_scenario_options`` kept its help (a signature of
    unevaluated annotations lost every help text but the shared options')."""
    command = dict((" ".join(w), c) for w, c in COMMANDS)[" ".join(words)]
    options = [p for p in command.params if getattr(p, "opts", None) and p.name != "help"]
    missing = [p.name for p in options if not getattr(p, "help", None)]
    assert missing == [], missing


def test_the_scenario_options_are_declared_once_for_three_commands() -> None:
    names = {" ".join(w): [p.name for p in c.params] for w, c in COMMANDS}
    shared = [
        "icb", "amount", "component", "method", "sex", "age", "missing", "exclude_practice",
        "baseline",
    ]  # fmt: skip
    for command in ("allocate", "compare", "sensitivity"):
        assert names[command][: len(shared)] == shared, names[command]
