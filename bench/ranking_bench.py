"""Relevance of the library's search on TREC Clinical Trials 2021, and its field weights tuned.

Run ``python bench/ranking_bench.py [--data ../shared/data] [--engine fts5|tantivy|both]
[--tune] [--folds N] [--postgres URL]``. A fresh SQLite store (a temporary file) holds the
judged trials whose records are in ``ctgov/``, ``ctgov-xml/`` and ``ctgov-xml-2023/`` (all
statuses; read with ``match_bench``'s folders). ``--engine`` picks its full-text engine
(``TRIALFINDER_TEXT_INDEX``): FTS5's bm25 (the default), the tantivy index (one store with its
index; a phrase's best column's BM25, boosted by ``sqlite_text.TANTIVY_BOOSTS``), or both, each
in its own store.
Each topic (a patient note) is searched with ``search_studies`` in two forms, derived from the
note alone, never from the judgements:

- ``query.cond``: the note's main condition as ``match.profile_from_note`` reads it: the present
  (not negated) active condition named most often, the first named on a tie; without an active
  one, the same among all present conditions. No condition: no search (counts as no answer).
- ``query.term``: the note's five most frequent words (lower-cased, at least four letters,
  ``match_bench``'s stop words out; the first seen on a tie), joined with OR.

Figures per form, averaged over the topics that have a covered trial judged 1 or 2: NDCG@10
(gain = grade, a trial not judged for the topic counts 0), NDCG@10 over the judged trials only
(the unjudged hits taken out of the list, as ``match_bench`` ranks judged trials only), P@10
(eligible = relevant), the share of the top 10 that is unjudged, and how many topics get any
hit. Topics are split before any tuning by their number: odd ones tune, even ones are held out
(the split ``match_bench`` uses).

``--tune`` searches a grid of weights on the tuning half (four free weights, the structure the
PostgreSQL labels can follow: title; conditions = keywords; interventions; summary = criteria;
title and conditions above summary and criteria), maximising the mean of both forms' NDCG@10
(ties: the point nearest the shipped table), and reports the best beside the shipped table
(``FTS_WEIGHTS``) and that table with each label's columns averaged. The tuned table is to be
adopted only if its held-out figure (the same mean) is higher; it says which. Each SQLite
engine is tuned on its own (tantivy from its ``TANTIVY_BOOSTS``, with the same grid and
constraints); PostgreSQL is measured with FTS5's tables. As a check only, the grid is also tuned
on the even topics and shown on the odd ones. A table is applied by setting
``sqlite_text.FTS_WEIGHTS``, ``sqlite_text.TANTIVY_BOOSTS`` and the PostgreSQL label weights
derived with ``sqlite_text.label_weights`` in this process, which every search reads. BM25's
own k1 (1.2) and b (0.75) are fixed inside SQLite FTS5 (and tantivy) and cannot be tuned.

``--folds N`` cross-validates the tuning over all topics: fold = topic number mod N (fixed
by the number alone), each fold's table tuned by the same grid and objective on the other
folds, each topic scored (mean of both forms' NDCG@10) with the table its fold got. It prints
each engine's folds and mean out-of-fold figure and, with both engines, tantivy's paired change
against FTS5 topic by topic with a seeded bootstrap interval and a one-sided randomisation
p-value of a loss (``ranking_tuning``), and the verdict of the rule that tantivy may rank by
default only if its mean is at least FTS5's minus 0.01 and its loss is not significant.

``--postgres URL`` also measures the PostgreSQL store (``ts_rank`` with the label weights) on
the same trials and queries: the database ``trialfinder_ranking_bench`` is (re)made on that
server. Each engine's grid is searched once over all topics (every half and fold is tuned from
it): 2–5 minutes per engine on the shared 2-core machine (load 5–7). With both engines, each
tantivy table's held-out mean is also shown against FTS5's shipped table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends_bench import with_database  # noqa: E402
from match_bench import FOLDERS, STOP, ndcg_at  # noqa: E402
from ranking_tuning import (  # noqa: E402
    PointScores,
    adoption_verdict,
    cross_validate,
    paired_figures,
    topic_score,
    tune,
)
from trialfinder.ingest import ingest_records  # noqa: E402
from trialfinder.match import profile_from_note  # noqa: E402
from trialfinder.search import SearchQuery, search_studies  # noqa: E402
from trialfinder.sources import RawRecord, parse_record, read_source  # noqa: E402
from trialfinder.store import Store, open_store, postgres_search, sqlite_text  # noqa: E402
from trialfinder.store.sqlite_tantivy import TEXT_INDEX_SETTING  # noqa: E402

K = 10
FORMS = ("cond", "term")
TERM_WORDS = 5
_NOTE_WORD = re.compile(r"[a-z][a-z0-9]+")
HITS = 1000
"""Hits read per search: enough for ten judged ones (the store holds ~570 trials)."""

Weights = tuple[float, float, float, float, float, float]

ENGINES = {"fts5": "SQLite", "tantivy": "SQLite tantivy"}
"""The SQLite full-text engines (``TRIALFINDER_TEXT_INDEX``) and their label in the tables."""

GRID = {
    "title": (2.0, 5.0, 10.0, 15.0, 20.0),
    "conditions": (2.0, 4.0, 7.0, 10.0, 15.0, 20.0),
    "interventions": (1.0, 2.0, 5.0, 8.0, 12.0),
    "summary": (0.5, 1.0, 1.5, 3.0),
}
"""Values tried for each free weight (conditions also sets keywords, summary also criteria)."""


# -- queries from a note ------------------------------------------------------------------------


def cond_query(note: str) -> str:
    """Return the note's main condition for ``query.cond`` ("" when it names none)."""
    present = [c for c in profile_from_note(note).conditions if not c.negated and c.text]
    active = [c for c in present if c.status == "active"] or present
    names = [str(c.text) for c in active]
    if not names:
        return ""
    counts = Counter(names)
    return max(names, key=lambda n: (counts[n], -names.index(n)))


