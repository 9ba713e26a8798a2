"""The hybrid free-text path of PostgreSQL relevance pages (issue #3; migrations 0016-0017).

The product's relevance page (`postgres_search.study_search_sql`) reads, rechecks and ranks by
`ts_rank` every row its GIN bitmap yields, so a query of many hits costs its hit count (~6-10 us
a row). The hybrid path keeps that page where the yield is small and, where it is large, ranks
by BM25 from an impact-ordered table with a threshold stop (`bm25_top_k`), reading a few lists'
heads in place of every hit (bench/pg_impact_bench.py, sessions 10-13, BENCHMARKS.md):

- `trial_word_scores` (word_id, impact, trial, status, tf): one row per lexeme of each trial's
  document, impact = the lexeme's BM25 term part without idf (`word_impact`) at the mean length
  of the stats row (the lists' order), tf = its weighted term frequency (`tf_units`), under a
  btree by (word, impact desc, trial) (the lists, best first), one by (trial, word) with the tf
  (a candidate's exact score) and a partial one over a fixed 1-in-`SAMPLE_SHARE` sample of
  trials (the yield estimate). Words by id from `impact_words` (word, word_id, trials: the
  document frequency; word '' counts every trial), statuses by code from `impact_statuses`,
  trials by the 8 digits of their NCT id (`TRIAL_KEY`), their lengths in `impact_trials`.
- `impact_stats` (one row): the mean document length the impacts are ordered by (A0: the mean
  at 0016's fill, or, for an empty store, of the first batch written; frozen), the sum of the
  keyed trials' lengths (exact), and how many stored trials have no integer key (an id not
  `NCT` + 8 digits; none on the normal ingest path, which rejects such ids). A store holding a
  trial without an integer key takes the product page.
- Scores are BM25 at the current statistics (0017): document count, frequencies and the mean
  length A = sum of lengths / count are exact, and a candidate is scored from its tf and length
  at A. Only the lists' order is at A0; since a term's impact at A is at most max(1, A/A0) times
  its impact at A0, the top-k's bounds are the lists' times that factor
  (`CURRENT_STATISTICS`), so its stop stays valid and its page is every-hit BM25's, whatever
  the writes did to the mean (0016 scored at A0: its pages drifted as the corpus grew).
- The write path (`refresh_trials`) replaces a trial's rows, length and counts in the
  transaction that writes the trial, last, under one advisory lock (word ids are assigned
  under it).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import psycopg

from trialfinder.store.base import StudyFilter, StudySort
from trialfinder.store.postgres_search import (
    LABEL_WEIGHTS,
    TEXT_CONFIG,
    _labels,
    _phrase,
    study_search_sql,
)

Connection = psycopg.Connection[Any]

K1, B = 1.2, 0.75
"""BM25's constants, as SQLite FTS5 and tantivy fix them."""
LABELS = "DCBA"
"""The tsvector weight labels in `LABEL_WEIGHTS`' order."""

WORDS = "impact_words"
"""The words dictionary: word, its integer id, the trials holding it (word '': id 0, every
trial)."""
SCORES = "trial_word_scores"
"""The compact impact table: (word_id integer, impact real, trial integer, status smallint)."""
STATUSES = "impact_statuses"
"""Status codes of the compact table: (status text, code smallint)."""
STATS = "impact_stats"
"""One row: (avg_length: the mean length the impacts, the lists' order, are made with, null
before any trial; unkeyed: stored trials without an integer key; total_length (0017): the sum
of the keyed trials' lengths, so the current mean is total_length / the trials of word '')."""
TRIALS = "impact_trials"
"""Each keyed trial's BM25 length (migration 0017): (trial integer, length integer)."""
KEYED = "{nct_id} ~ '^NCT[0-9]{{8}}$'"
"""Whether a trial id has an integer key (`TRIAL_KEY`)."""
TRIAL_KEY = "substr({nct_id}, 4)::integer"
"""A trial's integer key: the 8 digits of its NCT id (`KEYED`). Same order as the ids, so ties
broken by key are broken by id."""
NCT_ID = "'NCT' || lpad({trial}::text, 8, '0')"
"""A trial's NCT id from its integer key."""

TF_SCALE = 20
"""A row's term frequency (`tf_units`) is kept in units of 1/TF_SCALE: every label weight is a
whole number of them, so the smallint is exact (at most 256 positions a lexeme x 20 units)."""
TF_UNITS = tuple(round(weight * TF_SCALE) for weight in LABEL_WEIGHTS)
"""The label weights (`LABEL_WEIGHTS`' order: D, C, B, A) in units of 1/`TF_SCALE`."""
if any(units / TF_SCALE != weight for units, weight in zip(TF_UNITS, LABEL_WEIGHTS, strict=True)):
    raise ValueError(f"label weights {LABEL_WEIGHTS} are not whole 1/{TF_SCALE}ths")
FLOAT4_MARGIN = 2.0**-23
"""The relative error an impact's rounding to real can hide (float4 keeps 24 bits): the top-k's
bounds are widened by it (`CURRENT_STATISTICS`) so that an exact score never exceeds them."""

