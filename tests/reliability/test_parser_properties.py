"""Property tests of the criteria parser and the patient readers: on any input they return a
result or a `QueryError`, never crash, and every span lies inside the text it points into."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialfinder.criteria import parse_criteria, parse_criterion
from trialfinder.errors import QueryError
from trialfinder.match import PatientProfile, load_profile, profile_from_bundle, profile_from_note

FHIR = Path(__file__).resolve().parents[1] / "match" / "fixtures"
FRAGMENTS = [
    "Inclusion Criteria:\n",
    "Exclusion Criteria:\n",
    "\n* ",
    "\n  - ",
    "\n1. ",
    "Age >= 18 years",
    "aged 6 months to 17 years",
    "eGFR \\>= 30 mL/min/1.73m2",
    "creatinine < 1.5 x ULN",
    "ECOG 0-2",
    "Karnofsky ≥ 70%",
    "no prior chemotherapy within 6 months",
    "pregnant or breastfeeding",
    "history of type 2 diabetes",
    "58-year-old woman",
    "on metformin 500 mg",
    "HbA1c 7.2%",
    "BMI 31",
    "denies chest pain",
    "male",
    " or ",
    " and ",
    " not ",
    "(",
    ")",
    "≤",
    "\\<",
    "\u00a0",
    "\t",
    "\r\n",
    "İ",
    "ß",
    "\U0001f600",
]
texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12), st.integers().map(str)),
    max_size=25,
).map("".join)
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _spans(value: Any) -> list[tuple[int, int]]:
    """Every {"start", "end"} pair anywhere in a builtins tree."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("start"), int) and isinstance(value.get("end"), int):
            found.append((value["start"], value["end"]))
        for item in value.values():
            found += _spans(item)
    elif isinstance(value, list):
        for item in value:
            found += _spans(item)
    return found


@SETTINGS
@given(texts)
def test_parse_criteria_never_crashes_and_spans_stay_inside(text: str) -> None:
    parsed = parse_criteria(text)
    for criterion in parsed.inclusion + parsed.exclusion:
        assert 0 <= criterion.start <= criterion.end <= len(text)
        for constraint in criterion.constraints:
            start, end = constraint.span
            assert 0 <= start <= end <= len(criterion.text), (constraint, criterion.text)


@SETTINGS
@given(texts)
def test_parse_criterion_never_crashes_and_spans_stay_inside(text: str) -> None:
    for constraint in parse_criterion(text):
        start, end = constraint.span
        assert 0 <= start <= end <= len(text), constraint


@SETTINGS
@given(texts)
def test_note_reader_never_crashes_and_spans_stay_inside(text: str) -> None:
    try:
        profile = profile_from_note(text)
    except QueryError as error:
        assert error.parameter == "note"
        return
    for start, end in _spans(msgspec.to_builtins(profile)):
        assert 0 <= start <= end <= len(text), (start, end, text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
PROFILE_KEYS = ["age_years", "sex", "conditions", "observations", "treatments", "location"]


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=200),
        st.dictionaries(st.sampled_from(PROFILE_KEYS), json_values).map(
            lambda d: json.dumps(d).encode()
        ),
    )
)
def test_load_profile_returns_a_profile_or_a_query_error(data: bytes) -> None:
    try:
        profile = load_profile(data)
    except QueryError as error:
        assert error.message
        return
    assert isinstance(profile, PatientProfile)


def _bundles() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(FHIR.glob("*bundle.json"))]


def _mutate(document: Any, path: list[int], replacement: Any) -> Any:
    """`document` with the node reached by walking `path` (indices mod length) replaced."""
    if not path or not isinstance(document, dict | list) or not document:
        return replacement
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy: Any = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = _mutate(copy[key], path[1:], replacement)
    return copy


@SETTINGS
@given(
    st.sampled_from(range(len(_bundles()))),
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8),
    json_values,
)
def test_fhir_reader_on_mutated_bundles_returns_a_profile_or_a_query_error(
    which: int, path: list[int], replacement: Any
) -> None:
    bundle = _mutate(_bundles()[which], path, replacement)
    try:
        profile = profile_from_bundle(bundle)
    except QueryError as error:
        assert error.message
        return
    assert isinstance(profile, PatientProfile)
