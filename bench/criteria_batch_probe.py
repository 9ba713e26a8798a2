"""Criteria engine probe (issue 5): does running a stage once per trial instead of once per
criterion pay?

The engine pays a fixed Python cost per criterion in each of ~15 stages. This probe measures two
stages both ways over the shared records' criteria, the per-trial way over the trial's criteria
joined by ``SEPARATOR`` with every match mapped back to its criterion by offset:

- ``scan``: the word cut, the rule triggers and the five literal indexes (conditions, therapies,
  labs, scores, context cues). Per trial, the triggers are still told per criterion (from the
  criterion's words), because they choose each criterion's rows.
  ``index_passes`` times the word cut and the indexes alone, per criterion and over the joined
  trials without mapping spans back: the most the per-trial way could save.
- ``rows``: the rows of the kinds chosen by ``applicable`` and matched over the whole criterion
  (age, sex, pregnancy, not-checkable, time windows, negation, therapy, formula, pressure
  pairs), every match or, for the kinds the engine ``search``es, the first. Per trial, a row
  opened by any criterion runs over the joined text; a match is kept where it lies inside one
  criterion whose own triggers open the row.

It prints CPU microseconds per criterion (median of ``--repeat``, the two ways interleaved) and
whether the per-trial way finds exactly what the per-criterion way finds.

    .venv/bin/python bench/criteria_batch_probe.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criteria_bench import DATA, load_texts  # noqa: E402
from trialfinder.criteria import lexicon, tables
from trialfinder.criteria._extract import (
    _WORD_TRIGGERS,
    _trigger_kinds,
    _triggers_of_word,
    applicable,
    runs,
    triggers_of,
)
from trialfinder.criteria.splitter import split_criteria, unescape

# No literal crosses it (no blank the literal indexes skip, "\x00" in no literal), and the
# rows' gaps stop at it: blanks would be taken by a trailing ``\s*`` ("Age 21 - 55\n"), a bare
# "\x00" by classes such as ``[^.;]`` (time windows), while "." and ";" end a clause.
SEPARATOR = ".\x00;"
ROW_KINDS = (
    "age",
    "sex",
    "pregnancy",
    "not_checkable",
    "time_window",
    "negation",
    "therapy",
    "formula",
    "pressure_pair",
)
SEARCHED_KINDS = frozenset({"sex", "not_checkable", "formula"})

Span = tuple[int, int]
Scan = tuple[frozenset[str], list[list[Span]]]  # a criterion's triggers, each index's spans
RowMatch = tuple[int, int, str, Span]  # trial, criterion, row name, span


def trial_criteria(texts: list[str]) -> list[list[str]]:
    """Return each trial's criteria as the engine reads them (split, unescaped)."""
    out = []
    for text in texts:
        lists = split_criteria(text)
        out.append([unescape(c.text) for c in lists.inclusion + lists.exclusion])
    return out


def criterion_starts(criteria: list[str]) -> list[int]:
    """Return where each criterion starts in ``SEPARATOR.join(criteria)``."""
    starts, position = [], 0
    for criterion in criteria:
        starts.append(position)
        position += len(criterion) + len(SEPARATOR)
    return starts


def literal_indexes() -> list[tables.LiteralIndex]:
    """Return the five literal indexes a criterion is read with."""
    return [
        lexicon.condition_index().index,
        lexicon.therapy_index().index,
        lexicon.lab_index(),
        lexicon.score_index(),
        lexicon.cue_index()[0],
    ]


def scan_per_criterion(trials: list[list[str]]) -> list[Scan]:
    """Return each criterion's triggers and literal spans, read criterion by criterion."""
    indexes = literal_indexes()
    return [
        (triggers_of(criterion), [index.find(criterion) for index in indexes])
        for criteria in trials
        for criterion in criteria
    ]


def scan_per_trial(trials: list[list[str]]) -> list[Scan]:
    """Return what ``scan_per_criterion`` returns, with one word cut and one pass of each
    literal index per trial."""
    indexes = literal_indexes()
    _, other_triggers, _ = _trigger_kinds()
    out: list[Scan] = []
    for criteria in trials:
        joined = SEPARATOR.join(criteria)
        _, words, lower, _, word_starts = tables.word_spans(joined)
        starts = criterion_starts(criteria)
        found = [index.find(joined) for index in indexes]
        word_cuts = [bisect_left(word_starts, s) for s in starts] + [len(word_starts)]
        span_cuts = [[bisect_left(f, (s,)) for s in starts] + [len(f)] for f in found]
        for k, criterion in enumerate(criteria):
            start = starts[k]
            own_words = words[word_cuts[k] : word_cuts[k + 1]]
            for word in own_words:
                if word not in _WORD_TRIGGERS:
                    _triggers_of_word(word)
            present = set().union(*map(_WORD_TRIGGERS.__getitem__, own_words))
            own_lower = lower[start : start + len(criterion)]
            present.update(t for t in other_triggers if t in own_lower)
            spans = [
                [(s - start, e - start) for s, e in f[cuts[k] : cuts[k + 1]]]
                for f, cuts in zip(found, span_cuts, strict=True)
            ]
            out.append((frozenset(present), spans))
    return out


