"""The tantivy text index of SQLite stores: same matches as FTS5, kept in step by the log,
rebuilt by `reindex`, never answering for a store it does not match."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from trialfinder.cli import app
from trialfinder.errors import QueryError
from trialfinder.model import GeoPoint, Location, Trial
from trialfinder.search import query_from_params
from trialfinder.store import (
    open_store,
    sqlite_search,
    sqlite_tantivy,
    sqlite_tantivy_search,
    sqlite_tantivy_words,
    sqlite_text,
)
from trialfinder.store.base import GeoArea, StoredRecord, StudyFilter, StudySort
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_tantivy_search import tantivy_matches, tantivy_page

BOSTON = GeoPoint(lat=42.3601, lon=-71.0589)
CAMBRIDGE = GeoPoint(lat=42.3736, lon=-71.1097)
NEW_YORK = GeoPoint(lat=40.7128, lon=-74.0060)
PARIS = GeoPoint(lat=48.8566, lon=2.3522)
OUTSIDE_BOSTON_20KM = GeoPoint(lat=42.53, lon=-70.84)
"""26 km from Boston: outside a 20 km circle, inside its bounding box."""


def _trial(nct_id: str, title: str, conditions: list[str], **fields: object) -> Trial:
    sites: list[GeoPoint] = fields.pop("sites", [BOSTON])  # type: ignore[assignment]
    country = str(fields.pop("country", "United States"))
    locations = [
        Location(facility=f"Site {i}", city="City", country=country, status="RECRUITING", geo=g)
        for i, g in enumerate(sites)
    ]
    return Trial(
        nct_id=nct_id,
        brief_title=title,
        conditions=conditions,
        overall_status=str(fields.pop("overall_status", "RECRUITING")),
        study_type="INTERVENTIONAL",
        last_update_posted=str(fields.pop("last_update_posted", "2024-01-01")),
        locations=locations,
        **fields,  # type: ignore[arg-type]
    )


TRIALS = (
    _trial("NCT00000001", "Generalization of anxiety treatment", ["Anxiety"]),
    _trial(
        "NCT00000002",
        "General health study",
        ["Sjögren's Syndrome"],
        sites=[NEW_YORK],
        overall_status="COMPLETED",
    ),
    _trial(
        "NCT00000003",
        "Lung cancer screening",
        ["Non-small Cell Lung Cancer"],
        keywords=["NSCLC"],
        sites=[PARIS, CAMBRIDGE],
        country="France",
    ),
    _trial(
        "NCT00000004",
        "Running and diabetes",
        ["Type 2 Diabetes"],
        brief_summary="Patients who run daily, near the lake.",
        sites=[NEW_YORK, BOSTON],
    ),
    _trial(
        "NCT00000005",
        "Breast cancer in women",
        ["Breast Cancer"],
        sex="FEMALE",
        minimum_age="18 Years",
    ),
    # Same text, written in reverse NCT id order: equal scores list NCT00000008 first.
    _trial("NCT00000009", "Identical twin study", ["Twins"]),
    _trial("NCT00000008", "Identical twin study", ["Twins"]),
    _trial("NCT00000010", "Café au lait spots 😀", ["Neurofibromatosis"], sites=[]),
)


def _record(trial: Trial, n: int = 0) -> StoredRecord:
    return StoredRecord.of(trial, msgspec.json.encode(trial) + b" " * n, "json", "test", str(n))


@pytest.fixture
def tantivy_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "tantivy")


@pytest.fixture
def store(tmp_path: Path, tantivy_setting: None) -> Iterator[SQLiteStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(opened, SQLiteStore)
    opened.write_batch([_record(t) for t in TRIALS], [])
    yield opened
    opened.close()


def _index(store: SQLiteStore) -> sqlite_tantivy.OpenIndex:
    assert store._text_index is not None
    index = store._text_index.current(store._db)
    assert index is not None, "the index should hold what the store holds"
    return index


def _fts5_ids(store: SQLiteStore, where: StudyFilter) -> set[str]:
    sql, params = sqlite_search.study_search_sql(where, None)
    return {row[1] for row in store._db.execute(sql, params)}


def _where(params: dict[str, str]) -> StudyFilter:
    return query_from_params(params).study_filter()


QUERIES = {
    "words": {"query.term": "lung cancer"},
    "phrase": {"query.term": '"lung cancer"'},
    "phrase not adjacent": {"query.term": '"cancer lung"'},
    "or": {"query.term": "anxiety OR diabetes"},
    "minus": {"query.term": "cancer -breast"},
    "synonym": {"query.cond": "NSCLC"},
    "condition": {"query.cond": "lung cancer"},
    "diacritics folded": {"query.term": "sjogren"},
    "diacritics typed": {"query.term": "Sjögren"},
    "porter stem": {"query.term": "generalization"},
    "stem of a verb": {"query.term": "runs"},
    "summary only": {"query.term": "lake"},
    "title only": {"query.titles": "study"},
    "near paren": {"query.term": "NEAR( lake"},
    "quote": {"query.term": 'twin"'},
    "emoji": {"query.term": "😀 café"},
    "status filter": {"query.term": "study", "filter.overallStatus": "COMPLETED"},
    "age filter": {"query.term": "cancer", "filter.age": "10"},
    "country filter": {"query.term": "cancer", "filter.country": "France"},
    "no match": {"query.term": "zebrafish"},
}


@pytest.mark.parametrize("params", list(QUERIES.values()), ids=list(QUERIES))
def test_the_index_matches_what_fts5_matches(store: SQLiteStore, params: dict[str, str]) -> None:
    where = _where(params)
    index = _index(store)
    matched = tantivy_matches(index, where)
    assert matched is not None
    names = dict(store._db.execute("select rowid, nct_id from trials"))
    assert {names[rowid] for rowid in matched} == _fts5_ids(store, where)


def test_a_prefix_search_goes_to_fts5(store: SQLiteStore) -> None:
    where = _where({"query.term": "diabet*"})
    assert tantivy_matches(_index(store), where) is None
    hits = store.search_trials(where, StudySort(), 10, 0, 10.0)
    assert [hit.nct_id for hit in hits] == ["NCT00000004"]


def test_text_too_long_is_refused_as_with_fts5(store: SQLiteStore) -> None:
    with pytest.raises(QueryError) as error:
        _where({"query.term": "x" * 10_000})
    assert error.value.args[0] == "query.term is 10,000 characters long; at most 2,000 are accepted"


def test_a_page_near_a_place_matches_fts5(store: SQLiteStore) -> None:
    where = _where(
        {"query.term": "cancer OR diabetes OR anxiety", "filter.geo": "distance(42.36,-71.06,20km)"}
    )
    index = _index(store)
    page = tantivy_page(store._db, index, where, 10, 0)
    assert page is not None
    assert {nct_id for nct_id, _ in page} == _fts5_ids(store, where)
    assert {nct_id for nct_id, _ in page} == {
        "NCT00000001",
        "NCT00000003",
        "NCT00000004",
        "NCT00000005",
    }
    hits = store.search_trials(where, StudySort(), 10, 0, 10.0)
    assert [(hit.nct_id, hit.score) for hit in hits] == page
    assert all(hit.distance_km is not None and hit.distance_km <= 20 for hit in hits)


def test_equal_scores_are_ordered_by_nct_id(store: SQLiteStore) -> None:
    where = _where({"query.term": "identical twin"})
    page = tantivy_page(store._db, _index(store), where, 10, 0)
    assert page is not None
    assert [nct_id for nct_id, _ in page] == ["NCT00000008", "NCT00000009"]
    assert page[0][1] == page[1][1]
    second = tantivy_page(store._db, _index(store), where, 1, 1)
    assert second == [page[1]]


@pytest.mark.parametrize(
    ("boosts", "order"),
    [
        ((10.0, 8.0, 5.0, 6.0, 2.0, 1.0), ["NCT00000001", "NCT00000004"]),
        ((1.0, 1.0, 1.0, 1.0, 50.0, 1.0), ["NCT00000004", "NCT00000001"]),
    ],
    ids=["title and condition heavy", "summary heavy"],
)
def test_the_index_ranks_with_the_boosts_table(
    store: SQLiteStore,
    monkeypatch: pytest.MonkeyPatch,
    boosts: tuple[float, ...],
    order: list[str],
) -> None:
    # NCT00000001 has "anxiety" in its title and condition, NCT00000004 "lake" in its summary.
    monkeypatch.setattr(sqlite_text, "TANTIVY_BOOSTS", boosts)
    page = tantivy_page(store._db, _index(store), _where({"query.term": "anxiety OR lake"}), 10, 0)
    assert page is not None
    assert [nct_id for nct_id, _ in page] == order


def test_a_write_brings_the_index_up_to_date(store: SQLiteStore) -> None:
    added = _trial("NCT00000020", "Zebrafish model of asthma", ["Asthma"])
    store.write_batch([_record(added)], [])
    state = sqlite_tantivy.store_state(store._db)
    assert state is not None
    assert sqlite_tantivy.read_meta(store.text_index_path) == state
    page = tantivy_page(store._db, _index(store), _where({"query.term": "zebrafish"}), 10, 0)
    assert page is not None and [nct_id for nct_id, _ in page] == ["NCT00000020"]


def test_replacing_a_trial_drops_its_old_text(store: SQLiteStore) -> None:
    old = TRIALS[3]
    new = msgspec.structs.replace(
        old,
        brief_title="Walking and obesity",
        conditions=["Obesity"],
        brief_summary="",
        last_update_posted="2025-01-01",
    )
    store.write_batch([_record(new, 1)], [])
    index = _index(store)
    assert tantivy_page(store._db, index, _where({"query.term": "diabetes"}), 10, 0) == []
    page = tantivy_page(store._db, index, _where({"query.term": "obesity"}), 10, 0)
    assert page is not None and [nct_id for nct_id, _ in page] == ["NCT00000004"]


def test_a_deleted_trial_leaves_the_index(store: SQLiteStore) -> None:
    with store._db:
        store._db.execute("delete from trials where nct_id = 'NCT00000005'")
    assert store._text_index is not None
    assert store._text_index.current(store._db) is None  # behind the log: FTS5 answers
    sqlite_tantivy.catch_up(store._db, store.text_index_path)
    matched = tantivy_matches(_index(store), _where({"query.term": "breast"}))
    assert matched == set()


def test_a_write_the_index_missed_sends_readers_to_fts5(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "fts5")
    other = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    other.write_batch([_record(_trial("NCT00000021", "Zebrafish asthma", ["Asthma"]))], [])
    other.close()
    assert store._text_index is not None
    assert store._text_index.current(store._db) is None
    hits = store.search_trials(_where({"query.term": "zebrafish"}), StudySort(), 10, 0, 10.0)
    assert [hit.nct_id for hit in hits] == ["NCT00000021"]


_KILLED_WRITER = """
import os, sys
import msgspec
from trialfinder.model import Trial
from trialfinder.store import open_store, sqlite_tantivy
from trialfinder.store.base import StoredRecord
sqlite_tantivy.catch_up = lambda db, path: os._exit(9)  # killed after the SQLite commit
store = open_store(sys.argv[1])
trial = Trial(nct_id="NCT00000022", brief_title="Zebrafish asthma", last_update_posted="2024-01-01")
store.write_batch([StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", "1")], [])
"""


def test_a_writer_killed_before_the_index_commit_is_caught_up(
    store: SQLiteStore, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, url], check=False)
    assert killed.returncode == 9
    assert store._text_index is not None
    assert store._text_index.current(store._db) is None
    where = _where({"query.term": "zebrafish"})
    assert [h.nct_id for h in store.search_trials(where, StudySort(), 10, 0, 10.0)] == [
        "NCT00000022"
    ]
    store.write_batch([_record(_trial("NCT00000023", "Heart failure", ["Heart Failure"]))], [])
    page = tantivy_page(store._db, _index(store), where, 10, 0)
    assert page is not None and [nct_id for nct_id, _ in page] == ["NCT00000022"]


def _reindex(tmp_path: Path) -> dict[str, object]:
    result = CliRunner().invoke(
        app, ["reindex", "--json", "--database", f"sqlite:///{tmp_path / 'trials.db'}"]
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


@pytest.mark.parametrize("damage", ["missing", "corrupted", "meta of another store"])
def test_reindex_rebuilds_the_index(store: SQLiteStore, tmp_path: Path, damage: str) -> None:
    path = store.text_index_path
    if damage == "missing":
        import shutil

        shutil.rmtree(path)
    elif damage == "corrupted":
        for file in path.iterdir():
            if file.suffix in (".idx", ".term", ".json"):
                file.write_bytes(b"garbage")
    else:
        (path / "trialfinder.json").write_text('{"store_id": "other", "seq": 1}')
    assert store._text_index is not None
    assert store._text_index.current(store._db) is None
    summary = _reindex(tmp_path)
    assert summary["trials"] == len(TRIALS)
    assert summary["index"] == str(path)
    matched = tantivy_matches(_index(store), _where({"query.term": "lung cancer"}))
    assert matched is not None and len(matched) == 1


def test_reindex_without_json_prints_one_line(store: SQLiteStore, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["reindex", "--database", f"sqlite:///{tmp_path / 'trials.db'}"]
    )
    assert result.exit_code == 0, result.output
    assert f"indexed the text of {len(TRIALS)} trials in " in result.output
    assert "trials.db.tantivy" in result.output


def test_fts5_setting_keeps_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "fts5")
    plain = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(plain, SQLiteStore)
    plain.write_batch([_record(TRIALS[0])], [])
    assert not plain.text_index_path.exists()
    plain.write_batch([_record(TRIALS[1])], [])
    assert plain._db.execute("select count(*) from text_index_log").fetchone() == (0,)
    plain.close()


def test_fts5_writes_keep_the_log_of_an_index_beside_the_store(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process searching FTS5 alone leaves the log to the index another process keeps."""
    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "fts5")
    other = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(other, SQLiteStore)
    other.write_batch([_record(_trial("NCT00000023", "Zebrafish gout", ["Gout"]))], [])
    logged = other._db.execute("select nct_id from text_index_log").fetchall()
    other.close()
    assert logged[-1] == ("NCT00000023",)


def test_an_unknown_setting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trialfinder.errors import StoreError

    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "lucene")
    with pytest.raises(StoreError) as error:
        open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert error.value.args[0] == "TRIALFINDER_TEXT_INDEX='lucene' is not one of fts5, tantivy"


