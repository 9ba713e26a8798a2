"""Store commands: ingest, sync, stats, show, quarantine, reindex."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trialfinder.cli._common import app, progress_bar
from trialfinder.cli.options import DatabaseOption, JsonOption
from trialfinder.cli.output import command, console, fail, print_json
from trialfinder.ingest import DEFAULT_BATCH_SIZE, IngestReport, count_files, ingest
from trialfinder.present import official_url, trial_sections
from trialfinder.sources.api_client import DEFAULT_BASE_URL, CtgovApiClient
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store import open_store
from trialfinder.sync import sync

CriteriaOption = Annotated[
    bool,
    typer.Option(
        "--criteria/--no-criteria",
        help="Read each new or updated trial's eligibility criteria and store the reading "
        "(--no-criteria: faster bulk load; run `trialfinder reparse` afterwards).",
    ),
]


def print_report(report: IngestReport, as_json: bool) -> None:
    """Print an ingest or sync summary: read, new, updated, unchanged, quarantined."""
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"read {report.read:,} · new {report.new:,} · updated {report.updated:,} · "
        f"unchanged {report.unchanged:,} · quarantined {report.quarantined:,} "
        f"in {report.seconds:.1f} s ({report.rate:,.0f} studies/s)"
    )
    for code, count in sorted(report.quarantine_by_code.items()):
        console.print(f"  quarantined as {code}: {count:,} (see `trialfinder quarantine`)")
    if report.criteria_unread:
        console.print(
            f"  criteria not read (engine error): {report.criteria_unread:,} trials "
            "(see `trialfinder criteria NCT...`)"
        )


@app.command("ingest")
@command
def ingest_command(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Files, folders, .zip/.tar.gz archives, API pages or JSON Lines of "
            "ClinicalTrials.gov records (API v2 JSON or legacy XML).",
            show_default=False,
        ),
    ],
    workers: Annotated[int, typer.Option(help="Parsing processes.", min=1)] = 1,
    batch_size: Annotated[
        int, typer.Option(help="Records per transaction.", min=1)
    ] = DEFAULT_BATCH_SIZE,
    criteria: CriteriaOption = True,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read ClinicalTrials.gov records into the store; bad records are quarantined, not lost."""
    for source in sources:
        if not source.exists():
            raise fail(f"Source '{source}' does not exist")
    store = open_store(database)
    try:
        with progress_bar() as progress:
            task = progress.add_task("Ingesting", total=count_files(sources), rate=0.0)

            def on_batch(report: IngestReport) -> None:
                progress.update(task, completed=report.read, rate=report.rate)

            report = ingest(
                store,
                sources,
                workers=workers,
                batch_size=batch_size,
                criteria=criteria,
                on_batch=on_batch,
            )
    finally:
        store.close()
    print_report(report, as_json)