FIRST_DEPTH = 64
"""Impact rows read per word in the first round of a top-k; the depth doubles each round."""
BATCH_IN_SERVER = 32
"""Trials seen scored exactly and checked against the product's conditions per statement, in
the server (best upper bound first)."""
SCORE_BATCH = 256
"""The trials a round of `bm25_top_k` scores from the trial index while fewer than k hits are
known (then it reads deeper)."""

SAMPLE_SHARE = 64
"""One trial in this many is in the yield sample (`IN_SAMPLE`)."""
IN_SAMPLE = f"(hashint4(trial) & {SAMPLE_SHARE - 1}) = 0"
"""Whether a compact-table row's trial is in the yield sample: a fixed hash of its key (not
its digits, which a replicated corpus may assign in a pattern), under a partial index."""
PRODUCT_YIELD_MAX = 4096
"""The hybrid path (`takes_product_path`): a page whose GIN yield is at most this many rows goes
to the product's own SQL. Fixed before measuring (session 12): the product reads, rechecks and
ranks every row its GIN bitmap yields, ~6-10 us a row, so such a page costs at most ~25-40 ms,
about the SQLite+tantivy free-text p95 (37-42 ms CPU, sessions 10-11); larger ones take the
top-k."""
MASK_BITS = 63
"""The most query words `sampled_yield` tells apart (a bigint mask); more: the hit bound."""

TS_RANK = re.compile(r"ts_rank\('\{[^}]*\}', (?P<document>[\w.]+), query, 1\)")
"""The product's relevance score in `study_search_sql`'s SQL."""


def doc_length(document: str) -> str:
    """SQL of a one-row relation `length (doc)`: the document's BM25 length, its positions (a
    lexeme without positions counts 1). An aggregate, so that the planner keeps it one value
    a document (a bare `(select expression)` is pulled up and computed at each use)."""
    return f"""lateral (
        select coalesce(sum(greatest(cardinality(positions), 1)), 0) as doc
        from unnest({document})
    ) as length"""


def word_impact(weights: str, length: str, avg_length: str, labels: str = "") -> str:
    """SQL of a word's BM25 term part (no idf) in one document, from its positions' labels
    (`weights`, tsvector's text[]), the document's length and the mean length: tf = the sum of
    the label weights (`LABEL_WEIGHTS`, the product's) of its positions in `labels` ('' = all);
    a lexeme without positions counts as one position of label D. An expression, not a
    function: 25M rows at 100k studies, where a SQL function call cost ~80 us a row."""
    parts = [
        f"cardinality(array_positions({weights}, '{label}')) * {weight!r}"
        for label, weight in zip(LABELS, LABEL_WEIGHTS, strict=True)
        if not labels or label in labels
    ]
    unplaced = LABEL_WEIGHTS[0] if not labels or "D" in labels else 0.0
    tf = (
        f"case when coalesce(cardinality({weights}), 0) = 0 then {unplaced!r} "
        f"else {' + '.join(parts)} end"
    )
    norm = f"{K1} * ({1 - B} + {B} * {length} / {avg_length})"
    return f"(({tf}) * {K1 + 1} / (({tf}) + {norm}))::real"


def tf_units(weights: str) -> str:
    """SQL of a word's term frequency in one document in units of 1/`TF_SCALE` (smallint): the
    tf of `word_impact` (all labels), exact, for the scores at the current mean length."""
    parts = [
        f"cardinality(array_positions({weights}, '{label}')) * {units}"
        for label, units in zip(LABELS, TF_UNITS, strict=True)
    ]
    return (
        f"(case when coalesce(cardinality({weights}), 0) = 0 then {TF_UNITS[0]} "
        f"else {' + '.join(parts)} end)::smallint"
    )


def exact_impact(units: str, length: str, mean_length: str) -> str:
    """SQL of a word's BM25 term part (no idf) in float8 from its tf in units (`tf_units`), the
    document's length and the current mean length: what `word_impact` gives at that mean,
    unrounded."""
    tf = f"({units})::float8 / {TF_SCALE}"
    norm = f"{K1} * ({1 - B} + {B} * ({length}) / ({mean_length}))"
    return f"({tf} * {K1 + 1} / ({tf} + {norm}))"


CURRENT_STATISTICS = f"""
    select stats.total_length::float8 / nullif(everyone.trials, 0) as mean_length,
        greatest(1, stats.total_length::float8 / nullif(everyone.trials, 0) / stats.avg_length)
            / {1 - FLOAT4_MARGIN!r} as bound_factor
    from {STATS} as stats
    join {WORDS} as everyone on everyone.word = ''
    """
"""SQL of (mean_length, bound_factor): the keyed trials' mean length now, and the factor
max(1, mean now / mean of the lists' order) (over `FLOAT4_MARGIN`) that bounds the ratio of a
term's exact impact now to its stored one: for tf, length L and means A (now), A0 (order),
impact_A / impact_A0 = (tf + k1(1-b+bL/A0)) / (tf + k1(1-b+bL/A)) <= (1-b+bL/A0) / (1-b+bL/A)
<= max(1, A/A0) (session 12, helper 11's design)."""


def frequencies_select(table: str, column: str, where: str = "true") -> str:
    """SQL of (word, trials): each lexeme's document frequency in the rows of `table` that pass
    `where`, with their number under the word ''."""
    return f"""
        select word, count(*)::integer as trials
        from {table} as source, unnest(tsvector_to_array(source.{column})) as word
        where {where}
        group by word
        union all
        select '', count(*)::integer from {table} as source where {where}
        """