def test_a_served_search_near_a_country_goes_to_fts5(store: SQLiteStore) -> None:
    where = dataclasses.replace(
        _where({"query.term": "cancer"}), geo=GeoArea(42.36, -71.06, 20.0), countries=("France",)
    )
    hits = store.search_trials(where, StudySort(), 10, 0, 10.0)
    assert {hit.nct_id for hit in hits} == _fts5_ids(store, where) == {"NCT00000003"}


@pytest.mark.parametrize(
    "params",
    [
        {"query.term": "cancer OR twin OR anxiety", "filter.ids": "NCT00000003,NCT00000008"},
        {
            "query.term": "cancer OR diabetes",
            "filter.advanced": "AREA[MinimumAge]RANGE[18 years, MAX]",
        },
        {"query.term": "study OR cancer", "query.locn": "City"},
    ],
    ids=["ids", "minimum age range", "location words"],
)
def test_filters_the_index_lacks_are_checked_in_sqlite(
    store: SQLiteStore, params: dict[str, str]
) -> None:
    where = _where(params)
    rows = sqlite_search._indexed_page(store._db, where, StudySort(), 100, 0, store._text_index)
    assert rows is not None, "the index should serve it, checking the rest in SQLite"
    assert {row[0] for row in rows} == _fts5_ids(store, where)


