"""Rank trials for one patient: candidates from search, then eligibility, in one score.

``score = relevance × eligibility``, where

- ``relevance = 0.5 × text + 0.5 × condition``: ``text`` is the trial's BM25 score for the
  patient's condition words divided by the best score among the candidates (0..1), and
  ``condition`` is 1 when a present patient diagnosis matches the trial's own conditions (its
  MeSH terms or listed conditions), else 0;
- ``eligibility`` is ``evaluate.eligibility_factor``: 1 eligible, (met+1)/(met+unknown+2)
  possibly eligible, 5 % of that when not eligible.

The weights were fixed before any measurement and are not tuned on TREC (see BENCHMARKS.md).

Scale: the store's own SQL pre-filters on status, age, sex and distance and ranks by BM25 over
the patient's condition words; only the best ``candidates`` (default 200) are fetched and
evaluated. Parsed criteria are cached per (NCT id, last update), so a warm process evaluates a
trial in well under a millisecond.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from functools import lru_cache

import msgspec

from trialfinder.criteria import ParsedCriteria, parse_criteria
from trialfinder.match.concepts import PatientConcepts
from trialfinder.match.derive import with_derived
from trialfinder.match.evaluate import OPEN_STATUSES, evaluate_trial
from trialfinder.match.profile import PatientProfile
from trialfinder.match.verdict import TrialVerdict
from trialfinder.model import Trial
from trialfinder.store.base import GeoArea, Store

__all__ = [
    "CONDITION_WEIGHT",
    "TEXT_WEIGHT",
    "MatchResult",
    "RankedTrial",
    "condition_words",
    "match_patient",
    "parsed_criteria_of",
    "rank_trials",
    "relevance",
]

TEXT_WEIGHT = 0.5
CONDITION_WEIGHT = 0.5
DEFAULT_CANDIDATES = 200
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
_GENERIC = frozenset({"disease", "diseases", "disorder", "disorders", "syndrome", "and", "the"})
_MAX_WORDS = 60


class RankedTrial(msgspec.Struct, frozen=True, kw_only=True):
    """One ranked trial: the score, its two factors, and the full verdict."""

    nct_id: str
    title: str
    overall_status: str
    score: float
    relevance: float
    eligibility: float
    outcome: str
    verdict: TrialVerdict
    nearest_site: str = ""
    distance_km: float | None = None


class MatchResult(msgspec.Struct, frozen=True, kw_only=True):
    """Ranked trials for one patient, with how many candidates were looked at and the time."""

    results: list[RankedTrial]
    candidates: int
    seconds: float
    on_date: str


@lru_cache(maxsize=50_000)
def _parsed(
    nct_id: str, last_update: str, text: str, mesh_terms: tuple[str, ...]
) -> ParsedCriteria:
    return parse_criteria(text, mesh_terms=mesh_terms)


def parsed_criteria_of(trial: Trial) -> ParsedCriteria:
    """Return the trial's parsed criteria, cached per (NCT id, last update) in this process."""
    return _parsed(
        trial.nct_id,
        trial.last_update_posted,
        trial.eligibility_criteria,
        tuple(m.term for m in trial.condition_mesh),
    )


def relevance(text_score: float, has_condition: bool) -> float:
    """Return ``TEXT_WEIGHT × text_score + CONDITION_WEIGHT × has_condition``."""
    return TEXT_WEIGHT * text_score + CONDITION_WEIGHT * float(has_condition)


def condition_words(profile: PatientProfile) -> list[str]:
    """Return the distinct words of the patient's present diagnoses, for the candidate search."""
    words: dict[str, None] = {}
    for condition in profile.conditions:
        if condition.negated or condition.text is None:
            continue
        for word in _WORD.findall(condition.text):
            if word.lower() not in _GENERIC:
                words.setdefault(word.lower())
    return list(words)[:_MAX_WORDS]


def rank_trials(
    trials: Sequence[Trial],
    text_scores: Sequence[float],
    profile: PatientProfile,
    on_date: dt.date,
    *,
    check_status: bool = True,
) -> list[RankedTrial]:
    """Return ``trials`` evaluated for ``profile`` and sorted by score, best first.

    Args:
        text_scores: each trial's text relevance (higher is better; any scale).
    """
    best = max((s for s in text_scores if s > 0), default=1.0)
    patient = with_derived(profile, on_date)
    concepts = PatientConcepts.of(patient)
    ranked = []
    for trial, text_score in zip(trials, text_scores, strict=True):
        verdict = evaluate_trial(
            trial, parsed_criteria_of(trial), patient, on_date, check_status=check_status
        )
        own = [m.term for m in trial.condition_mesh] + list(trial.conditions)
        rel = relevance(max(text_score, 0.0) / best, concepts.has_any(own) is not None)
        ranked.append(
            RankedTrial(
                nct_id=trial.nct_id,
                title=trial.brief_title,
                overall_status=trial.overall_status,
                score=round(rel * verdict.eligibility, 6),
                relevance=round(rel, 6),
                eligibility=verdict.eligibility,
                outcome=verdict.outcome,
                verdict=verdict,
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.nct_id))
    return ranked


def match_patient(
    store: Store,
    profile: PatientProfile,
    *,
    on_date: dt.date | None = None,
    geo: GeoArea | None = None,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    limit: int = 20,
    candidates: int = DEFAULT_CANDIDATES,
) -> MatchResult:
    """Return the best ``limit`` trials for ``profile``: search, evaluate, rank.

    The search keeps trials open to the patient's age and sex, in ``statuses`` and within
    ``geo``, ranked by BM25 over the words of the patient's diagnoses.
    """
    from trialfinder.search import SearchQuery, search_studies

    started = time.perf_counter()
    on = on_date or dt.date.today()
    patient = with_derived(profile, on)
    words = condition_words(patient)
    query = SearchQuery(
        cond=" OR ".join(words),
        statuses=statuses,
        sex=patient.sex.upper() if patient.sex in ("female", "male") else "",
        age=patient.age_years,
        geo=geo,
    )
    page = search_studies(store, query, page_size=candidates)
    hits = {hit.nct_id: hit for hit in page.hits}
    trials = [t for hit in page.hits if (t := store.get_trial(hit.nct_id)) is not None]
    scores = [hits[t.nct_id].score or 0.0 for t in trials]
    ranked = rank_trials(trials, scores, patient, on)[:limit]
    results = []
    for item in ranked:
        hit = hits[item.nct_id]
        site = hit.site
        place = "" if site is None else ", ".join(filter(None, (site.name, site.city, site.state)))
        results.append(
            msgspec.structs.replace(
                item,
                nearest_site=place,
                distance_km=None if hit.distance_km is None else round(hit.distance_km, 1),
            )
        )
    return MatchResult(
        results=results,
        candidates=len(trials),
        seconds=round(time.perf_counter() - started, 3),
        on_date=on.isoformat(),
    )