def compact_insert(source: str, avg_length: str, with_tf: bool = True) -> str:
    """SQL inserting the compact impact rows of every trial of `source` (a relation like
    `trial_documents`, its trials keyed), its words looked up in the dictionary, with their term
    frequencies (`tf_units`; `with_tf` False: migration 0016's rows, without)."""
    tf_column = ", tf" if with_tf else ""
    tf_value = f", {tf_units('lexeme.weights')}" if with_tf else ""
    return f"""
        insert into {SCORES} (word_id, impact, trial, status{tf_column})
        select words.word_id,
            {word_impact("lexeme.weights", "length.doc", avg_length)},
            {TRIAL_KEY.format(nct_id="documents.nct_id")}, statuses.code{tf_value}
        from {source} as documents
        join {STATUSES} as statuses on statuses.status = documents.overall_status
        cross join {doc_length("documents.document")}
        cross join lateral unnest(documents.document) as lexeme
        join {WORDS} as words on words.word = lexeme.lexeme
        """


def trial_score(trial: str, word_ids: str, idfs: str) -> str:
    """SQL of a trial's BM25 score from the compact table's trial index: the sum of idf x
    impact of its rows of the query's words (`word_ids`, `idfs`: SQL arrays, same order), one
    index scan (a join to the words costs a nested loop per trial)."""
    idf = f"({idfs})[array_position({word_ids}, impacts.word_id)]"
    return f"""select coalesce(sum(impacts.impact * {idf}), 0)
        from {SCORES} as impacts
        where impacts.trial = {trial} and impacts.word_id = any({word_ids})"""


def exact_trial_score(trial: str, word_ids: str, idfs: str, mean_length: str) -> str:
    """SQL of a trial's BM25 score at the mean length `mean_length` (migration 0017): the sum of
    idf x `exact_impact` of its rows of the query's words (`word_ids`, `idfs`: SQL arrays, same
    order) from the trial index and its length, summed in the words' order (so equal inputs
    give equal scores, whatever the plan)."""
    idf = f"({idfs})[array_position({word_ids}, impacts.word_id)]"
    impact = exact_impact("impacts.tf", "lengths.length", mean_length)
    return f"""select coalesce(sum({impact} * {idf}
            order by array_position({word_ids}, impacts.word_id)), 0)
        from {TRIALS} as lengths
        join {SCORES} as impacts on impacts.trial = lengths.trial
        where lengths.trial = {trial} and impacts.word_id = any({word_ids})"""