def test_a_long_run_of_equal_scores_near_a_place_is_taken_in_nct_id_order(
    store: SQLiteStore,
) -> None:
    # 150 trials of the same text (more than a checking batch) with a site in the areas the
    # circle touches, every third in the circle;
    # the first 75 written again, so the index lists them last among equal scores.
    twins = [
        _trial(
            f"NCT{1000 + n:08d}",
            "Zebrafish tie study",
            ["Ties"],
            sites=[BOSTON if n % 3 == 0 else OUTSIDE_BOSTON_20KM],
        )
        for n in range(150)
    ]
    store.write_batch([_record(t) for t in twins], [])
    newer = [msgspec.structs.replace(t, last_update_posted="2025-01-01") for t in twins[:75]]
    store.write_batch([_record(t, 1) for t in newer], [])
    where = _where({"query.term": "zebrafish", "filter.geo": "distance(42.36,-71.06,20km)"})
    page = tantivy_page(store._db, _index(store), where, 10, 5)
    assert page is not None
    near = [f"NCT{1000 + n:08d}" for n in range(0, 150, 3)]
    assert [nct_id for nct_id, _ in page] == near[5:15]


def test_a_second_writer_leaves_the_index_to_the_one_holding_it(store: SQLiteStore) -> None:
    holder = sqlite_tantivy._open(store.text_index_path).writer(50_000_000, 1)
    store.write_batch([_record(_trial("NCT00000024", "Zebrafish asthma", ["Asthma"]))], [])
    assert store._text_index is not None
    assert store._text_index.current(store._db) is None  # behind the log: FTS5 answers
    where = _where({"query.term": "zebrafish"})
    assert [h.nct_id for h in store.search_trials(where, StudySort(), 10, 0, 10.0)] == [
        "NCT00000024"
    ]
    del holder
    store.write_batch([_record(_trial("NCT00000025", "Heart failure", ["Heart Failure"]))], [])
    page = tantivy_page(store._db, _index(store), where, 10, 0)
    assert page is not None and [nct_id for nct_id, _ in page] == ["NCT00000024"]


