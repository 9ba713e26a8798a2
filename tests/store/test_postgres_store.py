"""The PostgreSQL store: its schema, its query text, concurrent writers, and clear errors."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from support import FIXTURES, run_in_two_threads
from trialfinder.errors import QueryError, StoreError
from trialfinder.ingest import parse_raw
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import StoredRecord, StudyFilter, StudySort, TextSearch, TextTerm
from trialfinder.store.migrations import POSTGRES_MIGRATIONS
from trialfinder.store.postgres import PostgresStore, safe_url, search_words
from trialfinder.store.postgres_search import study_search_sql, text_column, tsquery

pytestmark = pytest.mark.postgres

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(last_update: str, title: str = "Base Edited CAR7", nct_id: str = "") -> StoredRecord:
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    study["protocolSection"]["identificationModule"]["briefTitle"] = title
    if nct_id:
        study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _one(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def test_replacing_a_trial_leaves_no_stale_rows(pg_store: PostgresStore, pg_url: str) -> None:
    pg_store.write_batch([_record("2023-07-05", "first title")], [])
    pg_store.write_batch([_record("2024-01-10", "second title")], [])
    assert _one(pg_url, "select count(*) from locations") == 1
    assert _one(pg_url, "select count(*) from trial_phases") == 1
    first = "select count(*) from trials where document @@ to_tsquery('trialfinder_english', "
    assert _one(pg_url, first + "'first:A')") == 0
    assert _one(pg_url, first + "'second:A')") == 1


def test_trial_countries_follow_the_trial_locations(pg_store: PostgresStore, pg_url: str) -> None:
    pg_store.write_batch([_record("2023-07-05")], [])
    countries = "select string_agg(country, ',' order by country) from trial_countries"
    assert _one(pg_url, countries) == "United Kingdom"
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2024-01-10"
    site = study["protocolSection"]["contactsLocationsModule"]["locations"][0]
    moved = {**site, "facility": "Hôpital Necker", "city": "Paris", "country": "France"}
    study["protocolSection"]["contactsLocationsModule"]["locations"] = [moved, moved]
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    pg_store.write_batch([parsed], [])
    assert _one(pg_url, countries) == "France"


def test_migration_fills_the_search_columns_of_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_countries")
        conn.execute("alter table trials drop column core_document")
        conn.execute("drop index locations_earth")
        conn.execute("create index locations_earth on locations using gist (earth)")
        conn.execute("delete from schema_migrations where name = '0003_search_columns_and_indexes'")
    open_store(pg_url).close()
    assert _one(pg_url, "select nct_id || ' ' || country from trial_countries") == (
        "NCT05397184 United Kingdom"
    )
    core = "select count(*) from trials where core_document @@ to_tsquery('trialfinder_english', "
    assert _one(pg_url, core + "'base:A & edited:A')") == 1
    assert _one(pg_url, core + "'cryopreserved:C')") == 1
    assert _one(pg_url, core + "'gvhd')") == 0
    assert _one(pg_url, core.replace("core_document", "document") + "'gvhd')") == 1


def test_pooled_connections_plan_each_search_for_its_values(pg_store: PostgresStore) -> None:
    with pg_store._pool.connection() as conn:
        settings = conn.execute(
            """
            select
                current_setting('jit'),
                current_setting('plan_cache_mode'),
                current_setting('max_parallel_workers_per_gather')
            """
        ).fetchone()
    assert settings == ("off", "force_custom_plan", "0")


def test_migration_moves_filters_to_the_filter_index(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop index trials_update_filters")
        conn.execute("create index trials_last_update on trials (last_update_posted)")
        conn.execute("delete from schema_migrations where name = '0004_search_filter_index'")
    store = open_store(pg_url)
    indexes = """
        select string_agg(indexname, ',' order by indexname)
        from pg_indexes
        where schemaname = current_schema() and tablename = 'trials'
        """
    assert _one(pg_url, indexes) == (
        "trials_filters_by_id,trials_lead_sponsor,trials_pkey,trials_status,"
        "trials_update_filters,trials_words_areas_status"
    )
    where = StudyFilter(statuses=("RECRUITING",), countries=("United Kingdom",))
    hits = store.search_trials(where, StudySort("last_update", is_descending=True), 10, 0, 10.0)
    assert [hit.nct_id for hit in hits] == ["NCT05397184"]
    store.close()


def test_remembered_counts_drop_when_another_process_writes(
    pg_store: PostgresStore, pg_url: str
) -> None:
    open_trials = StudyFilter(statuses=("RECRUITING",))
    pg_store.write_batch([_record("2023-07-05")], [])
    assert pg_store.count_trials(open_trials, 10.0) == 1
    facets = pg_store.facet_counts(open_trials, 10.0)
    assert facets["overallStatus"] == {"RECRUITING": 1}
    facets["overallStatus"]["RECRUITING"] = 99  # the caller's copy, not the remembered one
    other = open_store(pg_url)  # as another app process would
    other.write_batch([_record("2023-07-05", nct_id="NCT05397185")], [])
    other.close()
    assert pg_store.count_trials(open_trials, 10.0) == 2
    assert pg_store.facet_counts(open_trials, 10.0)["overallStatus"] == {"RECRUITING": 2}


def test_reopening_applies_no_migration_twice(pg_url: str) -> None:
    open_store(pg_url).close()
    open_store(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        names = [row[0] for row in conn.execute("select name from schema_migrations order by 1")]
    assert names == [m.name for m in POSTGRES_MIGRATIONS]


def test_stats_name_the_schema_version(pg_store: PostgresStore) -> None:
    pg_store.write_batch([_record("2023-07-05")], [])
    stats = pg_store.stats()
    assert (stats.trials, stats.locations) == (1, 1)
    assert stats.schema_version == POSTGRES_MIGRATIONS[-1].name
    assert stats.size_bytes > 0


def test_unreachable_server_is_a_clear_store_error() -> None:
    with pytest.raises(StoreError) as error:
        open_store("postgresql://someone:secret@127.0.0.1:1/trials")
    message = str(error.value)
    assert message.startswith(
        "postgresql://someone:***@127.0.0.1:1/trials: cannot connect to PostgreSQL ("
    )
    assert message.endswith("Is the server running? `scripts/pg start DIR` starts a throwaway one.")
    assert "secret" not in message


def test_safe_url_hides_only_the_password() -> None:
    assert safe_url("postgresql://u:p@h:5/db?x=1") == "postgresql://u:***@h:5/db?x=1"
    assert safe_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_search_words_split_like_unicode61() -> None:
    assert search_words("COVID-19 anti_TNF (α-1)") == "COVID 19 anti TNF α 1 "


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (TextSearch((), (TextTerm((("heart",),)),)), "('heart')"),
        (
            TextSearch((), (TextTerm((("type", "2", "diabetes"),)),)),
            "(('type' <-> '2' <-> 'diabetes'))",
        ),
        (TextSearch((), (TextTerm((("canc",),), is_prefix=True),)), "('canc':*)"),
        (
            TextSearch(("title",), (TextTerm((("sle",), ("lupus",))),)),
            "(('sle':A | 'lupus':A))",
        ),
        (
            TextSearch(
                ("conditions", "keywords", "title"),
                (TextTerm((("asthma",),)), TextTerm((("child",),), is_negated=True)),
            ),
            "(('asthma':AB) & !('child':AB))",
        ),
        (TextSearch(("interventions",), (TextTerm((("o'brien",),)),)), "('o''brien':C)"),
    ],
    ids=["word", "phrase", "prefix", "or-in-title", "not-in-conditions", "quote"],
)
def test_tsquery_text(search: TextSearch, expected: str) -> None:
    assert tsquery((search,)) == expected


_TERM = (TextTerm((("asthma",),)),)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ([("conditions", "keywords", "title")], "trials.core_document"),
        ([("interventions",)], "trials.core_document"),
        ([("title",), ("interventions",)], "trials.core_document"),
        ([()], "trial_documents.document"),
        ([("summary", "criteria")], "trial_documents.document"),
        ([("title",), ()], "trial_documents.document"),
    ],
    ids=["cond", "intr", "titles-and-intr", "term", "summary", "titles-and-term"],
)
def test_searches_of_title_to_interventions_use_the_short_document(
    columns: list[tuple[str, ...]], expected: str
) -> None:
    searches = tuple(TextSearch(c, _TERM) for c in columns)
    assert text_column(searches) == expected
    # A sex filter needs `trials`: without one, the search reads narrow rows in its place
    # (test_postgres_search_rows.py).
    sql, _ = study_search_sql(StudyFilter(text=searches, sexes=("FEMALE",)), StudySort())
    assert f"and {expected} @@ query\n" in sql
    assert f"ts_rank('{{0.15, 0.5, 0.7, 1}}', {expected}, query, 1) as score" in sql
    joined = "join trial_documents on trial_documents.nct_id = trials.nct_id"
    assert (joined in sql) == expected.startswith("trial_documents.")


def test_columns_sharing_a_label_are_searched_together() -> None:
    with pytest.raises(QueryError) as error:
        tsquery((TextSearch(("summary",), (TextTerm((("pain",),)),)),))
    assert error.value.args[0] == (
        "the PostgreSQL store searches criteria, summary together; it cannot search only summary"
    )


def test_concurrent_writers_keep_the_newest_version(pg_url: str) -> None:
    stores = [open_store(pg_url), open_store(pg_url)]
    versions = [
        [_record(f"2024-01-{day:02d}", f"v{day}", "NCT05397184") for day in range(1, 29, 2)],
        [_record(f"2024-01-{day:02d}", f"v{day}", "NCT05397184") for day in range(2, 29, 2)],
    ]

    def write(index: int) -> None:
        for record in versions[index]:
            stores[index].write_batch([record], [])

    run_in_two_threads(write)
    trial = stores[0].get_trial("NCT05397184")
    assert trial is not None
    assert (trial.brief_title, trial.last_update_posted) == ("v28", "2024-01-28")
    assert stores[1].stats().trials == 1
    for store in stores:
        store.close()


def test_readers_never_see_half_written_trials(pg_url: str) -> None:
    writer = open_store(pg_url)
    records = [_record("2023-07-05", "t", f"NCT{90000000 + n}") for n in range(400)]
    half_written: list[int] = []
    done = threading.Event()

    def read() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while not done.is_set():
                row = conn.execute(
                    """
                    select count(*)
                    from trials
                    where not exists (
                        select 1 from raw_records where raw_records.nct_id = trials.nct_id
                    )
                        or not exists (
                        select 1 from locations where locations.nct_id = trials.nct_id
                    )
                    """
                ).fetchone()
                assert row is not None
                half_written.append(int(row[0]))

    reader = threading.Thread(target=read)
    reader.start()
    for start in range(0, len(records), 20):
        writer.write_batch(records[start : start + 20], [])
    done.set()
    reader.join()
    writer.close()
    assert len(half_written) > 1
    assert set(half_written) == {0}