def top_k_function(exact: bool) -> str:
    """SQL creating `bm25_top_k`, the threshold algorithm as one server call
    (`top_k_in_server`): migration 0016's (`exact` False: impacts at the frozen mean) or 0017's
    (`exact`: scores at the current statistics, bounds widened by the bound factor of
    `CURRENT_STATISTICS`)."""
    exact_comment = (
        """-- (0017) Scores are exact at the current mean length (`mean_length`, read from the
-- stats row): from each trial's term frequencies and length (the trial index, `impact_trials`),
-- never from the lists, whose impacts are at the mean the rows were ordered by. The bound and
-- the upper bounds are the lists' sums times `bound_factor` (`CURRENT_STATISTICS`): no trial
-- unseen, and no part of a trial unseen in a list, can score above them. (The budget still
-- counts the trials not seen in every list: scoring from the rows read was measured slower.)
"""
        if exact
        else ""
    )
    exact_declare = (
        """
    mean_length float8;
    bound_factor float8;"""
        if exact
        else ""
    )
    exact_begin = (
        f"""
    select current_stats.mean_length, current_stats.bound_factor into mean_length, bound_factor
    from ({CURRENT_STATISTICS}) as current_stats;"""
        if exact
        else ""
    )
    bound_sum = "coalesce(sum(idfs[i] * lasts[i]), 0)"
    seen_upper = """sum(idfs[read.ord] * read.impact) + bound
                    - sum(idfs[read.ord] * lasts[read.ord]) as upper"""
    exact_score = f"""when batch.lists = word_count then batch.partial
                    when known.score is not null then known.score
                    else ({trial_score("batch.trial", "word_ids", "idfs")})
                end as score,
                batch.lists < word_count and known.score is null as from_index"""
    if exact:
        bound_sum = f"bound_factor * {bound_sum}"
        seen_upper = """bound_factor * (sum(idfs[read.ord] * read.impact)
                    - sum(idfs[read.ord] * lasts[read.ord])) + bound as upper"""
        exact_score = f"""when known.score is not null then known.score
                    else ({exact_trial_score("batch.trial", "word_ids", "idfs", "mean_length")})
                end as score,
                known.score is null as from_index"""
    return f"""
create or replace function bm25_top_k(
    word_ids integer[], idfs float8[], statuses smallint[], k integer, check_sql text,
    first_depth integer, batch_size integer, score_budget integer, keep boolean
) returns table (
    nct_id text, score float8, rounds integer, rows_read integer, scored integer, checked integer
)
language plpgsql stable as $function$
-- The first k hits by BM25 (ties by id), read from {SCORES} with a threshold stop, in one
-- call. Each round reads the first `depth` rows of every word's list (depth doubling); the
-- bound is the sum over words of idf x the depth-th impact (0 for a list shorter than depth):
-- no trial unseen can score above it. A trial seen has a partial score and an upper bound
-- (partial + the bound's terms of the lists it was not seen in); in order of upper bound, a
-- batch at a time, trials are scored exactly (from the lists when seen in all, else from the
-- trial index) and those that can enter the page tested against the product's conditions
-- (`check_sql`, $1 = their ids, returning the hits' ids), until the next upper bound is under
-- the floor (the k-th hit's score, or the bound). The page is final with k hits above the
-- bound, or when every list was read to its end. While fewer than k hits are known, a round
-- scores at most `score_budget` trials from the trial index, then reads deeper (cheaper than
-- scoring every trial seen: deeper lists make more of them exact, or drop them). With `keep`,
-- the scores from the trial index and the checks' answers are kept for the later rounds (in
-- jsonb maps: a look-up is a binary search, where an array's is a scan); the budget counts
-- the trials not exact from the lists, kept or new, so a round does no more than without.
{exact_comment}#variable_conflict use_column
declare
    depth integer := first_depth;
    word_count integer := cardinality(word_ids);
    lasts float8[];
    bound float8;
    exhausted boolean;
    seen_ids integer[];
    seen_lists integer[];
    seen_partial float8[];
    seen_upper float8[];
    batch_ids integer[];
    batch_scores float8[];
    ask text[];
    hits_found text[];
    new_scores jsonb;
    known_scores jsonb := '{{}}';
    answers jsonb := '{{}}';
    hit_ids integer[];
    hit_scores float8[];
    floor_score float8;
    at integer;
    seen_count integer;
    n_rounds integer := 0;
    n_read integer := 0;
    n_scored integer := 0;
    n_checked integer := 0;
    rows_now integer;
    scored_now integer;
    partial_now integer;{exact_declare}
begin{exact_begin}
    loop
        n_rounds := n_rounds + 1;
        select array_agg(coalesce(last.impact, 0) order by words.ord),
            bool_and(last.impact is null)
        into lasts, exhausted
        from unnest(word_ids) with ordinality as words (id, ord)
        left join lateral (
            select impacts.impact
            from {SCORES} as impacts
            where impacts.word_id = words.id
                and (statuses is null or impacts.status = any(statuses))
            order by impacts.impact desc, impacts.trial
            offset depth - 1
            limit 1
        ) as last on true;
        select {bound_sum} into bound
        from generate_subscripts(word_ids, 1) as i;
        with read as (
            select words.ord, list_rows.trial, list_rows.impact
            from unnest(word_ids) with ordinality as words (id, ord)
            cross join lateral (
                select impacts.trial, impacts.impact
                from {SCORES} as impacts
                where impacts.word_id = words.id
                    and (statuses is null or impacts.status = any(statuses))
                order by impacts.impact desc, impacts.trial
                limit depth
            ) as list_rows
        ),
        seen as (
            select read.trial, count(*)::integer as lists,
                sum(idfs[read.ord] * read.impact) as partial,
                {seen_upper}
            from read
            group by read.trial
        )
        select array_agg(seen.trial order by seen.upper desc, seen.trial),
            array_agg(seen.lists order by seen.upper desc, seen.trial),
            array_agg(seen.partial order by seen.upper desc, seen.trial),
            array_agg(seen.upper order by seen.upper desc, seen.trial),
            (select count(*) from read)
        into seen_ids, seen_lists, seen_partial, seen_upper, rows_now
        from seen
        where seen.upper > bound or exhausted;
        n_read := n_read + coalesce(rows_now, 0);
        seen_count := coalesce(cardinality(seen_ids), 0);
        hit_ids := '{{}}';
        hit_scores := '{{}}';
        floor_score := bound;
        at := 1;
        scored_now := 0;
        while at <= seen_count and seen_upper[at] >= floor_score loop
            -- (fewer than k hits and lists left: the page cannot be final this round)
            exit when cardinality(hit_ids) < k and not exhausted and scored_now >= score_budget;
            select array_agg(batch.trial order by exact.score desc, batch.trial)
                    filter (where can.enter),
                array_agg(exact.score order by exact.score desc, batch.trial)
                    filter (where can.enter),
                jsonb_object_agg(batch.trial::text, exact.score) filter (where exact.from_index),
                (count(*) filter (where exact.from_index))::integer,
                (count(*) filter (where batch.lists < word_count))::integer
            into batch_ids, batch_scores, new_scores, rows_now, partial_now
            from unnest(
                seen_ids[at:at + batch_size - 1],
                seen_lists[at:at + batch_size - 1],
                seen_partial[at:at + batch_size - 1]
            ) as batch (trial, lists, partial)
            cross join lateral (
                select (known_scores ->> batch.trial::text)::float8 as score
            ) as known
            cross join lateral (
                select case
                    {exact_score}
                offset 0  -- (a fence: else the score's subquery runs once per use)
            ) as exact
            cross join lateral (
                select exact.score >= floor_score and (exhausted or exact.score > bound) as enter
            ) as can;
            if keep and new_scores is not null then
                known_scores := known_scores || new_scores;
            end if;
            scored_now := scored_now + partial_now;
            n_scored := n_scored + rows_now;
            at := at + batch_size;
            continue when batch_ids is null;
            if not keep then
                answers := '{{}}';
            end if;
            select array_agg(candidates.id order by candidates.ord) into ask
            from unnest(batch_ids) with ordinality as numbers (trial, ord)
            cross join lateral (
                select {NCT_ID.format(trial="numbers.trial")} as id, numbers.ord
            ) as candidates
            where not answers ? candidates.id;
            if ask is not null then
                execute check_sql into hits_found using ask;
                n_checked := n_checked + cardinality(ask);
                answers := (case when keep then answers else '{{}}' end) || (
                    select jsonb_object_agg(asked.id, asked.id = any(hits_found))
                    from unnest(ask) as asked (id)
                );
            end if;
            select coalesce(array_agg(top.id order by top.score desc, top.id), '{{}}'),
                coalesce(array_agg(top.score order by top.score desc, top.id), '{{}}')
            into hit_ids, hit_scores
            from (
                select merged.id, merged.score
                from (
                    select * from unnest(hit_ids, hit_scores) as kept (id, score)
                    union all
                    select new.id, new.score
                    from unnest(batch_ids, batch_scores) as new (id, score)
                    where coalesce((answers ->> ({NCT_ID.format(trial="new.id")}))::boolean, false)
                ) as merged
                order by merged.score desc, merged.id
                limit k
            ) as top;
            if cardinality(hit_ids) >= k then
                floor_score := greatest(bound, hit_scores[k]);
            end if;
        end loop;
        if cardinality(hit_ids) >= k or exhausted then
            return query
                select {NCT_ID.format(trial="hits.id")}, hits.score, n_rounds, n_read,
                    n_scored, n_checked
                from unnest(hit_ids, hit_scores) as hits (id, score);
            return;
        end if;
        depth := depth * 2;
    end loop;
end
$function$
"""


