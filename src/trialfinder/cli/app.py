"""Commands of the `trialfinder` CLI. Each parses options, calls the library, prints the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from trialfinder.cli.options import DatabaseOption, JsonOption
from trialfinder.cli.output import command, console, fail, print_json
from trialfinder.ingest import DEFAULT_BATCH_SIZE, IngestReport, count_files, ingest, reparse
from trialfinder.present import humanise, official_url, phase_text, trial_sections
from trialfinder.sources.api_client import DEFAULT_BASE_URL, CtgovApiClient
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store import open_store
from trialfinder.sync import sync

app = typer.Typer(
    name="trialfinder",
    help=(
        "Find clinical trials you can actually join: "
        "mirror ClinicalTrials.gov, search, check eligibility."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.0f} studies/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


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
        with _progress() as progress:
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
            _progress() as progress,
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


@app.command("search")
@command
def search_command(
    text: Annotated[
        str, typer.Argument(help='What to look for (any words, "phrases", OR, -not).')
    ] = "",
    condition: Annotated[
        str, typer.Option("--condition", help="Condition text; abbreviations like SLE expand.")
    ] = "",
    intervention: Annotated[str, typer.Option(help="Intervention (drug, device...) text.")] = "",
    near: Annotated[
        str | None,
        typer.Option(help="A place: 'Boston, MA', a US ZIP code, a city, a country or 'lat,lon'."),
    ] = None,
    within: Annotated[str, typer.Option(help="Distance from --near, e.g. 50mi or 80km.")] = "50mi",
    age: Annotated[float | None, typer.Option(help="The patient's age in years.", min=0)] = None,
    sex: Annotated[str, typer.Option(help="The patient's sex: female or male.")] = "",
    ecog: Annotated[
        float | None,
        typer.Option(help="The patient's ECOG grade: leaves out trials asking for a lower one."),
    ] = None,
    egfr: Annotated[
        float | None,
        typer.Option(
            help="The patient's eGFR (mL/min/1.73 m²): leaves out trials asking for more."
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="Overall status (repeatable; 'any' for all). Default: recruiting "
            "and not yet recruiting."
        ),
    ] = None,
    phase: Annotated[
        list[str] | None, typer.Option(help="PHASE1..PHASE4, EARLY_PHASE1, NA.")
    ] = None,
    country: Annotated[list[str] | None, typer.Option(help="Country name or ISO code.")] = None,
    sort: Annotated[
        str, typer.Option(help="relevance, distance, last_update, start_date or nct_id.")
    ] = "relevance",
    limit: Annotated[int, typer.Option(help="How many results.", min=1, max=1000)] = 20,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search trials: title, status, phase, and the nearest site with its distance."""
    from trialfinder.search import (
        OPEN_STATUSES,
        SearchQuery,
        parse_distance,
        resolve_place,
        search_studies,
    )
    from trialfinder.store.base import GeoArea

    statuses = tuple(s.strip().upper().replace(" ", "_") for s in status or ())
    if not statuses:
        statuses = OPEN_STATUSES
    elif "ANY" in statuses:
        statuses = ()
    geo = None
    place = None
    if near:
        place = resolve_place(near, "--near")
        geo = GeoArea(place.lat, place.lon, parse_distance(within, "--within"))
    query = SearchQuery(
        term=text,
        cond=condition,
        intr=intervention,
        statuses=statuses,
        phases=tuple(p.strip().upper() for p in phase or ()),
        countries=tuple(country or ()),
        sex=sex,
        age=age,
        ecog=ecog,
        egfr=egfr,
        geo=geo,
        sort=sort,
        is_descending=sort in ("last_update", "start_date"),
    )
    store = open_store(database)
    try:
        page = search_studies(store, query, page_size=limit, count_total=True)
        trials = {hit.nct_id: store.get_trial(hit.nct_id) for hit in page.hits}
    finally:
        store.close()
    rows = []
    for hit in page.hits:
        trial = trials[hit.nct_id]
        site = hit.site
        rows.append(
            {
                "nct_id": hit.nct_id,
                "title": trial.brief_title if trial else "",
                "overall_status": trial.overall_status if trial else "",
                "phases": trial.phases if trial else [],
                "score": hit.score,
                "nearest_site": (
                    None
                    if site is None
                    else {
                        "name": site.name,
                        "city": site.city,
                        "state": site.state,
                        "country": site.country,
                        "status": hit.site_status,
                    }
                ),
                "distance_km": None if hit.distance_km is None else round(hit.distance_km, 1),
            }
        )
    if as_json:
        print_json({"total": page.total, "results": rows})
        return
    where = f" within {within} of {place.name}" if place else ""
    table = Table(title=f"{page.total:,} trials{where}", show_lines=False)
    table.add_column("NCT id", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Status")
    table.add_column("Phase")
    table.add_column("Nearest site", overflow="fold")
    table.add_column("Distance", justify="right")
    for hit in page.hits:
        trial = trials[hit.nct_id]
        site_text = ""
        if hit.site is not None:
            site_text = ", ".join(filter(None, (hit.site.name, hit.site.city, hit.site.state)))
        distance = "" if hit.distance_km is None else f"{hit.distance_km / 1.609344:,.0f} mi"
        table.add_row(
            hit.nct_id,
            trial.brief_title if trial else "",
            humanise(trial.overall_status) if trial else "",
            phase_text(trial.phases) if trial else "",
            site_text,
            distance,
        )
    console.print(table)


@app.command("serve")
@command
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log",
            help="Log each request line. Off by default: URLs can carry what a patient typed.",
        ),
    ] = False,
    database: DatabaseOption = None,
    workers: Annotated[
        int, typer.Option(help="App processes serving one database (PostgreSQL or SQLite).", min=1)
    ] = 1,
) -> None:
    """Serve the website and the JSON API (ClinicalTrials.gov API v2 shape; docs at /docs)."""
    import uvicorn

    from trialfinder.api import create_app

    app = create_app(database)
    console.print(f"trialfinder is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    if workers > 1:
        # Each worker process builds its own app (and store) from the setting.
        import os

        from trialfinder.store import DATABASE_SETTING, database_url

        os.environ[DATABASE_SETTING] = database_url(database)
        uvicorn.run(
            "trialfinder.api:create_app",
            factory=True,
            host=host,
            port=port,
            access_log=access_log,
            workers=workers,
        )
        return
    uvicorn.run(app, host=host, port=port, access_log=access_log)


_OUTCOME_TEXT = {
    "eligible": "[green]eligible[/]",
    "possibly_eligible": "[yellow]possibly eligible[/]",
    "not_eligible": "[red]not eligible[/]",
}
_VERDICT_TEXT = {"met": "[green]met[/]", "not_met": "[red]not met[/]", "unknown": "unknown"}


@app.command("match")
@command
def match_command(
    patient: Annotated[
        Path,
        typer.Argument(
            help="Patient file: a JSON profile, a FHIR R4 Bundle or a clinical note (.txt).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    near: Annotated[
        str | None,
        typer.Option(help="A place: 'Boston, MA', a US ZIP code, a city, a country or 'lat,lon'."),
    ] = None,
    within: Annotated[
        str, typer.Option(help="Distance from --near, e.g. 100mi or 80km.")
    ] = "100mi",
    explain: Annotated[
        str | None,
        typer.Option(help="Show the per-criterion reasoning for one trial (an NCT id)."),
    ] = None,
    on_date: Annotated[
        str | None, typer.Option("--date", help="Screening date YYYY-MM-DD (default today).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many trials to list.", min=1, max=200)] = 20,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank open trials for a patient with eligible / possibly / not eligible verdicts."""
    import datetime as dt

    from trialfinder.errors import QueryError
    from trialfinder.match import evaluate_trial, load_profile, match_patient, parsed_criteria_of
    from trialfinder.search import parse_distance, resolve_place
    from trialfinder.store.base import GeoArea

    try:
        on = dt.date.fromisoformat(on_date) if on_date else dt.date.today()
    except ValueError:
        raise QueryError(f"--date {on_date!r} is not a date YYYY-MM-DD", "--date") from None
    profile = load_profile(patient.read_bytes())
    store = open_store(database)
    try:
        if explain is not None:
            nct_id = explain.strip().upper()
            trial = store.get_trial(nct_id)
            if trial is None:
                raise fail(f"{nct_id} is not in the store; run `trialfinder show {nct_id}`")
            verdict = evaluate_trial(trial, parsed_criteria_of(trial), profile, on)
            if as_json:
                print_json(verdict)
                return
            console.print(
                f"{nct_id}: {_OUTCOME_TEXT[verdict.outcome]} on {verdict.on_date} "
                f"(met {verdict.met}, not met {verdict.not_met}, unknown {verdict.unknown})"
            )
            table = Table(show_lines=True)
            table.add_column("Section")
            table.add_column("Criterion", overflow="fold")
            table.add_column("Verdict")
            table.add_column("Why", overflow="fold")
            for item in verdict.criteria:
                number = "" if item.section == "structured" else f" {item.index + 1}"
                table.add_row(
                    f"{item.section}{number}",
                    item.text,
                    _VERDICT_TEXT[item.verdict] if item.is_checkable else "to review",
                    item.reason,
                )
            console.print(table)
            for question in verdict.open_questions:
                console.print(f"  ? {question}", highlight=False)
            return
        geo = None
        where = ""
        if near:
            place = resolve_place(near, "--near")
            geo = GeoArea(place.lat, place.lon, parse_distance(within, "--within"))
            where = f" within {within} of {place.name}"
        result = match_patient(store, profile, on_date=on, geo=geo, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    table = Table(
        title=f"{len(result.results)} of {result.candidates} candidate trials{where} "
        f"({result.seconds:.2f} s)"
    )
    table.add_column("NCT id", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Verdict")
    table.add_column("Score", justify="right")
    table.add_column("Why / open questions", overflow="fold")
    table.add_column("Distance", justify="right")
    for row in result.results:
        verdict = row.verdict
        why = (
            verdict.ruled_out_by[0]
            if verdict.ruled_out_by
            else f"{verdict.unknown} open: {verdict.open_questions[0]}"
            if verdict.open_questions
            else f"{verdict.met} criteria met"
        )
        distance = "" if row.distance_km is None else f"{row.distance_km / 1.609344:,.0f} mi"
        table.add_row(
            row.nct_id, row.title, _OUTCOME_TEXT[row.outcome], f"{row.score:.3f}", why, distance
        )
    console.print(table)


@app.command("export")
@command
def export_command(
    output: Annotated[
        Path, typer.Argument(help="JSON Lines file to write ('-' for stdout).", show_default=False)
    ],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write every raw and quarantined record to a backend-neutral JSON Lines file."""
    import sys

    from trialfinder.transfer import export_store

    store = open_store(database, read_only=True)
    try:
        if str(output) == "-":
            summary = export_store(store, sys.stdout.buffer)
        else:
            with output.open("wb") as out:
                summary = export_store(store, out)
    finally:
        store.close()
    if as_json:
        print_json(summary.as_dict())
    elif str(output) != "-":
        console.print(f"exported {summary.describe()} to {output}")


@app.command("import")
@command
def import_command(
    source: Annotated[
        Path, typer.Argument(help="A file written by `trialfinder export`.", show_default=False)
    ],
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(help="Parsing processes.", min=1)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Load an export into this store (either backend) and check its counts and checksums."""
    from trialfinder.transfer import import_store

    if not source.is_file():
        raise fail(f"{str(source)!r} is not a file; give a file written by `trialfinder export`")
    store = open_store(database)
    try:
        with source.open("rb") as stream:
            expected, found = import_store(store, stream, str(source), workers=workers)
    finally:
        store.close()
    if as_json:
        print_json({"export": expected.as_dict(), "store": found.as_dict()})
        return
    console.print(f"imported {found.describe()}; the export declared {expected.describe()}")


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
        with _progress() as progress:
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
