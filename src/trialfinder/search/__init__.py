"""Searching the store: one query model (`SearchQuery`) for the CLI, the API and the web pages.

Text follows ClinicalTrials.gov's `query.*` parameters and is ranked by BM25 with field weights;
filters cover status, phase, type, sex, age, healthy volunteers, country, results, dates and a
distance from a place resolved offline.
"""

from __future__ import annotations

from trialfinder.search._engine import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    SearchPage,
    SitePage,
    count_studies,
    facet_studies,
    find_sites,
    search_studies,
)
from trialfinder.search._params import (
    SEARCH_PARAMETERS,
    Paging,
    paging_from_params,
    parse_bool,
    parse_geo,
    query_from_params,
)
from trialfinder.search._places import Place, parse_distance, resolve_place
from trialfinder.search._query import (
    AGE_GROUPS,
    OPEN_STATUSES,
    OVERALL_STATUSES,
    PHASES,
    SEXES,
    SORT_KEYS,
    STUDY_TYPES,
    SearchQuery,
    registry_country,
)
from trialfinder.search._text import parse_text, synonyms_of

__all__ = [
    "AGE_GROUPS",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "OPEN_STATUSES",
    "OVERALL_STATUSES",
    "PHASES",
    "SEARCH_PARAMETERS",
    "SEXES",
    "SORT_KEYS",
    "STUDY_TYPES",
    "Paging",
    "Place",
    "SearchPage",
    "SearchQuery",
    "SitePage",
    "count_studies",
    "facet_studies",
    "find_sites",
    "paging_from_params",
    "parse_bool",
    "parse_distance",
    "parse_geo",
    "parse_text",
    "query_from_params",
    "registry_country",
    "resolve_place",
    "search_studies",
    "synonyms_of",
]