TOP_K_FUNCTION = top_k_function(exact=False)
"""Migration 0016's `bm25_top_k` (as released)."""


SAMPLE_INDEX = f"""
    create index {SCORES}_sample on {SCORES} (word_id, trial) include (status)
    where {IN_SAMPLE}
    """
"""The yield sample's partial index (`IN_SAMPLE`)."""

_KEYED_DOCUMENTS = f"""(
    select nct_id, overall_status, document
    from trial_documents
    where {KEYED.format(nct_id="nct_id")}
)"""

SCHEMA_0016: tuple[str, ...] = (
    f"""
    create table {STATS} (
        only_row boolean primary key default true check (only_row),
        avg_length double precision,
        unkeyed integer not null
    )
    """,
    f"""
    insert into {STATS} (avg_length, unkeyed)
    select (
        select avg(length.doc)
        from {_KEYED_DOCUMENTS} as documents, {doc_length("documents.document")}
    ),
    (select count(*) from trial_documents where not {KEYED.format(nct_id="nct_id")})
    """,
    f"""
    create table {WORDS} (
        word text collate "C" primary key,
        word_id integer not null unique,
        trials integer not null
    )
    """,
    f"""
    insert into {WORDS} (word, word_id, trials)
    select word, (row_number() over (order by word collate "C") - 1)::integer, trials
    from ({frequencies_select("trial_documents", "document", KEYED.format(nct_id="nct_id"))})
        as frequencies
    """,
    f"""
    create table {STATUSES} (
        status text collate "C" primary key,
        code smallint not null unique
    )
    """,
    f"""
    insert into {STATUSES} (status, code)
    select status, (row_number() over (order by status))::smallint
    from (select distinct overall_status as status from trial_documents) as statuses
    """,
    f"""
    create table {SCORES} (
        word_id integer not null,
        impact real not null,
        trial integer not null,
        status smallint not null
    )
    """,
    "set local maintenance_work_mem = '256MB'",
    compact_insert(_KEYED_DOCUMENTS, f"(select avg_length from {STATS})", with_tf=False),
    f"create index {SCORES}_order on {SCORES} (word_id, impact desc, trial) include (status)",
    f"create index {SCORES}_trial on {SCORES} (trial, word_id) include (impact)",
    SAMPLE_INDEX,
    # (the planner's statistics now; the visibility map, for index-only reads, by autovacuum)
    f"analyze {SCORES}",
    f"analyze {WORDS}",
    TOP_K_FUNCTION,
)
"""Migration 0016: the tables, filled from the stored trials, their indexes and `bm25_top_k` (as
released: the compact rows without their term frequencies)."""


def lengths_insert(source: str) -> str:
    """SQL inserting the length (`doc_length`) of every trial of `source` (a relation like
    `trial_documents`, its trials keyed) into `TRIALS`."""
    return f"""
        insert into {TRIALS} (trial, length)
        select {TRIAL_KEY.format(nct_id="documents.nct_id")}, length.doc
        from {source} as documents
        cross join {doc_length("documents.document")}
        """


