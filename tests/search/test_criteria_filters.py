"""Filters on the criteria read from eligibility text: `filter.ecog` and `filter.egfr`."""

from __future__ import annotations

import pytest

from trialfinder.errors import QueryError
from trialfinder.search import SearchQuery, count_studies, query_from_params, search_studies
from trialfinder.store import Store


def _ids(store: Store, query: SearchQuery) -> list[str]:
    return [hit.nct_id for hit in search_studies(store, query, page_size=1000).hits]


def _asks_for_less_ecog(store: Store, nct_id: str, grade: float) -> bool:
    reading = store.get_criteria(nct_id)
    return reading is not None and reading.ecog_max is not None and reading.ecog_max < grade


def _asks_for_more_egfr(store: Store, nct_id: str, egfr: float) -> bool:
    reading = store.get_criteria(nct_id)
    return reading is not None and reading.egfr_min is not None and reading.egfr_min > egfr


@pytest.mark.parametrize("grade", [2, 3])
def test_ecog_filter_leaves_out_exactly_the_trials_asking_for_a_lower_grade(
    real_store: Store, grade: int
) -> None:
    every = _ids(real_store, SearchQuery(cond="cancer"))
    kept = _ids(real_store, SearchQuery(cond="cancer", ecog=grade))
    left_out = [n for n in every if _asks_for_less_ecog(real_store, n, grade)]
    assert left_out, "the sample should hold cancer trials with an ECOG limit"
    assert kept == [n for n in every if n not in left_out]
    assert count_studies(real_store, SearchQuery(cond="cancer", ecog=grade)) == len(kept)


def test_egfr_filter_leaves_out_exactly_the_trials_asking_for_more(real_store: Store) -> None:
    every = _ids(real_store, SearchQuery(term="kidney OR renal OR cancer"))
    kept = _ids(real_store, SearchQuery(term="kidney OR renal OR cancer", egfr=30))
    left_out = [n for n in every if _asks_for_more_egfr(real_store, n, 30)]
    assert left_out, "the sample should hold trials with an eGFR floor above 30"
    assert kept == [n for n in every if n not in left_out]


def test_a_fitter_patient_is_open_to_at_least_as_many_trials(real_store: Store) -> None:
    counts = [count_studies(real_store, SearchQuery(ecog=grade)) for grade in (4, 2, 1, 0)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]


@pytest.mark.parametrize(
    ("parameter", "value"), [("filter.ecog", "6"), ("filter.ecog", "-1"), ("filter.egfr", "900")]
)
def test_out_of_range_values_are_a_clear_error(parameter: str, value: str) -> None:
    with pytest.raises(QueryError) as caught:
        query_from_params({parameter: value}).study_filter()
    assert caught.value.parameter == parameter
    assert parameter in caught.value.message


def test_not_a_number_names_the_parameter() -> None:
    with pytest.raises(QueryError) as caught:
        query_from_params({"filter.egfr": "lots"})
    assert caught.value.parameter == "filter.egfr"
