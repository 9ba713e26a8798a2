"""Criteria reading: reparse every stored trial, show how one trial's criteria read."""

from __future__ import annotations

from typing import Annotated

import typer

from trialfinder.cli._common import app, progress_bar
from trialfinder.cli.options import DatabaseOption, JsonOption
from trialfinder.cli.output import command, console, fail, print_json
from trialfinder.ingest import reparse
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store import open_store


@app.command("reparse")
@command
def reparse_command(
    database: DatabaseOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Parsing processes (default: one per core).", min=1)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read every stored trial's eligibility criteria again and store the constraints."""
    import time

    from trialfinder.criteria.reading import ENGINE_VERSION

    store = open_store(database)
    started = time.perf_counter()
    try:
        with progress_bar() as progress:
            task = progress.add_task("reading criteria", total=store.stats().trials, rate=0.0)

            def on_batch(done: int) -> None:
                elapsed = time.perf_counter() - started
                progress.update(task, completed=done, rate=done / elapsed if elapsed else 0.0)

            done = reparse(store, workers=workers, on_batch=on_batch)
    finally:
        store.close()
    seconds = time.perf_counter() - started
    if as_json:
        print_json({"trials": done, "seconds": round(seconds, 3), "engineVersion": ENGINE_VERSION})
        return
    console.print(
        f"read the criteria of {done:,} trials in {seconds:.1f} s "
        f"({done / seconds if seconds else 0:,.0f} trials/s, engine {ENGINE_VERSION})"
    )


def _field_text(value: object) -> str:
    """A field's value; bounds as an interval, "[6, 16)" or "[18, ∞)"."""
    if isinstance(value, dict) and "low_inclusive" in value:
        low, high = value["low"], value["high"]
        return (
            ("[" if value["low_inclusive"] else "(")
            + ("-∞" if low is None else f"{low:g}")
            + ", "
            + ("∞" if high is None else f"{high:g}")
            + ("]" if value["high_inclusive"] and high is not None else ")")
        )
    return str(value)


def _constraint_line(constraint: dict[str, object]) -> str:
    """One constraint as "kind field=value ... [rule @start-end]"."""
    hidden = {"kind", "span", "rule", "confidence", "synonyms"}
    fields = " ".join(
        f"{key}={_field_text(value)}"
        for key, value in constraint.items()
        if key not in hidden and value not in (None, False, [], "")
    )
    span = constraint["span"]
    if not isinstance(span, list | tuple):
        raise TypeError(f"constraint span {span!r} is not (start, end)")
    return f"{constraint['kind']} {fields} [{constraint['rule']} @{span[0]}-{span[1]}]"


@app.command("criteria")
@command
def criteria_command(
    nct_id: Annotated[str, typer.Argument(help="e.g. NCT05397184", show_default=False)],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show how the engine reads a trial's criteria: each item, its constraints, spans, rules."""
    import msgspec

    from trialfinder.criteria.reading import decode_reading, read_trial_criteria

    wanted = nct_id.strip().upper()
    if not NCT_ID.fullmatch(wanted):
        raise fail(f"{nct_id!r} is not an NCT id ('NCT' followed by 8 digits)")
    store = open_store(database)
    try:
        stored = store.get_criteria(wanted)
        trial = store.get_trial(wanted) if stored is None else None
    finally:
        store.close()
    if stored is not None:
        version, data = stored.engine_version, stored.data
    elif trial is not None:  # not reparsed yet: read it now
        reading = read_trial_criteria(
            trial.nct_id, trial.eligibility_criteria, tuple(m.term for m in trial.condition_mesh)
        )
        version, data = reading.engine_version, reading.data
    else:
        raise fail(f"{wanted} is not in this store; ingest or sync it first")
    parsed = msgspec.to_builtins(decode_reading(data))
    if as_json:
        print_json(
            {"nctId": wanted, "engineVersion": version, "stored": stored is not None, **parsed}
        )
        return
    for section in ("inclusion", "exclusion"):
        console.print(f"{section.capitalize()}:", style="bold", markup=False, highlight=False)
        for index, item in enumerate(parsed[section], start=1):
            indent = "  " * item["depth"]
            text = " ".join(item["text"].split())
            console.print(f"{indent}{index}. {text}", markup=False, highlight=False, soft_wrap=True)
            for constraint in item["constraints"]:
                line = _constraint_line(constraint)
                console.print(
                    f"{indent}   -> {line}", markup=False, highlight=False, soft_wrap=True
                )