def term_query(note: str) -> str:
    """Return the note's most frequent words, ORed, for ``query.term``."""
    words = [w for w in _NOTE_WORD.findall(note.lower()) if len(w) >= 4 and w not in STOP]
    counts = Counter(words)
    ordered = sorted(counts, key=lambda w: (-counts[w], words.index(w)))
    return " OR ".join(ordered[:TERM_WORDS])


# -- measures -----------------------------------------------------------------------------------


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    """Return NDCG@k of ``ranked`` with gain = grade; a trial missing from ``grades`` gains 0."""
    gains = {n: grades.get(n, 0) for n in ranked[:k]}
    return ndcg_at(ranked, {**grades, **gains}, k)


def judged_ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    """Return NDCG@k of ``ranked`` with the trials missing from ``grades`` taken out first."""
    return ndcg_at([n for n in ranked if n in grades], grades, k)


def precision(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    """Return the share of the first ``k`` places held by trials graded 2 (eligible)."""
    return sum(grades.get(n, 0) == 2 for n in ranked[:k]) / k


def unjudged(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    """Return the share of the first ``k`` places held by trials not judged for the topic."""
    return sum(n not in grades for n in ranked[:k]) / k


@dataclass(frozen=True)
class Scores:
    """Mean figures of one query form over a set of topics."""

    topics: int
    answered: int
    ndcg: float
    judged_ndcg: float
    precision: float
    unjudged: float


def summarise(rankings: dict[str, list[str]], judged: dict[str, dict[str, int]]) -> Scores:
    """Return the mean figures of ``rankings`` (topic → ranked NCT ids) over its topics."""
    topics = list(rankings)
    return Scores(
        topics=len(topics),
        answered=sum(bool(rankings[t]) for t in topics),
        ndcg=statistics.fmean(ndcg(rankings[t], judged[t]) for t in topics),
        judged_ndcg=statistics.fmean(judged_ndcg(rankings[t], judged[t]) for t in topics),
        precision=statistics.fmean(precision(rankings[t], judged[t]) for t in topics),
        unjudged=statistics.fmean(unjudged(rankings[t], judged[t]) for t in topics),
    )


# -- the store and the searches -----------------------------------------------------------------


def judged_records(data: Path, wanted: set[str]) -> Iterator[RawRecord]:
    """Yield the raw records of the wanted trials found in the shared folders."""
    for folder in FOLDERS:
        for record in read_source(data / folder):
            if parse_record(record).nct_id in wanted:
                yield record


def search_order(store: Store, query: SearchQuery) -> list[str]:
    """Return the NCT ids ``search_studies`` answers for ``query``, best first."""
    if not (query.cond or query.term):
        return []
    return [hit.nct_id for hit in search_studies(store, query, page_size=HITS).hits]


def queries_of(note: str) -> dict[str, SearchQuery]:
    """Return the two searches of a note, by form."""
    return {"cond": SearchQuery(cond=cond_query(note)), "term": SearchQuery(term=term_query(note))}


@contextmanager
def weights_set(weights: Weights) -> Iterator[None]:
    """Make every search of this process rank with ``weights`` (``FTS_WEIGHTS`` order): bm25 on
    SQLite, the column boosts of the tantivy index, and on PostgreSQL the label weights
    ``label_weights`` derives from them."""
    saved = sqlite_text.FTS_WEIGHTS, sqlite_text.TANTIVY_BOOSTS, postgres_search.LABEL_WEIGHTS
    sqlite_text.FTS_WEIGHTS = sqlite_text.TANTIVY_BOOSTS = weights
    postgres_search.LABEL_WEIGHTS = sqlite_text.label_weights(postgres_search.TEXT_LABELS, weights)
    try:
        yield
    finally:
        sqlite_text.FTS_WEIGHTS, sqlite_text.TANTIVY_BOOSTS, postgres_search.LABEL_WEIGHTS = saved


def sqlite_store(folder: Path, engine: str, records: list[RawRecord]) -> Store:
    """Return a fresh SQLite store in ``folder`` holding ``records``, searched with ``engine``
    (with ``tantivy``, the store keeps its index: built by the first write, kept by the rest)."""
    saved = os.environ.get(TEXT_INDEX_SETTING)
    os.environ[TEXT_INDEX_SETTING] = engine  # a store reads the setting when it opens
    try:
        store = open_store(f"sqlite:///{folder / f'{engine}.db'}")
    finally:
        if saved is None:
            del os.environ[TEXT_INDEX_SETTING]
        else:
            os.environ[TEXT_INDEX_SETTING] = saved
    ingest_records(store, records, criteria=False)
    return store


def structured(title: float, conditions: float, interventions: float, summary: float) -> Weights:
    """Return the six column weights of four free ones (keywords = conditions, criteria =
    summary), in ``FTS_COLUMNS`` order."""
    return (title, conditions, interventions, conditions, summary, summary)


def allowed(weights: Weights) -> bool:
    """Return whether title and conditions both weigh more than summary and criteria."""
    title, conditions, _, keywords, summary, criteria = weights
    return min(title, conditions, keywords) > max(summary, criteria)


def rank_all(
    store: Store, queries: dict[str, dict[str, SearchQuery]], weights: Weights
) -> dict[str, dict[str, list[str]]]:
    """Return form → topic → ranked NCT ids under ``weights``."""
    with weights_set(weights):
        return {
            form: {t: search_order(store, q[form]) for t, q in queries.items()} for form in FORMS
        }


def point_scores(
    rankings: dict[str, dict[str, list[str]]], judged: dict[str, dict[str, int]]
) -> PointScores:
    """Return the NDCG@10 of each form's ranking of each topic."""
    return {
        form: {t: ndcg(order, judged[t]) for t, order in by_topic.items()}
        for form, by_topic in rankings.items()
    }


def grid_scores(
    store: Store, queries: dict[str, dict[str, SearchQuery]], judged: dict[str, dict[str, int]]
) -> dict[Weights, PointScores]:
    """Return every allowed grid point's scores on every topic of ``queries``: each point is
    searched once, and any set of topics (a half, a fold's training topics) tunes from these."""
    grid: dict[Weights, PointScores] = {}
    for point in itertools.product(*GRID.values()):
        weights = structured(*point)
        if allowed(weights):
            grid[weights] = point_scores(rank_all(store, queries, weights), judged)
    return grid


# -- cross-validation ---------------------------------------------------------------------------


def fold_of(topic: str, folds: int) -> int:
    """Return the fold a topic belongs to, fixed by its number alone (number mod ``folds``)."""
    return topic_number(topic) % folds


# -- report -------------------------------------------------------------------------------------


def topic_number(topic: str) -> int:
    """Return the number of a TREC 2021 topic id ("trec-202112" → 12)."""
    return int(topic.removeprefix("trec-2021"))


def is_odd(number: int) -> bool:
    """Return whether a topic number is odd: the odd topics tune, the even ones are held out."""
    return number % 2 == 1


HELD = "held out (even)"
HALVES: dict[str, Callable[[int], bool]] = {
    "tuning (odd)": is_odd,
    HELD: lambda n: not is_odd(n),
    "all": lambda n: True,
}


def report(
    label: str,
    rankings: dict[str, dict[str, list[str]]],
    judged: dict[str, dict[str, int]],
) -> dict[str, float]:
    """Print one weight table's figures per half and form; return its objective per half."""
    found: dict[str, float] = {}
    for half, keep in HALVES.items():
        means: list[float] = []
        for form in FORMS:
            chosen = {t: r for t, r in rankings[form].items() if keep(topic_number(t))}
            s = summarise(chosen, judged)
            means.append(s.ndcg)
            print(
                f"| {label} | {half} | {form} | {s.topics} | {s.answered} | {s.ndcg:.3f} | "
                f"{s.judged_ndcg:.3f} | {s.precision:.3f} | {s.unjudged:.0%} |"
            )
        found[half] = statistics.fmean(means)
    return found


def paired(
    new: dict[str, dict[str, list[str]]],
    old: dict[str, dict[str, list[str]]],
    judged: dict[str, dict[str, int]],
    keep: Callable[[int], bool],
) -> str:
    """Return, per form, on how many topics the ``new`` rankings' NDCG@10 beats, ties and
    trails the ``old`` ones'."""
    parts = []
    for form in FORMS:
        changes = [
            ndcg(new[form][t], judged[t]) - ndcg(order, judged[t])
            for t, order in old[form].items()
            if keep(topic_number(t))
        ]
        better = sum(c > 1e-9 for c in changes)
        worse = sum(c < -1e-9 for c in changes)
        parts.append(f"{form} {better} better, {len(changes) - better - worse} same, {worse} worse")
    return "; ".join(parts)


def weights_text(weights: tuple[float, ...]) -> str:
    """Return ``weights`` as "title 10, conditions 8, …"."""
    return ", ".join(f"{c} {w:g}" for c, w in zip(sqlite_text.FTS_COLUMNS, weights, strict=True))


REPORT_HEADER = (
    "| store | weights | topics | form | n | answered | NDCG@10 | NDCG@10 judged only "
    "| P@10 | unjudged in top 10 |\n|---|---|---|---|---|---|---|---|---|---|"
)


def judged_topics(
    topics: dict[str, str], all_grades: dict[str, dict[str, int]], present: set[str]
) -> tuple[dict[str, dict[str, int]], list[str], dict[str, dict[str, SearchQuery]]]:
    """Return the judgements limited to the trials `present` in a store, the topics NDCG is
    defined for (a covered trial judged 1 or 2) in number order, and each one's two searches."""
    judged = {
        t: {n: g for n, g in grades.items() if n in present} for t, grades in all_grades.items()
    }
    scored = sorted((t for t, g in judged.items() if any(g.values())), key=topic_number)
    return judged, scored, {t: queries_of(topics[t]) for t in scored}


def read_judgements(trec: Path) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Return the topics' notes and every judgement (topic → NCT id → grade)."""
    topics = {
        row["_id"]: row["text"]
        for row in map(json.loads, (trec / "topics.jsonl").read_text().splitlines())
    }
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (trec / "qrels.tsv").read_text().splitlines()[1:]:
        topic, nct_id, grade = line.split("\t")
        grades[topic][nct_id] = int(grade)
    return topics, grades


def postgres_store(
    server: str, records: list[RawRecord], database: str = "trialfinder_ranking_bench"
) -> Store:
    """Return a PostgreSQL store holding ``records`` in a fresh database ``database`` on
    ``server``."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{database}" with (force)')
        admin.execute(f'create database "{database}"')
    store = open_store(with_database(server, database))
    ingest_records(store, records, criteria=False)
    return store


def weight_tables(engine: str) -> dict[str, Weights]:
    """Return the tables measured on ``engine``'s store before tuning: today's table, and for
    FTS5 also that table with each PostgreSQL label's columns averaged."""
    if engine == "tantivy":
        return {"shipped": tuple(sqlite_text.TANTIVY_BOOSTS)}  # type: ignore[dict-item]
    shipped: Weights = tuple(sqlite_text.FTS_WEIGHTS)  # type: ignore[assignment]
    return {"shipped": shipped, "shipped, labels averaged": averaged(shipped)}


def averaged(weights: Weights) -> Weights:
    """Return ``weights`` in the grid's structure: conditions and keywords averaged, summary and
    criteria averaged (each PostgreSQL label's columns)."""
    return structured(
        weights[0], (weights[1] + weights[3]) / 2, weights[2], (weights[4] + weights[5]) / 2
    )


def main(argv: list[str] | None = None) -> int:
    """Print the figures for BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument(
        "--engine",
        choices=(*ENGINES, "both"),
        default="fts5",
        help="the SQLite full-text engine measured (default fts5)",
    )
    parser.add_argument("--tune", action="store_true", help="search the weight grid (odd topics)")
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="also cross-validate the tuning over all topics in this many folds (topic number "
        "mod folds), each engine tuned the same way; with both engines, the adoption verdict",
    )
    parser.add_argument(
        "--postgres", help="also measure PostgreSQL: URL of a server (a database is made on it)"
    )
    args = parser.parse_args(argv)
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    topics, all_grades = read_judgements(args.data / "trec2021")
    wanted = {n for grades in all_grades.values() for n in grades}
    records = list(judged_records(args.data, wanted))

    with tempfile.TemporaryDirectory(prefix="ranking-bench-") as folder:
        stores = {ENGINES[e]: sqlite_store(Path(folder), e, records) for e in engines}
        tables = {ENGINES[e]: weight_tables(e) for e in engines}
        first = next(iter(stores.values()))
        present = {t.nct_id for t in first.iter_trials()}
        judged, scored, queries = judged_topics(topics, all_grades, present)
        print(
            f"{len(present)} judged trials in the store; {len(scored)} topics with a covered "
            f"trial judged 1 or 2 ({sum(is_odd(topic_number(t)) for t in scored)} odd, "
            f"{sum(not is_odd(topic_number(t)) for t in scored)} even); "
            f"{sum(1 for t in scored if not queries[t]['cond'].cond)} without a condition"
        )
        for topic in scored[:6]:
            q = queries[topic]
            print(f"  {topic}: query.cond={q['cond'].cond!r} query.term={q['term'].term!r}")

        grids: dict[str, dict[Weights, PointScores]] = {}
        if args.tune or args.folds:
            for backend, store in stores.items():
                started = time.perf_counter()
                grids[backend] = grid_scores(store, queries, judged)
                print(
                    f"{backend} grid: {len(grids[backend])} points on {len(queries)} topics in "
                    f"{time.perf_counter() - started:.0f} s"
                )
        if args.tune:
            for backend, grid in grids.items():
                start = averaged(tables[backend]["shipped"])
                for name, keep in (("tuned", is_odd), ("tuned on even (check only)", HALVES[HELD])):
                    chosen = [t for t in queries if keep(topic_number(t))]
                    best, score = tune(grid, chosen, start)
                    print(f"{backend} best for {name!r}: {score:.4f}: {weights_text(best)}")
                    tables[backend][name] = best
        if args.postgres:
            stores["PostgreSQL"] = postgres_store(args.postgres, records)
            tables["PostgreSQL"] = dict(tables.get("SQLite") or weight_tables("fts5"))

        print("\n" + REPORT_HEADER)
        objectives: dict[tuple[str, str], dict[str, float]] = {}
        rankings: dict[tuple[str, str], dict[str, dict[str, list[str]]]] = {}
        for backend, store in stores.items():
            for label, weights in tables[backend].items():
                rankings[backend, label] = rank_all(store, queries, weights)
                objectives[backend, label] = report(
                    f"{backend} | {label}", rankings[backend, label], judged
                )
        print()
        for (backend, label), halves in objectives.items():
            means = ", ".join(f"{h} {v:.4f}" for h, v in halves.items())
            shown = weights_text(tables[backend][label])
            print(f"{backend}, {label} ({shown}): mean NDCG@10 {means}")
        verdicts(stores, rankings, objectives, judged, tune=args.tune)
        if args.folds:
            starts = {b: averaged(tables[b]["shipped"]) for b in grids}
            shipped = {b: point_scores(rankings[b, "shipped"], judged) for b in grids}
            print_cross_validation(grids, args.folds, starts, shipped)
        for store in stores.values():
            store.close()
    return 0


def verdicts(
    stores: dict[str, Store],
    rankings: dict[tuple[str, str], dict[str, dict[str, list[str]]]],
    objectives: dict[tuple[str, str], dict[str, float]],
    judged: dict[str, dict[str, int]],
    *,
    tune: bool,
) -> None:
    """Print each SQLite engine's adoption verdict (tuned against its shipped table on the
    held-out topics), the topic-by-topic changes, and tantivy against FTS5 per table."""
    if tune:
        for backend in ENGINES.values():
            if backend not in stores:
                continue
            gain = objectives[backend, "tuned"][HELD] - objectives[backend, "shipped"][HELD]
            verdict = "adopt the tuned weights" if gain > 0 else "keep the shipped weights"
            print(f"\n{backend} held-out change {gain:+.4f}: {verdict}")
        for backend in stores:
            if (backend, "tuned") not in rankings:
                continue
            for half, keep in HALVES.items():
                new, old = rankings[backend, "tuned"], rankings[backend, "shipped"]
                print(
                    f"{backend}, tuned against shipped, {half}, topic by topic: "
                    + paired(new, old, judged, keep)
                )
    fts5, tantivy = ENGINES["fts5"], ENGINES["tantivy"]
    if fts5 in stores and tantivy in stores:
        base = objectives[fts5, "shipped"][HELD]
        for (backend, label), halves in objectives.items():
            if backend == tantivy:
                print(
                    f"{tantivy} {label} against {fts5} shipped, held out: "
                    f"{halves[HELD] - base:+.4f}; topic by topic: "
                    + paired(
                        rankings[backend, label], rankings[fts5, "shipped"], judged, HALVES[HELD]
                    )
                )


def print_cross_validation(
    grids: dict[str, dict[Weights, PointScores]],
    folds: int,
    starts: dict[str, Weights],
    shipped: dict[str, PointScores],
) -> None:
    """Print each SQLite engine's folds, mean out-of-fold NDCG@10 and its paired change against
    its shipped table (whether tuning pays), and, with both engines, tantivy's paired change
    against FTS5 over the topics and the adoption verdict."""
    print(
        f"\n{folds}-fold cross-validation (fold = topic number mod {folds}), each fold tuned on "
        "the others with the grid above\n\n| engine | fold | topics | tuned weights | "
        "training | held out |\n|---|---|---|---|---|---|"
    )
    out_of_fold: dict[str, dict[str, float]] = {}
    for backend, grid in grids.items():
        if backend not in ENGINES.values():
            continue
        found, out_of_fold[backend] = cross_validate(
            grid, folds, lambda t: fold_of(t, folds), starts[backend]
        )
        for f in found:
            print(
                f"| {backend} | {f.fold} | {f.topics} | {weights_text(f.weights)} | "
                f"{f.training:.4f} | {f.held_out:.4f} |"
            )
    for backend, scores in out_of_fold.items():
        print(
            f"{backend}: mean out-of-fold NDCG@10 {statistics.fmean(scores.values()):.4f}; "
            "tuned out of fold - shipped table, paired: "
            + paired_figures([s - topic_score(shipped[backend], t) for t, s in scores.items()])
        )
    fts5, tantivy = ENGINES["fts5"], ENGINES["tantivy"]
    if fts5 not in out_of_fold or tantivy not in out_of_fold:
        return
    changes = [out_of_fold[tantivy][t] - out_of_fold[fts5][t] for t in out_of_fold[fts5]]
    print(f"{tantivy} - {fts5}, out of fold, paired: " + adoption_verdict(changes))


if __name__ == "__main__":
    sys.exit(main())