SCHEMA_0017: tuple[str, ...] = (
    f"alter table {STATS} add column total_length bigint not null default 0",
    f"create table {TRIALS} (trial integer primary key, length integer not null)",
    lengths_insert(_KEYED_DOCUMENTS),
    f"update {STATS} set total_length = (select coalesce(sum(length), 0) from {TRIALS})",
    # The rows anew with their term frequencies, in the order (impacts) they had: at the mean
    # 0016 froze, which stays the lists' order. Made anew, not updated in place: an update of
    # every row writes each twice and every index entry again.
    f"drop table {SCORES}",
    f"""
    create table {SCORES} (
        word_id integer not null,
        impact real not null,
        trial integer not null,
        status smallint not null,
        tf smallint not null
    )
    """,
    "set local maintenance_work_mem = '256MB'",
    compact_insert(_KEYED_DOCUMENTS, f"(select avg_length from {STATS})"),
    f"create index {SCORES}_order on {SCORES} (word_id, impact desc, trial) include (status)",
    f"create index {SCORES}_trial on {SCORES} (trial, word_id) include (tf)",
    SAMPLE_INDEX,
    f"analyze {SCORES}",
    f"analyze {TRIALS}",
    top_k_function(exact=True),
)
"""Migration 0017: BM25 at the current statistics. Each row keeps its term frequency (`tf`, in
the trial index) and each trial its length (`TRIALS`), the stats row the sum of lengths; the
top-k scores at the current mean and bounds by `CURRENT_STATISTICS`' factor, so its pages equal
every-hit BM25 at the current statistics while the lists keep the order they were written in."""


# -- the write path ------------------------------------------------------------------------------


def refresh_trials(conn: Connection, replaced: list[str], written: list[str]) -> None:
    """Replace the compact rows, lengths and counts of the trials `replaced` (stored before this
    write) by those of `written` (their documents just copied to `trial_documents`), in the
    writer's transaction: the document count, word counts and sum of lengths stay exact, so
    every page is scored at the current statistics (migration 0017). Run last in a write,
    under one advisory lock held to its commit: the word ids, counts and sum of lengths are
    shared, and every other lock of the write is taken before, so two writers cannot wait on
    each other."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (SCORES,))
    params = {"replaced": replaced, "written": written}
    if replaced:
        conn.execute(
            f"""
            update {WORDS} set trials = {WORDS}.trials - gone.trials
            from (
                select word_id, count(*)::integer as trials
                from {SCORES}
                where trial = any(
                    select {TRIAL_KEY.format(nct_id="id")} from unnest(%(replaced)s::text[]) as id
                    where {KEYED.format(nct_id="id")}
                )
                group by word_id
                union all
                select 0, count(*)::integer
                from unnest(%(replaced)s::text[]) as id
                where {KEYED.format(nct_id="id")}
            ) as gone
            where {WORDS}.word_id = gone.word_id
            """,
            params,
        )
        conn.execute(
            f"""
            delete from {SCORES}
            where trial = any(
                select {TRIAL_KEY.format(nct_id="id")} from unnest(%(replaced)s::text[]) as id
                where {KEYED.format(nct_id="id")}
            )
            """,
            params,
        )
        conn.execute(
            f"""
            with gone as (
                delete from {TRIALS}
                where trial = any(
                    select {TRIAL_KEY.format(nct_id="id")} from unnest(%(replaced)s::text[]) as id
                    where {KEYED.format(nct_id="id")}
                )
                returning length
            )
            update {STATS} set total_length = total_length - (select sum(length) from gone)
            where exists (select from gone)
            """,
            params,
        )
    documents = f"""(
        select nct_id, overall_status, document
        from trial_documents
        where nct_id = any(%(written)s::text[]) and {KEYED.format(nct_id="nct_id")}
    )"""
    conn.execute(
        f"""
        with added as ({lengths_insert(documents)} returning length)
        update {STATS} set
            total_length = total_length + (select coalesce(sum(length), 0) from added),
            avg_length = coalesce(avg_length, (select nullif(avg(length), 0) from added)),
            unkeyed = unkeyed
                + (select count(*) from unnest(%(written)s::text[]) as id
                   where not {KEYED.format(nct_id="id")})
                - (select count(*) from unnest(%(replaced)s::text[]) as id
                   where not {KEYED.format(nct_id="id")})
        """,
        params,
    )
    conn.execute(
        f"""
        insert into {STATUSES} (status, code)
        select new.status,
            (select coalesce(max(code), 0) from {STATUSES}) + row_number() over (order by status)
        from (
            select distinct overall_status as status from {documents} as documents
            except
            select status from {STATUSES}
        ) as new
        """,
        params,
    )
    conn.execute(
        f"""
        insert into {WORDS} (word, word_id, trials)
        select frequencies.word,
            case when frequencies.word = '' then 0 else
                (select coalesce(max(word_id), 0) from {WORDS})
                + (row_number() over (order by frequencies.word = '', frequencies.word))::integer
            end,
            frequencies.trials
        from ({frequencies_select(documents, "document")}) as frequencies
        order by frequencies.word
        on conflict (word) do update set trials = {WORDS}.trials + excluded.trials
        """,
        params,
    )
    conn.execute(
        compact_insert(documents, f"(select avg_length from {STATS})"),
        params,
    )


# -- the decision and the top-k ------------------------------------------------------------------


@dataclasses.dataclass
class QueryWords:
    """A query's positive lexemes found in the dictionary (ids, idfs) and the most hits it can
    have by its words' trial counts."""

    ids: list[int]
    idfs: list[float]
    hit_bound: int
    terms: list[list[frozenset[int] | None]]
    """Per positive term, per alternative, its lexemes' ids (None: a lexeme not in the
    dictionary, so no trial has it; empty: stop words only, every trial)."""
    sampled: list[tuple[frozenset[int], int]] | None = None
    """With `query_words(sample=True)`: the sampled trials (`IN_SAMPLE`) in the statuses asked
    that hold any of the words, as (the words they hold, how many trials)."""
    unkeyed: int = 0
    """The stored trials without an integer key (`STATS`): not in the impact table."""


