"""Patient-to-trial ranking quality on TREC Clinical Trials 2021, beside a BM25 baseline.

Run ``python bench/match_bench.py [--data ../shared/data]``. For each topic (a patient note) the
judged trials whose records are in ``ctgov/``, ``ctgov-xml/`` and ``ctgov-xml-2023/`` are ranked
two ways in the same run:

- BM25: SQLite FTS5 ``bm25()`` over title, conditions, keywords, summary and criteria, the query
  being every word of the note (stop words dropped) ORed;
- trialfinder: ``match.rank_trials`` — the same BM25 as text relevance, the patient profile read
  from the note by rules, criteria evaluated on 2021-04-27 (status not checked: TREC judged
  eligibility only).

Reported per method: NDCG@10 (gain = grade), P@10 (eligible = relevant), the share of (excluded,
eligible) pairs of a topic where the excluded trial ranks above, and for trialfinder the accuracy
of its eligible-vs-excluded call (not_eligible = excluded) on the pairs judged 1 or 2. Figures are
given over all topics and over odd and even topic numbers separately: no weight was tuned on TREC,
and any future tuning must use one half and report the other.

``--store PATH`` measures speed instead: ``match_patient`` for every TREC note against the
SQLite store at PATH (open trials only, today's date), a first pass with this process's parse
cache empty and ``--repeat`` more passes, reporting the median and 95th percentile latency, the
share spent in the candidate search, the CPU time, how many candidates were evaluated one
criterion at a time and how many hits the stored readings ruled out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from trialfinder.match import load_profile, match_patient
from trialfinder.match.derive import with_derived
from trialfinder.match.rank import (
    DEFAULT_CANDIDATES,
    SEARCHED_PER_CANDIDATE,
    candidate_query,
    rank_trials,
)
from trialfinder.model import Trial
from trialfinder.sources import parse_record, read_source

ON_DATE = dt.date(2021, 4, 27)
FOLDERS = ("ctgov", "ctgov-xml", "ctgov-xml-2023")
_STOP_WORDS = """a an and are as at be by for from has had have he her his in is it of on or she
that the their this to was were which with who patient patients presented year old years yo"""
STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[a-z][a-z0-9]+")


def read_trials(data: Path, wanted: set[str]) -> dict[str, Trial]:
    """Return the judged trials found in the shared folders (later folders win)."""
    trials: dict[str, Trial] = {}
    for folder in FOLDERS:
        for record in read_source(data / folder):
            trial = parse_record(record)
            if trial.nct_id in wanted:
                trials[trial.nct_id] = trial
    return trials


def bm25_index(trials: dict[str, Trial]) -> sqlite3.Connection:
    """Return an in-memory FTS5 table of the trials' searchable text."""
    db = sqlite3.connect(":memory:")
    db.execute("create virtual table docs using fts5(nct_id unindexed, body)")
    for trial in trials.values():
        body = " ".join(
            [
                trial.brief_title,
                trial.official_title,
                " ".join(trial.conditions),
                " ".join(trial.keywords),
                trial.brief_summary,
                trial.eligibility_criteria,
            ]
        )
        db.execute("insert into docs (nct_id, body) values (?, ?)", (trial.nct_id, body))
    return db