def index_passes(texts: list[str]) -> None:
    """Cut each text into words and run the five literal indexes over it, keeping nothing: over
    the joined trials, the most a per-trial scan could save before mapping spans back."""
    indexes = literal_indexes()
    for text in texts:
        tables.word_spans(text)
        for index in indexes:
            index.find(text)


def rows_per_criterion(
    trials: list[list[str]], present: list[list[frozenset[str]]]
) -> list[RowMatch]:
    """Return the row matches of ``ROW_KINDS``, each criterion read alone."""
    out: list[RowMatch] = []
    for t, (criteria, triggers) in enumerate(zip(trials, present, strict=True)):
        for k, (criterion, own) in enumerate(zip(criteria, triggers, strict=True)):
            for kind in ROW_KINDS:
                for pattern, regex in applicable(kind, own):
                    if kind in SEARCHED_KINDS:
                        match = tables.search(pattern, regex, criterion)
                        matches = [] if match is None else [match]
                    else:
                        matches = list(tables.finditer(pattern, regex, criterion))
                    out += [(t, k, pattern.name, m.span()) for m in matches]
    return out


def rows_per_trial(
    trials: list[list[str]], present: list[list[frozenset[str]]], joined: list[str]
) -> list[RowMatch]:
    """Return the row matches of ``ROW_KINDS``, each row run once over a trial's joined text."""
    out: list[RowMatch] = []
    for t, (criteria, triggers, text) in enumerate(zip(trials, present, joined, strict=True)):
        starts = criterion_starts(criteria)
        opened = frozenset().union(*triggers)
        for kind in ROW_KINDS:
            for pattern, regex in applicable(kind, opened):
                searched: set[int] = set()
                for match in tables.finditer(pattern, regex, text):
                    start, end = match.span()
                    k = bisect_right(starts, start) - 1
                    if (
                        k in searched
                        or end > starts[k] + len(criteria[k])
                        or not runs(pattern, triggers[k])
                    ):
                        continue
                    if kind in SEARCHED_KINDS:
                        searched.add(k)
                    out.append((t, k, pattern.name, (start - starts[k], end - starts[k])))
    return out


def cpu_us(run: Callable[[], object], criteria: int) -> float:
    """Return the CPU microseconds per criterion of one ``run``, the per-text caches emptied."""
    tables.word_spans.cache_clear()
    tables._starts_in.cache_clear()
    start = time.process_time()
    run()
    return 1e6 * (time.process_time() - start) / criteria


def main() -> None:
    """Measure both stages both ways and print the medians and the agreement as JSON."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DATA)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    trials = trial_criteria(load_texts(args.data))
    criteria = sum(map(len, trials))
    joined = [SEPARATOR.join(c) for c in trials]
    present = [[triggers_of(c) for c in cs] for cs in trials]  # also fills the word cache

    scan_same = sum(
        a == b for a, b in zip(scan_per_criterion(trials), scan_per_trial(trials), strict=True)
    )
    alone = set(rows_per_criterion(trials, present))
    together = set(rows_per_trial(trials, present, joined))
    lost = Counter(name for _, _, name, _ in alone - together)

    timings: dict[str, list[float]] = {}
    ways: dict[str, Callable[[], object]] = {
        "scan_per_criterion": lambda: scan_per_criterion(trials),
        "scan_per_trial": lambda: scan_per_trial(trials),
        "index_passes_per_criterion": lambda: index_passes([c for cs in trials for c in cs]),
        "index_passes_per_trial_unmapped": lambda: index_passes(joined),
        "rows_per_criterion": lambda: rows_per_criterion(trials, present),
        "rows_per_trial": lambda: rows_per_trial(trials, present, joined),
    }
    for _ in range(args.repeat):
        for name, run in ways.items():
            timings.setdefault(name, []).append(cpu_us(run, criteria))
    print(
        json.dumps(
            {
                "trials": len(trials),
                "criteria": criteria,
                "repeat": args.repeat,
                "us_per_criterion": {n: round(statistics.median(t), 1) for n, t in timings.items()},
                "scan_identical": f"{scan_same}/{criteria}",
                "row_matches_per_criterion": len(alone),
                "row_matches_per_trial": len(together),
                "row_matches_only_per_trial": len(together - alone),
                "row_matches_lost_per_trial": dict(lost.most_common()),
            }
        )
    )


if __name__ == "__main__":
    main()