@pytest.mark.parametrize(
    ("nct_id", "number"),
    [
        ("NCT00000008", 8),
        ("NCT12345678", 12_345_678),
        ("NCT1234567", sqlite_tantivy.NO_NCT_NUMBER),
        ("XYZ00000001", sqlite_tantivy.NO_NCT_NUMBER),
        ("NCT0000000\u0663", sqlite_tantivy.NO_NCT_NUMBER),
    ],
    ids=["small", "large", "7 digits", "other prefix", "arabic-indic digit"],
)
def test_nct_numbers_are_the_digits_of_registry_ids(nct_id: str, number: int) -> None:
    assert sqlite_tantivy.nct_number(nct_id) == number


@pytest.mark.parametrize(
    ("text", "is_alike"),
    [
        ("Plain ASCII text, 5 mg/kg", True),
        ("Café ≥ 5 µg at 37 °C, Sjögren ½", True),
        ("circled ⓐ letter", True),
        ("zebra\u0301fish", False),
        ("private \ue000 use", False),
    ],
    ids=["ascii", "latin and symbols", "fts5 splits, tantivy not", "combining accent", "private"],
)
def test_texts_split_alike_unless_fts5_joins_what_tantivy_cuts(text: str, is_alike: bool) -> None:
    forms = sqlite_tantivy_words.WordForms()
    assert forms.splits_alike(["title", text]) is is_alike


