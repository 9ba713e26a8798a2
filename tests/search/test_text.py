"""Search text → terms → FTS5 expressions, synonyms and the SQL builder (no data needed)."""

from __future__ import annotations

import pytest

from trialfinder.errors import QueryError
from trialfinder.search import parse_text, synonyms_of
from trialfinder.search._text import synonyms
from trialfinder.store.base import StudyFilter, StudySort, TextSearch, TextTerm
from trialfinder.store.sqlite_search import study_search_sql
from trialfinder.store.sqlite_text import fts_query

FTS_CASES = [
    ("lupus nephritis", '("lupus" AND "nephritis")'),
    ('"heart failure" adults', '("heart failure" AND "adults")'),
    ("asthma OR copd", '(("asthma" OR "copd"))'),
    ("cancer -breast", '(("cancer") NOT ("breast"))'),
    ("cancer NOT breast", '(("cancer") NOT ("breast"))'),
    ("immuno*", '("immuno" *)'),
    ('say "hi', '("say" AND "hi")'),
    ("NEAR(a b)", '("NEAR a" AND "b")'),
    ("x'; drop table trials; --", '("x" AND "drop" AND "table" AND "trials")'),
    ("non-small", '("non small")'),
    ("café 😀", '("café")'),
]


@pytest.mark.parametrize(("text", "expected"), FTS_CASES, ids=[c[0] for c in FTS_CASES])
def test_fts_query_quotes_every_word(text: str, expected: str) -> None:
    terms = parse_text(text, "query.term")
    assert fts_query((TextSearch((), terms),)) == expected


def test_fts_query_column_filter() -> None:
    terms = parse_text("leukemia", "query.cond")
    assert fts_query((TextSearch(("conditions", "title"), terms),)) == (
        '{conditions title} : ("leukemia")'
    )


BAD_TEXT = [
    ("😀", "query.term '😀' has no words to search for (letters or digits)"),
    ('"" * -', "query.term '\"\" * -' has no words to search for (letters or digits)"),
    ("-cancer", "query.term '-cancer' only excludes words; add a word to search for"),
    ("a" * 2001, "query.term is 2,001 characters long; at most 2,000 are accepted"),
    (" ".join(["w"] * 65), "query.term has 65 words or phrases; at most 64 are searched"),
]


@pytest.mark.parametrize(
    ("text", "message"), BAD_TEXT, ids=["emoji", "symbols", "only-not", "too-long", "too-many"]
)
def test_parse_text_rejects_with_clear_message(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_text(text, "query.term")
    assert error.value.args[0] == message
    assert error.value.parameter == "query.term"


def test_blank_text_is_no_search() -> None:
    assert parse_text("   ", "query.term") == ()


def test_synonym_expands_abbreviation() -> None:
    assert parse_text("SLE", "query.cond", expand_synonyms=True) == (
        TextTerm(
            (
                ("sle",),
                ("systemic", "lupus", "erythematosus"),
                ("lupus", "erythematosus", "systemic"),
            )
        ),
    )


def test_synonym_finds_abbreviation_from_full_name() -> None:
    assert synonyms_of("Non-small cell lung cancer")[0] == "NSCLC"


def test_case_sensitive_abbreviation_needs_capitals() -> None:
    assert synonyms_of("ALL")[0] == "ALL"
    assert synonyms_of("all") == ()


def test_synonym_table_rows_are_unique_and_expand() -> None:
    rows = synonyms()
    assert len({row.abbreviation for row in rows}) == len(rows)
    assert all(row.expansions for row in rows)


def test_study_search_sql_is_plain_and_bound() -> None:
    sql, params = study_search_sql(StudyFilter(statuses=("RECRUITING",)), StudySort())
    assert sql == (
        "select\n"
        "    trials.nct_id as nct_id,\n"
        "    null as score,\n"
        "    null, null,\n"
        "    null as distance_km\n"
        "from trials\n"
        "where trials.overall_status in (select value from json_each(:statuses))\n"
        "order by trials.last_update_posted desc, trials.nct_id asc\n"
        "limit :limit offset :offset\n"
    )
    assert params == {"statuses": '["RECRUITING"]'}
