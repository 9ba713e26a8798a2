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
the patient's condition words. Of the best hits, those whose *stored* criteria reading rules the
patient out by its numbers (inclusion age range, ECOG maximum, eGFR minimum) are dropped before
the trial record is even read; the best ``candidates`` (default 200) of the rest are the pool,
read in one batch with only the fields screening needs. The pool is evaluated in decreasing
relevance until no trial left can reach the page even if eligible (exact: the page is the same
as when all are evaluated). Criteria come from the stored reading when its engine version is
current, else they are parsed (parses cached per NCT id, last update and text in the process).
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import msgspec

from trialfinder.criteria import ParsedCriteria, parse_criteria
from trialfinder.criteria.reading import ENGINE_VERSION, decode_reading
from trialfinder.match.concepts import PatientConcepts
from trialfinder.match.derive import latest_value, with_derived
from trialfinder.match.evaluate import OPEN_STATUSES, evaluate_trial
from trialfinder.match.profile import PatientProfile
from trialfinder.match.verdict import TrialVerdict
from trialfinder.model import Trial
from trialfinder.store.base import GeoArea, Store, StoredCriteria

if TYPE_CHECKING:
    from trialfinder.search import SearchQuery

__all__ = [
    "CONDITION_WEIGHT",
    "TEXT_WEIGHT",
    "MatchResult",
    "RankedTrial",
    "candidate_query",
    "condition_words",
    "match_patient",
    "parsed_criteria_of",
    "rules_out",
    "rank_trials",
    "relevance",
]

TEXT_WEIGHT = 0.5
CONDITION_WEIGHT = 0.5
DEFAULT_CANDIDATES = 200
SEARCHED_PER_CANDIDATE = 2
"""Search hits fetched per evaluated candidate, so hits the stored readings rule out leave room."""
CACHE_SIZE = 20_000
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
    """Ranked trials for one patient, with how many candidates were looked at and the time.

    ``ruled_out_early`` counts search hits dropped on their stored criteria numbers alone;
    ``evaluated`` the candidates whose criteria were checked one by one (the others, even if
    eligible, could not have reached the page).
    """

    results: list[RankedTrial]
    candidates: int
    seconds: float
    on_date: str
    ruled_out_early: int = 0
    evaluated: int = 0


@lru_cache(maxsize=CACHE_SIZE)
def _parsed(
    nct_id: str, last_update: str, text: str, mesh_terms: tuple[str, ...]
) -> ParsedCriteria:
    return parse_criteria(text, mesh_terms=mesh_terms)


@lru_cache(maxsize=CACHE_SIZE)
def _decoded(data: bytes) -> ParsedCriteria:
    # Keyed by the reading itself, so a changed reading is never served stale.
    return decode_reading(data)


def parsed_criteria_of(
    trial: Trial, store: Store | None = None, stored: StoredCriteria | None = None
) -> ParsedCriteria:
    """Return the trial's parsed criteria.

    The store's reading (or ``stored``, already fetched) is used when its engine version is
    the current one; otherwise the criteria text is parsed, cached per (NCT id, last update,
    text) in this process; decoded readings are cached by their bytes, so one process may serve
    several stores.
    """
    if stored is None and store is not None:
        stored = store.get_criteria(trial.nct_id)
    if stored is not None and stored.engine_version == ENGINE_VERSION:
        return _decoded(stored.data)
    return _parsed(
        trial.nct_id,
        trial.last_update_posted,
        trial.eligibility_criteria,
        tuple(m.term for m in trial.condition_mesh),
    )


def rules_out(stored: StoredCriteria, patient: PatientProfile) -> bool:
    """Return whether the reading's numbers alone exclude the patient (age, ECOG, eGFR).

    ``patient`` must already carry its derived values (``with_derived``). An unknown patient
    value never rules out; a stale reading (older engine version) is not trusted.
    """
    if stored.engine_version != ENGINE_VERSION:
        return False
    age = patient.age_years
    low, high = stored.min_age_years, stored.max_age_years
    # A minimum above the maximum means cohorts with different ages: not trusted.
    is_range = low is None or high is None or low <= high
    if (
        age is not None
        and is_range
        and ((low is not None and age < low) or (high is not None and age > high))
    ):
        return True
    if stored.ecog_max is not None:
        ecog = [s.value for s in patient.scores if s.name.upper() == "ECOG"]
        if ecog and ecog[-1] > stored.ecog_max:
            return True
    if stored.egfr_min is not None:
        egfr = latest_value(patient, "egfr", "ml_min_173")
        if egfr is not None and egfr < stored.egfr_min:
            return True
    return False


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
    criteria: Sequence[ParsedCriteria] | None = None,
) -> list[RankedTrial]:
    """Return ``trials`` evaluated for ``profile`` and sorted by score, best first.

    Args:
        text_scores: each trial's text relevance (higher is better; any scale).
        criteria: each trial's parsed criteria (default: ``parsed_criteria_of``).
    """
    best = max((s for s in text_scores if s > 0), default=1.0)
    patient = with_derived(profile, on_date)
    concepts = PatientConcepts.of(patient)
    if criteria is None:
        criteria = [parsed_criteria_of(trial) for trial in trials]
    ranked = [
        _ranked(
            trial,
            _relevance_of(trial, text_score, best, concepts),
            parsed,
            patient,
            on_date,
            concepts,
            check_status=check_status,
        )
        for trial, text_score, parsed in zip(trials, text_scores, criteria, strict=True)
    ]
    ranked.sort(key=_rank_key)
    return ranked