def test_a_trial_split_unlike_fts5_on_a_page_is_confirmed_by_fts5(store: SQLiteStore) -> None:
    # tantivy cuts "zebra\u0301fish" into "zebra" and "fish"; FTS5 keeps one token, zebrafish.
    store.write_batch([_record(_trial("NCT00000026", "Zebra\u0301fish care", ["Fish"]))], [])
    where = _where({"query.term": "zebra"})
    assert tantivy_matches(_index(store), where) == {_rowid(store, "NCT00000026")}
    assert tantivy_page(store._db, _index(store), where, 10, 0) is None  # FTS5 answers
    assert store.search_trials(where, StudySort(), 10, 0, 10.0) == []


def test_a_page_of_plain_text_is_not_read_again_by_fts5(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirmed: list[list[int]] = []

    def fts5_agrees(db: object, where: object, rowids: list[int]) -> bool:
        confirmed.append(rowids)
        return True

    monkeypatch.setattr(sqlite_tantivy_search, "_fts5_agrees", fts5_agrees)
    page = tantivy_page(store._db, _index(store), _where({"query.term": "cancer"}), 10, 0)
    assert page is not None and len(page) == 2
    assert confirmed == [[]]


def test_equal_scores_of_ids_without_nct_numbers_are_ordered_by_id(store: SQLiteStore) -> None:
    odd = [_trial(nct_id, "Okapi tie study", ["Ties"]) for nct_id in ("NCT0000000B", "NCT0000000A")]
    store.write_batch([_record(t) for t in odd], [])
    page = tantivy_page(store._db, _index(store), _where({"query.term": "okapi"}), 10, 0)
    assert page is not None
    assert [nct_id for nct_id, _ in page] == ["NCT0000000A", "NCT0000000B"]


def test_an_index_of_the_previous_format_is_read_as_none(store: SQLiteStore) -> None:
    state = sqlite_tantivy.store_state(store._db)
    assert state is not None and store._text_index is not None
    meta = {"store_id": state.store_id, "seq": state.seq}  # format 1 wrote no format
    (store.text_index_path / "trialfinder.json").write_text(json.dumps(meta))
    store._text_index.close()
    assert store._text_index.current(store._db) is None  # FTS5 answers
    store.write_batch([_record(_trial("NCT00000027", "Heart failure", ["Heart Failure"]))], [])
    assert sqlite_tantivy.read_meta(store.text_index_path) == sqlite_tantivy.store_state(store._db)
    page = tantivy_page(store._db, _index(store), _where({"query.term": "heart"}), 10, 0)
    assert page is not None and [nct_id for nct_id, _ in page] == ["NCT00000027"]


def _rowid(store: SQLiteStore, nct_id: str) -> int:
    (rowid,) = store._db.execute(
        "select rowid from trials where nct_id = :nct_id", {"nct_id": nct_id}
    ).fetchone()
    return int(rowid)


def test_a_page_past_its_deadline_stops_as_a_statement_past_the_time_limit(
    store: SQLiteStore,
) -> None:
    where = _where({"query.term": "cancer"})
    index = _index(store)
    with pytest.raises(QueryError) as error, sqlite_search.time_limit(store._db, 0.0):
        tantivy_page(store._db, index, where, 10, 0, deadline=time.monotonic() - 1.0)
    assert error.value.args[0] == (
        "the search took longer than 0 s and was stopped; add words or filters to narrow it"
    )
    assert tantivy_page(store._db, index, where, 10, 0, deadline=time.monotonic() + 60.0)