@app.command("sync")
@command
def sync_command(
    cond: Annotated[str | None, typer.Option(help="Condition or disease (query.cond).")] = None,
    term: Annotated[str | None, typer.Option(help="Any words (query.term).")] = None,
    intr: Annotated[str | None, typer.Option(help="Intervention (query.intr).")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="Overall status, repeatable: RECRUITING, NOT_YET_RECRUITING, ..."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many studies; run again to continue.", min=1)
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Fetch everything, not only what changed since last sync."),
    ] = False,
    base_url: Annotated[
        str, typer.Option(envvar="TRIALFINDER_API_URL", help="ClinicalTrials.gov API v2 root.")
    ] = DEFAULT_BASE_URL,
    min_interval: Annotated[
        float, typer.Option(help="Seconds between requests (be polite: about 1).", min=0)
    ] = 1.0,
    retries: Annotated[
        int,
        typer.Option(help="Retries (with backoff) of a failed request before giving up.", min=0),
    ] = 6,
    criteria: CriteriaOption = True,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch studies from the live ClinicalTrials.gov API; incremental and resumable."""
    params = {
        key: value
        for key, value in {
            "query.cond": cond,
            "query.term": term,
            "query.intr": intr,
            "filter.overallStatus": ",".join(s.strip().upper() for s in status or []),
        }.items()
        if value
    }
    store = open_store(database)
    try:
        with (
            CtgovApiClient(base_url, min_interval=min_interval, max_retries=retries) as client,
            progress_bar() as progress,
        ):
            task = progress.add_task("Syncing", total=limit, rate=0.0)

            def on_page(report: IngestReport, total: int | None) -> None:
                wanted = min(total, limit) if total is not None and limit else (total or limit)
                progress.update(task, completed=report.read, total=wanted, rate=report.rate)

            report = sync(
                store,
                client,
                params,
                limit=limit,
                full=full,
                criteria=criteria,
                on_page=on_page,
            )
    finally:
        store.close()
    print_report(report, as_json)


@app.command("stats")
@command
def stats_command(database: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """Show how many trials, sites and quarantined records the store holds."""
    store = open_store(database)
    try:
        stats = store.stats()
    finally:
        store.close()
    if as_json:
        print_json(stats)
        return
    table = Table(title=f"trialfinder store: {store.url}", show_header=False)
    table.add_row("Trials", f"{stats.trials:,}")
    table.add_row("Research sites", f"{stats.sites:,}")
    table.add_row("Trial locations", f"{stats.locations:,}")
    table.add_row("Quarantined records", f"{stats.quarantined:,}")
    table.add_row("Newest update posted", stats.last_update_posted or "—")
    table.add_row("Size", f"{stats.size_bytes / 1e6:,.1f} MB")
    table.add_row("Schema", stats.schema_version)
    for status, count in stats.by_status.items():
        table.add_row(f"  {status}", f"{count:,}")
    console.print(table)


@app.command("show")
@command
def show_command(
    nct_ids: Annotated[list[str], typer.Argument(help="NCT ids, e.g. NCT02513394.")],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print trials as their page sections (or the full record with --json)."""
    wanted = [n.strip().upper() for n in nct_ids]
    for nct_id in wanted:
        if not NCT_ID.fullmatch(nct_id):
            raise fail(f"{nct_id!r} is not an NCT id ('NCT' followed by 8 digits)", code=2)
    store = open_store(database)
    try:
        trials = {nct_id: store.get_trial(nct_id) for nct_id in wanted}
    finally:
        store.close()
    missing = [n for n, t in trials.items() if t is None]
    if missing:
        raise fail(
            f"not in the store: {', '.join(missing)} "
            "(try `trialfinder ingest` or `trialfinder sync`)"
        )
    found = [t for t in trials.values() if t is not None]
    if as_json:
        print_json(found if len(found) > 1 else found[0])
        return
    for trial in found:
        title = trial.brief_title
        if trial.acronym and trial.acronym not in title:
            title += f" ({trial.acronym})"
        console.rule(f"[bold]{title}")
        if trial.official_title:
            console.print(trial.official_title, style="dim")
        if trial.lead_sponsor:
            console.print(f"Lead sponsor: {trial.lead_sponsor.name}")
        for section in trial_sections(trial):
            console.print(f"\n[bold underline]{section.title}[/]")
            for label, value in section.rows:
                if value:
                    console.print(f"  [bold]{label}:[/] {value}", highlight=False)
            if section.text:
                console.print(f"  {section.text}", highlight=False)
            for item in section.items[:50]:
                console.print(f"  • {item}", highlight=False, markup=False)
            if len(section.items) > 50:
                console.print(f"  … and {len(section.items) - 50:,} more")
        console.print(
            f"\nData sourced from ClinicalTrials.gov: {official_url(trial.nct_id)}",
            soft_wrap=True,
        )


@app.command("quarantine")
@command
def quarantine_command(
    code: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1)] = 100,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """List records set aside during ingest, with where they came from and why."""
    store = open_store(database)
    try:
        entries = store.list_quarantine(limit=limit, code=code)
        total = store.stats().quarantined
    finally:
        store.close()
    if as_json:
        print_json(
            [
                {
                    "origin": e.origin,
                    "position": e.position,
                    "code": e.code,
                    "reason": e.reason,
                    "bytes": len(e.raw),
                }
                for e in entries
            ]
        )
        return
    if not entries:
        console.print("Nothing is quarantined.")
        return
    table = Table(title=f"Quarantined records ({total:,})")
    table.add_column("Code")
    table.add_column("Source")
    table.add_column("Reason", overflow="fold")
    for entry in entries:
        table.add_row(entry.code, f"{entry.origin} {entry.position}", entry.reason)
    console.print(table)


@app.command("reindex")
@command
def reindex_command(database: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """Rebuild the tantivy text index of an SQLite store (`<db>.tantivy`) from the store; on
    PostgreSQL, rebuild every index packed while reads and writes go on (after a bulk load or
    a migration: a server's indexes grown row by row are 30-50 % empty)."""
    store = open_store(database)
    started = time.perf_counter()
    try:
        with progress_bar() as progress:
            task = progress.add_task("rebuilding", total=None, rate=0.0)

            def on_progress(done: int, total: int) -> None:
                elapsed = time.perf_counter() - started
                rate = done / elapsed if elapsed else 0.0
                progress.update(task, completed=done, total=total, rate=rate)

            reindexed = store.reindex(on_progress)
    finally:
        store.close()
    if as_json:
        print_json(reindexed.figures)
        return
    console.print(reindexed.summary)