def _relevance_of(trial: Trial, text_score: float, best: float, concepts: PatientConcepts) -> float:
    own = [m.term for m in trial.condition_mesh] + list(trial.conditions)
    return relevance(max(text_score, 0.0) / best, concepts.has_any(own) is not None)


def _ranked(
    trial: Trial,
    rel: float,
    parsed: ParsedCriteria,
    patient: PatientProfile,
    on_date: dt.date,
    concepts: PatientConcepts,
    *,
    check_status: bool,
) -> RankedTrial:
    verdict = evaluate_trial(
        trial, parsed, patient, on_date, check_status=check_status, concepts=concepts
    )
    return RankedTrial(
        nct_id=trial.nct_id,
        title=trial.brief_title,
        overall_status=trial.overall_status,
        score=round(rel * verdict.eligibility, 6),
        relevance=round(rel, 6),
        eligibility=verdict.eligibility,
        outcome=verdict.outcome,
        verdict=verdict,
    )


def _rank_key(item: RankedTrial) -> tuple[float, str]:
    return (-item.score, item.nct_id)


def candidate_query(
    patient: PatientProfile,
    *,
    geo: GeoArea | None = None,
    statuses: tuple[str, ...] = OPEN_STATUSES,
) -> SearchQuery:
    """Return the search for ``patient``'s candidates: open to their age and sex, in
    ``statuses`` and ``geo``, ranked by BM25 over the words of their diagnoses."""
    from trialfinder.search import SearchQuery

    return SearchQuery(
        cond=" OR ".join(condition_words(patient)),
        statuses=statuses,
        sex=patient.sex.upper() if patient.sex in ("female", "male") else "",
        age=patient.age_years,
        geo=geo,
    )


def _pool(
    store: Store, nct_ids: list[str], patient: PatientProfile, candidates: int
) -> tuple[list[Trial], dict[str, StoredCriteria], int]:
    """Return the first ``candidates`` hits not ruled out by their stored reading, with the
    readings and how many hits were ruled out before the pool was full (two store reads)."""
    readings = store.get_criteria_many(nct_ids)
    out = {n for n, stored in readings.items() if rules_out(stored, patient)}
    kept = [n for n in nct_ids if n not in out]
    trials = store.get_screening_trials(kept[:candidates])
    if len(trials) < min(candidates, len(kept)):
        # Trials deleted since the search leave room for the next hits.
        trials.update(store.get_screening_trials(kept[candidates:]))
    pool = [trials[n] for n in kept if n in trials][:candidates]
    if len(pool) >= candidates:
        # The hits after the pool's last trial were never looked at.
        last = nct_ids.index(pool[-1].nct_id) + 1 if pool else 0
        nct_ids = nct_ids[:last]
    return pool, readings, sum(n in out for n in nct_ids)


def _best_ranked(
    pool: list[Trial],
    text_scores: list[float],
    readings: dict[str, StoredCriteria],
    patient: PatientProfile,
    on_date: dt.date,
    limit: int,
) -> tuple[list[RankedTrial], int]:
    """Return the best ``limit`` of ``rank_trials(pool, ...)`` and how many were evaluated.

    Trials are evaluated in decreasing relevance; once ``limit`` scores are in hand and the
    next relevance (the most its score can be, eligibility being at most 1) is below the
    lowest of them, no trial left can enter the page. Exact, not an approximation.
    """
    best = max((s for s in text_scores if s > 0), default=1.0)
    concepts = PatientConcepts.of(patient)
    by_relevance = sorted(
        ((_relevance_of(t, s, best, concepts), t) for t, s in zip(pool, text_scores, strict=True)),
        key=lambda pair: -pair[0],
    )
    lowest: list[float] = []  # a min-heap of the best ``limit`` scores so far
    ranked = []
    for rel, trial in by_relevance:
        if 0 < limit <= len(lowest) and round(rel, 6) < lowest[0]:
            break
        parsed = parsed_criteria_of(trial, stored=readings.get(trial.nct_id))
        item = _ranked(trial, rel, parsed, patient, on_date, concepts, check_status=True)
        ranked.append(item)
        if len(lowest) < limit:
            heapq.heappush(lowest, item.score)
        else:
            heapq.heappushpop(lowest, item.score)
    evaluated = len(ranked)
    ranked.sort(key=_rank_key)
    return ranked[:limit], evaluated


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
    """Return the best ``limit`` trials for ``profile``: search, pre-filter, evaluate, rank.

    The search keeps trials open to the patient's age and sex, in ``statuses`` and within
    ``geo``, ranked by BM25 over the words of the patient's diagnoses; hits whose stored
    criteria reading rules the patient out (``rules_out``) are dropped unread.
    """
    from trialfinder.search import MAX_PAGE_SIZE, search_studies

    started = time.perf_counter()
    on = on_date or dt.date.today()
    patient = with_derived(profile, on)
    query = candidate_query(patient, geo=geo, statuses=statuses)
    page_size = min(MAX_PAGE_SIZE, candidates * SEARCHED_PER_CANDIDATE)
    page = search_studies(store, query, page_size=page_size)
    hits = {hit.nct_id: hit for hit in page.hits}
    pool, readings, ruled_out = _pool(store, list(hits), patient, candidates)
    scores = [hits[trial.nct_id].score or 0.0 for trial in pool]
    ranked, evaluated = _best_ranked(pool, scores, readings, patient, on, limit)
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
        candidates=len(pool),
        seconds=round(time.perf_counter() - started, 3),
        on_date=on.isoformat(),
        ruled_out_early=ruled_out,
        evaluated=evaluated,
    )