def bm25_scores(db: sqlite3.Connection, note: str, nct_ids: list[str]) -> dict[str, float]:
    """Return the BM25 score (higher is better, 0 when no word matches) of each trial."""
    words = sorted({w for w in _WORD.findall(note.lower()) if w not in STOP})
    query = " OR ".join(f'"{w}"' for w in words)
    marks = ",".join("?" for _ in nct_ids)
    rows = db.execute(
        f"""
        select nct_id, -bm25(docs) as score
        from docs
        where docs match ? and nct_id in ({marks})
        """,
        (query, *nct_ids),
    ).fetchall()
    found = {nct_id: float(score) for nct_id, score in rows}
    return {n: found.get(n, 0.0) for n in nct_ids}


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """Return NDCG@k with gain = grade and log2 discount."""
    dcg = sum(grades[n] / math.log2(i + 2) for i, n in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def wrong_order(ranked: list[str], grades: dict[str, int]) -> tuple[int, int]:
    """Return (excluded-above-eligible pairs, all (excluded, eligible) pairs) of one topic."""
    position = {n: i for i, n in enumerate(ranked)}
    excluded = [n for n, g in grades.items() if g == 1]
    eligible = [n for n, g in grades.items() if g == 2]
    wrong = sum(position[x] < position[e] for x in excluded for e in eligible)
    return wrong, len(excluded) * len(eligible)


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def time_store(path: Path, notes: list[str], repeat: int) -> None:
    """Print match latency of each note against the store at ``path``."""
    from trialfinder.search import search_studies
    from trialfinder.store import open_store

    store = open_store(f"sqlite:///{path.resolve()}", read_only=True)
    stats = store.stats()
    print(f"store {path}: {stats.trials:,} trials")
    profiles = [load_profile(note.encode()) for note in notes]
    today = dt.date.today()
    for round_ in range(1 + repeat):
        totals: list[float] = []
        searches: list[float] = []
        early = checked = evaluated = 0
        cpu = time.process_time()
        for profile in profiles:
            started = time.perf_counter()
            result = match_patient(store, profile, on_date=today)
            totals.append(time.perf_counter() - started)
            early += result.ruled_out_early
            checked += result.candidates
            evaluated += result.evaluated
            # The search step alone, as match_patient runs it.
            query = candidate_query(with_derived(profile, today))
            started = time.perf_counter()
            search_studies(store, query, page_size=DEFAULT_CANDIDATES * SEARCHED_PER_CANDIDATE)
            searches.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        label = "first pass (empty parse cache)" if round_ == 0 else f"repeat {round_}"
        median = statistics.median(totals) * 1000
        print(
            f"{label}: {len(totals)} notes, match median {median:.0f} ms, "
            f"p95 {percentile(totals, 0.95) * 1000:.0f} ms, max {max(totals) * 1000:.0f} ms; "
            f"search step median {statistics.median(searches) * 1000:.0f} ms; "
            f"CPU {cpu / len(totals) * 1000:.0f} ms per note (search step included); "
            f"per note {checked / len(totals):.0f} candidates, "
            f"{evaluated / len(totals):.0f} evaluated, {early / len(totals):.0f} ruled out early"
        )
    store.close()


def main(argv: list[str] | None = None) -> int:
    """Print the figures for BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument("--store", type=Path, help="time match_patient against this SQLite store")
    parser.add_argument("--repeat", type=int, default=1, help="passes after the first (--store)")
    args = parser.parse_args(argv)
    trec = args.data / "trec2021"
    topics = {
        row["_id"]: row["text"]
        for row in map(json.loads, (trec / "topics.jsonl").read_text().splitlines())
    }
    if args.store is not None:
        time_store(args.store, list(topics.values()), args.repeat)
        return 0
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (trec / "qrels.tsv").read_text().splitlines()[1:]:
        topic, nct_id, grade = line.split("\t")
        judged[topic][nct_id] = int(grade)
    wanted = {n for grades in judged.values() for n in grades}
    trials = read_trials(args.data, wanted)
    db = bm25_index(trials)

    per_topic: dict[str, dict[str, dict[str, float]]] = {"bm25": {}, "trialfinder": {}}
    pairs: dict[str, list[tuple[int, int]]] = {"bm25": [], "trialfinder": []}
    calls: list[tuple[str, int, str]] = []
    covered_pairs = 0
    started = time.perf_counter()
    evaluated = 0
    for topic, all_grades in judged.items():
        grades = {n: g for n, g in all_grades.items() if n in trials}
        if not grades:
            continue
        covered_pairs += len(grades)
        ids = sorted(grades)
        text = bm25_scores(db, topics[topic], ids)
        profile = load_profile(topics[topic].encode())
        ranked = rank_trials(
            [trials[n] for n in ids], [text[n] for n in ids], profile, ON_DATE, check_status=False
        )
        evaluated += len(ids)
        orders = {
            "bm25": sorted(ids, key=lambda n: (-text[n], n)),
            "trialfinder": [r.nct_id for r in ranked],
        }
        for method, order in orders.items():
            per_topic[method][topic] = {
                "ndcg10": ndcg_at(order, grades),
                "p10": sum(grades[n] == 2 for n in order[:10]) / 10,
            }
            pairs[method].append(
                (int(topic.removeprefix("trec-2021")), *wrong_order(order, grades))
            )
        calls += [(topic, grades[r.nct_id], r.outcome) for r in ranked if grades[r.nct_id] > 0]
    seconds = time.perf_counter() - started

    print(f"{len(per_topic['bm25'])} topics, {covered_pairs} judged pairs, {len(trials)} trials")
    for half, keep in (
        ("all", lambda n: True),
        ("odd", lambda n: n % 2),
        ("even", lambda n: not n % 2),
    ):
        print(f"\n[{half} topics]")
        for method in ("bm25", "trialfinder"):
            rows = {
                t: v for t, v in per_topic[method].items() if keep(int(t.removeprefix("trec-2021")))
            }
            wrong = sum(w for n, w, _ in pairs[method] if keep(n))
            total = sum(t for n, _, t in pairs[method] if keep(n))
            print(
                f"  {method:<12} topics {len(rows):>2}  "
                f"NDCG@10 {statistics.fmean(v['ndcg10'] for v in rows.values()):.3f}  "
                f"P@10 {statistics.fmean(v['p10'] for v in rows.values()):.3f}  "
                f"excluded-above-eligible {wrong}/{total} = {wrong / max(total, 1):.1%}"
            )
        chosen = [c for c in calls if keep(int(c[0].removeprefix("trec-2021")))]
        right = sum((g == 1) == (o == "not_eligible") for _, g, o in chosen)
        by = defaultdict(int)
        for _, g, o in chosen:
            by[(g, o)] += 1
        print(
            f"  verdict accuracy (excluded = not_eligible) {right}/{len(chosen)} = "
            f"{right / max(len(chosen), 1):.1%}; "
            + ", ".join(f"grade {g}→{o} {c}" for (g, o), c in sorted(by.items()))
        )
    print(f"\nprofile + evaluation of {evaluated} pairs: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
