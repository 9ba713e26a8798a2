"""PostgreSQL search storage (issue 3): each trial's first site in each country, and the
search document kept in the trial row. Both change where rows are read from, never what a
search finds."""

from __future__ import annotations

import json

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store._postgres_write import country_rows
from trialfinder.store.base import Store, StoredRecord
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.rows import site_id

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record_in(
    countries: list[str], title: str = "Base Edited CAR7", last_update: str = "2023-07-05"
) -> StoredRecord:
    """The fixture trial with one site in each of `countries`, in that order."""
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["identificationModule"]["briefTitle"] = title
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    module = study["protocolSection"]["contactsLocationsModule"]
    site = module["locations"][0]
    module["locations"] = [
        {**site, "facility": f"Hospital {n}", "city": f"City {n}", "country": country}
        for n, country in enumerate(countries)
    ]
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def test_country_rows_give_each_country_its_first_site_position() -> None:
    record = _record_in(["United Kingdom", "France", "United Kingdom", "France", "Spain"])
    # Each row also carries the trial's last update, filter columns (migration 0009) and age
    # limits in years (0013), in the order of `COUNTRY_WALK_COLUMNS`.
    filters = ("2023-07-05", "RECRUITING", "INTERVENTIONAL", "ALL", False, False, "CHILD", "PHASE1")
    filters += (0.5, 16.0)
    assert country_rows(record.rows) == [
        ("NCT05397184", "United Kingdom", 0, *filters),
        ("NCT05397184", "France", 1, *filters),
        ("NCT05397184", "Spain", 4, *filters),
    ]


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


FIRST_POSITIONS = """
    select country, first_position
    from trial_countries
    order by first_position
    """


@pytest.mark.postgres
def test_migration_fills_first_positions_of_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record_in(["United Kingdom", "France", "United Kingdom", "France"])], [])
    store.close()
    assert _rows(pg_url, FIRST_POSITIONS) == [("United Kingdom", 0), ("France", 1)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("alter table trial_countries drop column first_position")
        conn.execute("delete from schema_migrations where name = '0005_search_first_country_site'")
    open_store(pg_url).close()
    assert _rows(pg_url, FIRST_POSITIONS) == [("United Kingdom", 0), ("France", 1)]


STORAGE = """
    select attstorage, array_to_string(reloptions, ',')
    from pg_attribute
    join pg_class on pg_class.oid = pg_attribute.attrelid
    where attrelid = 'trial_documents'::regclass
        and attname = 'document'
    """

DOCUMENTS = """
    select trials.document = trial_documents.document
    from trials
    join trial_documents on trial_documents.nct_id = trials.nct_id
    """


def _hits(store: Store, term: str, statuses: tuple[str, ...] = ()) -> list[str]:
    query = SearchQuery(term=term, statuses=statuses)
    return [hit.nct_id for hit in search_studies(store, query).hits]


@pytest.mark.postgres
def test_free_text_searches_a_copy_of_each_document_kept_in_its_row(pg_url: str) -> None:
    store = open_store(pg_url)
    assert _rows(pg_url, STORAGE) == [("m", "toast_tuple_target=8160")]
    store.write_batch([_record_in(["United Kingdom"], title="first title")], [])
    assert _rows(pg_url, DOCUMENTS) == [(True,)]
    assert _hits(store, "first") == ["NCT05397184"]
    newer = _record_in(["France"], title="second title", last_update="2024-01-10")
    store.write_batch([newer], [])
    assert _rows(pg_url, DOCUMENTS) == [(True,)]
    assert (_hits(store, "first"), _hits(store, "second")) == ([], ["NCT05397184"])
    # The status is tested on the document's own copy of it.
    assert _rows(pg_url, "select overall_status from trial_documents") == [("RECRUITING",)]
    assert _hits(store, "second", ("RECRUITING",)) == ["NCT05397184"]
    assert _hits(store, "second", ("COMPLETED",)) == []
    store.close()


@pytest.mark.postgres
def test_migration_copies_stored_documents(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record_in(["United Kingdom"], title="first title")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_documents")
        conn.execute("create index trials_document on trials using gin (document)")
        conn.execute("delete from schema_migrations where name = '0007_search_trial_documents'")
    store = open_store(pg_url)
    assert _rows(pg_url, DOCUMENTS) == [(True,)]
    assert _rows(pg_url, "select to_regclass('trials_document') is null") == [(True,)]
    assert _hits(store, "first") == ["NCT05397184"]
    store.close()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "countries",
    [("United States",), ("France",), ("Germany", "Spain")],
    ids=["united-states", "france", "germany-or-spain"],
)
def test_country_pages_show_each_trials_first_site_in_the_countries(
    pg_real_store: PostgresStore, countries: tuple[str, ...]
) -> None:
    wanted = {country.lower() for country in countries}
    page = search_studies(pg_real_store, SearchQuery(countries=countries), page_size=200).hits
    assert page
    for hit in page:
        trial = pg_real_store.get_trial(hit.nct_id)
        assert trial is not None
        first = next(loc for loc in trial.locations if loc.country.lower() in wanted)
        assert hit.site is not None
        assert (hit.nct_id, hit.site.site_id, hit.site_status) == (
            hit.nct_id,
            site_id(first),
            first.status,
        )
