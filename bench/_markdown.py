"""Writing benchmark results into BENCHMARKS.md, shared by the bench scripts."""

from __future__ import annotations

from pathlib import Path


def append_to_section(path: Path, section: str, block: list[str]) -> None:
    """Put `block` at the end of the `section` heading of `path` (appending the section)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.rstrip("\n").split("\n")
    try:
        start = lines.index(section)
    except ValueError:
        lines += ["", section]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", *block]
    path.write_text("\n".join(lines) + "\n")
