"""Docs that cannot drift: every CLI command and option is in the README's reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from gpequity.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            out.extend(_commands(command, path))
        else:
            out.append((path, command))
    return out


def test_every_command_and_option_is_documented() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app), "gpequity"):
        if f"`{path}`" not in README:
            missing.append(path)
        for param in command.params:
            for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
                if opt.startswith("--") and opt != "--help" and opt not in README:
                    missing.append(f"{path} {opt}")
    assert missing == [], f"missing from README.md: {missing}"


def test_quick_start_has_exactly_the_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [
        line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")
    ]
    assert commands == ["make demo", "make test"]
