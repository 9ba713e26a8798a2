"""Each app process reads its criteria and note rules when it starts, not on a first request."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient
    from trialfinder.api import create_app
    from trialfinder.criteria.lexicon import comparator_regex

    app = create_app(f"sqlite:///{sys.argv[1]}")
    print("before start:", comparator_regex.cache_info().currsize)
    with TestClient(app):
        print("after start:", comparator_regex.cache_info().currsize)
    """
)


def test_rules_are_loaded_when_the_process_starts(tmp_path: Path) -> None:
    """A fresh process: the rules are not loaded by `create_app`, and are once it has started."""
    answer = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "trials.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert answer.stdout.split("\n")[:2] == ["before start: 0", "after start: 1"]
