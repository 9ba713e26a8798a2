"""Weight tables tuned from a grid's per-topic scores, cross-validated, and paired comparisons
of two rankers over the same topics, for ``ranking_bench.py``.

Tuning picks the grid table with the best mean NDCG@10 on a set of topics; cross-validation
tunes on all folds but one and scores the one left out. A topic's change is one ranker's figure
minus the other's on that topic. Both measures are seeded, so a run prints the same figures
every time: a bootstrap interval of the mean change (topics resampled with replacement) and a
one-sided randomisation p-value of a loss (signs of the changes flipped at random: under "no
difference" each sign is a coin toss).
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TypeVar

PointScores = dict[str, dict[str, float]]
"""One weight table's NDCG@10 per form and topic (form → topic → NDCG@10)."""

W = TypeVar("W", bound=tuple[float, ...])
"""A weight table (the bench's six column weights)."""

SEED = 8
"""Seed of the bootstrap and the randomisation test (fixed: every run prints the same)."""
RESAMPLES = 10_000
"""Resamples of the bootstrap and sign flips of the randomisation test."""
ALLOWED_LOSS = 0.01
"""How far the new ranker's mean may fall below the old one's and still be adopted."""
SIGNIFICANT = 0.05
"""A loss with a one-sided p-value below this is significant (the new ranker is not adopted)."""


# -- tuning ---------------------------------------------------------------------------------------


def objective(scores: PointScores, topics: Collection[str]) -> float:
    """Return what tuning maximises: the mean over both forms of the mean NDCG@10 over
    ``topics`` (equal to the mean over the topics of each topic's mean of both forms)."""
    return statistics.fmean(
        statistics.fmean(by_topic[t] for t in topics) for by_topic in scores.values()
    )


def topic_score(scores: PointScores, topic: str) -> float:
    """Return one topic's figure: the mean of both forms' NDCG@10."""
    return statistics.fmean(by_topic[topic] for by_topic in scores.values())


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Return how far two weight tables are apart (sum of absolute log ratios), for ties."""
    return sum(abs(math.log(x / y)) for x, y in zip(a, b, strict=True) if x > 0 and y > 0)


def tune(grid: Mapping[W, PointScores], topics: Collection[str], start: W) -> tuple[W, float]:
    """Return the grid point with the best objective on ``topics`` (ties: nearest to
    ``start``) and its objective."""
    best: tuple[float, float, W] | None = None
    for weights, scores in grid.items():
        key = (objective(scores, topics), -distance(weights, start), weights)
        if best is None or key[:2] > best[:2]:
            best = key
    assert best is not None
    return best[2], best[0]


# -- cross-validation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fold:
    """One fold of one engine: the table tuned on the other folds and its figures."""

    fold: int
    topics: int
    weights: tuple[float, ...]
    training: float
    held_out: float


def cross_validate(
    grid: Mapping[W, PointScores], folds: int, fold_of: Callable[[str], int], start: W
) -> tuple[list[Fold], dict[str, float]]:
    """Tune on all folds but one and score the one left out, for each of ``folds`` folds
    (``fold_of`` a topic: 0 to folds - 1); return the folds and each topic's out-of-fold figure
    (the mean of both forms' NDCG@10)."""
    topics = list(next(iter(grid.values()))["cond"])
    found: list[Fold] = []
    out_of_fold: dict[str, float] = {}
    for fold in range(folds):
        held = [t for t in topics if fold_of(t) == fold]
        training = [t for t in topics if fold_of(t) != fold]
        weights, score = tune(grid, training, start)
        found.append(Fold(fold, len(held), weights, score, objective(grid[weights], held)))
        out_of_fold.update((t, topic_score(grid[weights], t)) for t in held)
    return found, out_of_fold


# -- paired comparisons ---------------------------------------------------------------------------


def bootstrap_interval(
    changes: list[float], seed: int = SEED, resamples: int = RESAMPLES
) -> tuple[float, float]:
    """Return the 95 % percentile interval of the mean of ``changes`` over ``resamples``
    resamples of the topics with replacement (seeded: the same interval every run)."""
    draw = random.Random(seed)
    means = sorted(
        statistics.fmean(draw.choices(changes, k=len(changes))) for _ in range(resamples)
    )
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def loss_p_value(changes: list[float], seed: int = SEED, resamples: int = RESAMPLES) -> float:
    """Return the one-sided randomisation p-value of a loss: the share of random sign flips
    of the paired ``changes`` whose mean is at most the observed mean (seeded)."""
    draw = random.Random(seed)
    observed = statistics.fmean(changes)
    at_most = sum(
        statistics.fmean(c if draw.random() < 0.5 else -c for c in changes) <= observed + 1e-12
        for _ in range(resamples)
    )
    return (at_most + 1) / (resamples + 1)


def paired_figures(changes: list[float]) -> str:
    """Return the paired figures of ``changes`` (new minus old, one per topic): the mean, its
    bootstrap interval, the one-sided p-value of a loss, and the topics better, same, worse."""
    low, high = bootstrap_interval(changes)
    better = sum(c > 1e-9 for c in changes)
    worse = sum(c < -1e-9 for c in changes)
    return (
        f"{statistics.fmean(changes):+.4f} over {len(changes)} topics (bootstrap 95 % CI "
        f"{low:+.4f} to {high:+.4f}; one-sided p of a loss {loss_p_value(changes):.3f}); "
        f"{better} better, {len(changes) - better - worse} same, {worse} worse"
    )


def adoption_verdict(changes: list[float]) -> str:
    """Return ``paired_figures`` and the rule's verdict: adopt when the mean change is at least
    ``-ALLOWED_LOSS`` and a loss is not significant (p at least ``SIGNIFICANT``)."""
    passes = statistics.fmean(changes) >= -ALLOWED_LOSS and loss_p_value(changes) >= SIGNIFICANT
    return f"{paired_figures(changes)}. Rule (change >= -{ALLOWED_LOSS}, p >= {SIGNIFICANT}): " + (
        "PASS" if passes else "FAIL"
    )
