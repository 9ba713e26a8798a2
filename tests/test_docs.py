"""The README documents every command and every setting (as datasette tests its docs)."""

from __future__ import annotations

import re

import pytest
import typer.main

from support import REPO_ROOT
from trialfinder.cli import app

README = (REPO_ROOT / "README.md").read_text()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
SETTINGS = sorted(
    {
        name
        for path in [*(REPO_ROOT / "src").rglob("*.py"), *(REPO_ROOT / "scripts").iterdir()]
        for name in re.findall(r"TRIALFINDER_[A-Z_]+", path.read_text())
    }
)


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"trialfinder {command}" in README


@pytest.mark.parametrize("setting", SETTINGS, ids=SETTINGS)
def test_every_setting_is_in_the_readme(setting: str) -> None:
    assert f"`{setting}`" in README
