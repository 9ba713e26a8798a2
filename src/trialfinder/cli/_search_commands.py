"""Finding trials: search, serve (the website and JSON API), match (a patient's verdicts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trialfinder.cli._common import app
from trialfinder.cli.options import DatabaseOption, JsonOption
from trialfinder.cli.output import command, console, fail, print_json
from trialfinder.present import humanise, phase_text
from trialfinder.store import open_store


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
        trials = store.get_trials_many([hit.nct_id for hit in page.hits])
    finally:
        store.close()
    rows = []
    for hit in page.hits:
        trial = trials.get(hit.nct_id)
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
        trial = trials.get(hit.nct_id)
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
    from trialfinder.api._serve import listening_sockets, serve_workers, spreads_connections
    from trialfinder.store import database_url

    if workers > 1 and spreads_connections():
        # Each process gets its own socket on the port, so connections spread evenly.
        url = database_url(database)
        open_store(url).close()  # a bad URL fails here, once; migrations run before the workers
        try:
            sockets = listening_sockets(host, port, workers)
        except OSError as error:
            raise fail(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
        console.print(f"trialfinder is serving on http://{host}:{port}/ (Ctrl+C to stop)")
        raise typer.Exit(serve_workers(url, sockets, access_log=access_log))
    app = create_app(database)
    console.print(f"trialfinder is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    if workers > 1:
        # Each worker process builds its own app (and store) from the setting.
        import os

        from trialfinder.store import DATABASE_SETTING

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