def answers_by_top_k(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the top-k can answer this page: words over the whole document (no labels, no
    prefix), the relevance order best first, no place; else only the product's path can."""
    return (
        bool(where.text)
        and sort.key == "relevance"
        and not sort.is_descending
        and where.geo is None
        and all(not s.columns for s in where.text)
        and all(not t.is_prefix for s in where.text for t in s.terms)
    )


def query_words(conn: Connection, where: StudyFilter, sample: bool = False) -> QueryWords:
    """The `QueryWords` of the filter's whole-document searches: lexemes as `to_tsquery`
    normalises each alternative of each positive term, idf from the dictionary (`WORDS`), and
    the hit bound: the least over positive terms of the sum over its alternatives of the least
    trial count of the alternative's lexemes (every trial for an alternative of stop words);
    with `sample`, in the same statement, the sampled trials holding them
    (`QueryWords.sampled`, for `sampled_yield`)."""
    if any(_labels(s.columns) for s in where.text):
        raise ValueError("labelled columns have no impact rows (see `answers_by_top_k`)")
    terms = [t for s in where.text for t in s.terms if not t.is_negated]
    phrases = [
        (n, _phrase(words, False, ""))
        for n, t in enumerate(terms)
        for words in t.alternatives
        if words
    ]
    # One statement: each phrase's lexemes (the quoted operands of its `to_tsquery` text) and
    # their dictionary rows, the dictionary's row of every trial (word ''), and (`sample`) per
    # set of the words held (a bit mask over their ids in order), the sampled trials holding it.
    # The row of word '' carries the count of trials without a key (`STATS`) in place of one.
    statuses = list(where.statuses)
    in_statuses = (
        f"and status = any(array(select code from {STATUSES} where status = any(%(statuses)s)))"
        if statuses
        else ""
    )
    sampled_rows = f"""
        union all
        select null, null, null, null, held.mask, count(*)
        from (
            select bit_or(1::bigint << (array_position(query.ids, scores.word_id) - 1)) as mask
            from (
                select array_agg(distinct word_id order by word_id) as ids from found
            ) as query
            join {SCORES} as scores on scores.word_id = any(query.ids)
            where {IN_SAMPLE} {in_statuses}
            group by scores.trial
        ) as held
        group by held.mask"""
    lexemes: list[set[str]] = [set() for _ in phrases]
    found: dict[str, tuple[int, int]] = {}
    masks: list[tuple[int, int]] = []
    unkeyed = 0
    for ord_, word, word_id, trials, mask, held in conn.execute(
        f"""
        with found as (
            select phrases.ord, lexemes.word, words.word_id, words.trials
            from unnest(%(phrases)s::text[]) with ordinality as phrases (phrase, ord)
            cross join lateral (
                select distinct replace(operand[1], %(doubled)s, %(quote)s) as word
                from regexp_matches(
                    to_tsquery('{TEXT_CONFIG}', phrases.phrase)::text, %(operand)s, 'g'
                ) as operand
            ) as lexemes
            left join {WORDS} as words on words.word = lexemes.word
        )
        select ord, word, word_id, trials, null::bigint, null::bigint from found
        union all
        select 0, word, word_id, trials, null, (select unkeyed from {STATS})::bigint
        from {WORDS} where word = ''
        {sampled_rows if sample else ""}
        """,
        {
            "phrases": [p for _, p in phrases],
            "operand": "'((?:[^']|'')*)'",
            "doubled": "''",
            "quote": "'",
            "statuses": statuses,
        },
    ):
        if mask is not None:
            masks.append((mask, held))
            continue
        if ord_:
            lexemes[ord_ - 1].add(word)
        elif word == "":
            unkeyed = held
        if word_id is not None:
            found[word] = (word_id, trials)
    every = sorted(set().union(*lexemes))
    total = found[""][1] if "" in found else 0
    bounds: dict[int, int] = {}
    alternatives: dict[int, list[frozenset[int] | None]] = {}
    for (term, _), words in zip(phrases, lexemes, strict=True):
        least = min((found.get(w, (0, 0))[1] for w in words), default=total)
        bounds[term] = bounds.get(term, 0) + least
        known = all(w in found for w in words)
        alternatives.setdefault(term, []).append(
            frozenset(found[w][0] for w in words) if known else None
        )
    present = [w for w in every if w in found]
    in_order = sorted(found[w][0] for w in present)
    return QueryWords(
        ids=[found[w][0] for w in present],
        idfs=[math.log(1 + (total - found[w][1] + 0.5) / (found[w][1] + 0.5)) for w in present],
        hit_bound=min(bounds.values(), default=total),
        terms=list(alternatives.values()),
        sampled=[
            (frozenset(w for bit, w in enumerate(in_order) if mask >> bit & 1), trials)
            for mask, trials in masks
        ]
        if sample and len(in_order) <= MASK_BITS
        else None,
        unkeyed=unkeyed,
    )


def matches_terms(trial_words: frozenset[int], terms: list[list[frozenset[int] | None]]) -> bool:
    """Whether a trial holding `trial_words` is yielded by the GIN index for these positive
    terms: each has an alternative all of whose lexemes the trial holds (a phrase counts as its
    words: the index yields it, the recheck reads the positions)."""
    return all(
        any(words is not None and words <= trial_words for words in alternatives)
        for alternatives in terms
    )


def sampled_yield(words: QueryWords) -> int:
    """The rows the product's GIN bitmap yields (its words and statuses), estimated from the
    sample (`QueryWords.sampled`): the sampled trials in the statuses asked that
    `matches_terms`, times `SAMPLE_SHARE`. Negated terms are ignored (an overestimate); the
    planner's estimate is not used (it takes words as independent). A query of stop words
    only, or of more than `MASK_BITS` words: the hit bound."""
    needed = [t for t in words.terms if frozenset() not in t]
    if not needed or words.sampled is None:
        return words.hit_bound
    return SAMPLE_SHARE * sum(
        trials for held, trials in words.sampled if matches_terms(held, needed)
    )


def takes_product_path(words: QueryWords) -> bool:
    """The hybrid path's choice (`words` from `query_words(sample=True)`): the product's own
    SQL when its GIN yield is at most `PRODUCT_YIELD_MAX` rows by the list-length bound or,
    when that bound is above it, by the sample (`sampled_yield`); else the top-k."""
    return words.hit_bound <= PRODUCT_YIELD_MAX or sampled_yield(words) <= PRODUCT_YIELD_MAX


def unranked_sql(sql: str) -> str:
    """The product's relevance page SQL with its `ts_rank` score replaced by 0: its hits, for
    the checks and counts that do not need their order."""
    match = TS_RANK.search(sql)
    if match is None:
        raise ValueError(f"the product's SQL has no ts_rank score:\n{sql}")
    return sql.replace(match[0], "0")


def among(sql: str) -> str:
    """`sql` restricted to the trials `%(candidates)s`."""
    head, found, tail = sql.partition("\nwhere ")
    if not found:
        raise ValueError(f"the product's SQL has no where clause:\n{sql}")
    return f"{head}\nwhere trials.nct_id = any(%(candidates)s::text[])\n    and {tail}"


def check_sql(conn: Connection, sql: str, params: dict[str, Any]) -> str:
    """The statement `bm25_top_k` runs to test candidates: the product's SQL restricted to the
    ids `$1` (`among`), unranked, returning the array of the hits' ids, its values written in
    place (the function runs it with `execute ... using`)."""
    restricted = among(unranked_sql(sql)).replace("%(candidates)s", "$1")
    text = psycopg.ClientCursor(conn).mogrify(restricted, {**params, "limit": None, "offset": 0})
    return f"select array_agg(hits.nct_id) from ({text}) as hits"


@dataclasses.dataclass
class TopK:
    """A top-k page and what it cost: rounds, impact rows read, trials scored and checked."""

    rows: list[tuple[Any, ...]]
    rounds: int
    read: int
    scored: int
    checked: int


def top_k_in_server(
    conn: Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    words: QueryWords,
    keep: bool = False,
) -> TopK:
    """The first `limit` hits by BM25 (ties by id) in one call of `bm25_top_k` (`keep`: the
    scores and check answers kept across rounds)."""
    sql, params = study_search_sql(where, sort)
    statuses = params.get("statuses")
    rows = conn.execute(
        f"""
        select * from bm25_top_k(
            %(ids)s::integer[], %(idfs)s::float8[],
            (select array_agg(code) from {STATUSES} where status = any(%(statuses)s::text[])),
            %(limit)s, %(check)s, %(depth)s, %(batch)s, %(budget)s, %(keep)s
        )
        """,
        {
            "ids": words.ids,
            "idfs": words.idfs,
            "statuses": statuses,
            "limit": limit,
            "check": check_sql(conn, sql, params),
            "depth": FIRST_DEPTH,
            "batch": BATCH_IN_SERVER,
            "budget": SCORE_BATCH,
            "keep": keep,
        },
    ).fetchall()
    if not rows:
        return TopK([], 0, 0, 0, 0)
    _, _, rounds, read, scored, checked = rows[0]
    return TopK([(r[0], r[1], None, None) for r in rows], rounds, read, scored, checked)


def top_k_page(
    conn: Connection, where: StudyFilter, sort: StudySort, limit: int, offset: int
) -> list[tuple[Any, ...]] | None:
    """The hybrid path's page as `study_search_sql`'s rows (nct_id, score, position,
    distance_km) when the top-k answers it, else None (the product's page is wanted): a page
    `answers_by_top_k` takes, in a store whose every trial has an integer key, whose GIN yield
    is above `PRODUCT_YIELD_MAX` (`takes_product_path`). Such a page is ranked by BM25 (ties by
    id), where the product's ranks by `ts_rank`: the measured trade-off (session 12, #8's
    ranking rule passed on the mix)."""
    if not answers_by_top_k(where, sort):
        return None
    words = query_words(conn, where, sample=True)
    if words.unkeyed or takes_product_path(words):
        return None
    return top_k_in_server(conn, where, sort, limit + offset, words, keep=True).rows[offset:]
