"""Reading clinical notes: age, sex, conditions with ConText, labs, treatments, spans."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import shared_data
from trialfinder.errors import QueryError
from trialfinder.match import Condition, Observation, PatientProfile, Span, profile_from_note


def said(text: str, span: Span | None) -> str:
    assert span is not None
    return text[span.start : span.end]


@pytest.mark.parametrize(
    ("text", "age", "sex", "age_words", "sex_words"),
    [
        ("A 58-year-old woman presents with cough.", 58.0, "female", "58-year-old", "woman"),
        ("8 yo boy with fever.", 8.0, "male", "8 yo", "boy"),
        ("72 y/o M with CHF.", 72.0, "male", "72 y/o M", "M"),
        ("48 M with a h/o HTN.", 48.0, "male", "48 M", "M"),
        ("An 18-month-old girl with rash.", 1.5, "female", "18-month-old", "girl"),
        ("70 y/o with COPD. She has had cough; her PCP saw her.", 70.0, "female", "70 y/o", "She"),
        ("Had seizures at age 13. Now 41 year old man.", 41.0, "male", "41 year old", "man"),
    ],
    ids=["year-old", "yo", "y/o-M", "compact", "months", "pronouns", "not-at-age"],
)
def test_age_and_sex(text: str, age: float, sex: str, age_words: str, sex_words: str) -> None:
    profile = profile_from_note(text)
    assert (profile.age_years, profile.sex) == (age, sex)
    assert said(text, profile.age_span) == age_words
    assert said(text, profile.sex_span) == sex_words


def test_note_without_age_or_sex() -> None:
    profile = profile_from_note("Cough for two weeks.")
    assert (profile.age_years, profile.sex, profile.age_span) == (None, None, None)


def conditions(text: str) -> list[tuple[str | None, str, bool, str]]:
    return [
        (c.text, c.status, c.negated, said(text, c.span))
        for c in profile_from_note(text).conditions
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Denies chest pain. Has asthma.",
            [("Asthma", "active", False, "asthma")],
        ),
        (
            "No history of stroke or diabetes, but has hypertension.",
            [
                ("Stroke", "active", True, "stroke"),
                ("Diabetes Mellitus", "active", True, "diabetes"),
                ("Hypertension", "active", False, "hypertension"),
            ],
        ),
        (
            "She has a history of CAD and COPD.",
            [
                ("Coronary Artery Disease", "history", False, "CAD"),
                ("Pulmonary Disease, Chronic Obstructive", "history", False, "COPD"),
            ],
        ),
        (
            "Her mother had breast cancer. Negative for HIV.",
            [("HIV Infections", "active", True, "HIV")],
        ),
        (
            "Admitted with urosepsis now resolved.",
            [("Urinary Tract Infections", "resolved", False, "urosepsis")],
        ),
        (
            "Evaluated with a concern for pulmonary embolism.",
            [],
        ),
        (
            "Was diagnosed with Kawasaki disease last year.",
            [("Kawasaki disease last year", "active", False, "Kawasaki disease last year")],
        ),
        (
            "Prior CVA (no residual deficits), HTN, DMII.",
            [
                ("Stroke", "history", False, "CVA"),
                # "prior" reaches three words, as in ConText's short-scope cues
                ("Hypertension", "active", False, "HTN"),
                ("Diabetes Mellitus, Type 2", "active", False, "DMII"),
            ],
        ),
    ],
    ids=[
        "denies",
        "no-history-of-list-then-but",
        "history-of",
        "family-dropped",
        "resolved",
        "hypothetical-dropped",
        "free-phrase",
        "pseudo-negation",
    ],
)
def test_conditions_with_context(text: str, expected: list[tuple[str, str, bool, str]]) -> None:
    assert conditions(text) == expected


def treatments(text: str) -> list[tuple[str, str, bool, bool, str]]:
    return [
        (t.name, t.kind, t.current, t.negated, said(text, t.span))
        for t in profile_from_note(text).treatments
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Currently on metformin.", [("Metformin", "drug", True, False, "metformin")]),
        (
            "He is s/p kidney transplant in 2010.",
            [("Kidney transplantation", "procedure", False, False, "kidney transplant")],
        ),
        (
            "She received chemotherapy in 2019.",
            [("Chemotherapy", "therapy", False, False, "chemotherapy")],
        ),
        ("No prior chemotherapy.", [("Chemotherapy", "therapy", False, True, "chemotherapy")]),
        ("Will start insulin next week.", []),
        (
            "He is s/p left nephrectomy.",
            [("left nephrectomy", "procedure", False, False, "left nephrectomy")],
        ),
    ],
    ids=["on-drug", "s/p-transplant", "received", "negated", "planned-dropped", "free-s/p"],
)
def test_treatments(text: str, expected: list[tuple[str, str, bool, bool, str]]) -> None:
    assert treatments(text) == expected


def labs(text: str) -> list[tuple[str | None, float | None, str | None, str]]:
    return [
        (o.name, o.value, o.unit, said(text, o.span)) for o in profile_from_note(text).observations
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Creatinine 1.8 mg/dL.", [("creatinine", 1.8, "mg/dL", "Creatinine 1.8 mg/dL")]),
        ("Hb 9.2 g/dL today.", [("hemoglobin", 9.2, "g/dL", "Hb 9.2 g/dL")]),
        (
            "Platelets 85,000/mm3.",
            [("platelets", 85000.0, "1/mm**3", "Platelets 85,000/mm3")],
        ),
        (
            "BP 150/95.",
            [("sbp", 150.0, "mmHg", "BP 150/95"), ("dbp", 95.0, "mmHg", "BP 150/95")],
        ),
        ("Creatinine 88 umol/L.", [("creatinine", 88.0, "umol/L", "Creatinine 88 umol/L")]),
        ("Weight loss 20 pounds.", []),
    ],
    ids=["creatinine", "hb", "platelets", "bp", "molar", "weight-loss"],
)
def test_labs(text: str, expected: list[tuple[str, float, str, str]]) -> None:
    assert labs(text) == expected


def test_lab_keeps_loinc() -> None:
    assert profile_from_note("creatinine 0.5 mg/dL").observations == [
        Observation(
            loinc="2160-0",
            name="creatinine",
            value=0.5,
            unit="mg/dL",
            span=Span(0, 20),
            source="note",
        )
    ]


def test_scores() -> None:
    profile = profile_from_note("ECOG 1. KPS of 80. ECOG 9 is impossible.")
    assert [(s.name, s.value) for s in profile.scores] == [("ECOG", 1.0), ("Karnofsky", 80.0)]


@pytest.mark.parametrize(
    ("text", "pregnancy"),
    [
        ("A 30-year-old woman, 12 weeks pregnant.", "pregnant"),
        ("A 30-year-old woman, not pregnant.", "not_pregnant"),
        ("A 30-year-old woman. Urine pregnancy test was negative.", "not_pregnant"),
        ("A 30-year-old woman who is breastfeeding.", "breastfeeding"),
        ("A 30-year-old woman with a history of gestational diabetes.", None),
        ("A 30-year-old man; his wife is pregnant.", None),
    ],
    ids=["pregnant", "negated", "test-negative", "breastfeeding", "history-only", "male"],
)
def test_pregnancy(text: str, pregnancy: str | None) -> None:
    assert profile_from_note(text).pregnancy == pregnancy


def test_nine_year_old_boy() -> None:
    text = (
        "9 yo boy with steroid-resistant nephrotic syndrome, on tacrolimus. "
        "Creatinine 0.5 mg/dL, height 131 cm. No history of hypertension."
    )
    profile = profile_from_note(text)
    assert (profile.age_years, profile.sex) == (9.0, "male")
    assert profile.conditions == [
        Condition(
            text="Nephrotic Syndrome",
            span=Span(14, 50),
            source="note",
        ),
        Condition(text="Hypertension", negated=True, span=Span(118, 130), source="note"),
    ]
    assert [(o.name, o.value, o.unit) for o in profile.observations] == [
        ("creatinine", 0.5, "mg/dL"),
        ("height", 131.0, "cm"),
    ]
    assert [(t.name, t.current) for t in profile.treatments] == [("Tacrolimus", True)]
    assert profile.notes == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" \n", "The clinical note is empty; send the note's text"),
        ("x" * 200_001, "The clinical note has 200,001 characters; at most 200,000 are read"),
    ],
    ids=["empty", "too-long"],
)
def test_bad_note(text: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        profile_from_note(text)
    assert (raised.value.message, raised.value.parameter) == (message, "note")


def spans(profile: PatientProfile) -> list[Span]:
    facts = [*profile.conditions, *profile.observations, *profile.scores, *profile.treatments]
    out = [f.span for f in facts if f.span is not None]
    return out + [s for s in (profile.age_span, profile.sex_span) if s is not None]


NOTE_WORDS = st.sampled_from(
    [
        "no",
        "denies",
        "history of",
        "s/p",
        "on",
        "HTN",
        "CAD",
        "creatinine",
        "1.8",
        "mg/dL",
        "BP",
        "150/95",
        "58-year-old",
        "woman",
        "M",
        "48",
        "pregnant",
        "ECOG",
        "2",
        ".",
        ",",
        "\n",
        "without",
        "diagnosed with",
        "ç",
        "(",
        ")",
        "platelets",
        "85,000/mm3",
        "  ",
    ]
)
NOTES = st.one_of(
    st.text(min_size=1, max_size=300),
    st.lists(NOTE_WORDS, min_size=1, max_size=40).map(" ".join),
).filter(lambda text: bool(text.strip()))


@settings(max_examples=300, deadline=None)
@given(NOTES)
def test_spans_lie_inside_any_text(text: str) -> None:
    profile = profile_from_note(text)
    for span in spans(profile):
        assert 0 <= span.start < span.end <= len(text)


def test_all_trec_topics() -> None:
    """The 75 TREC 2021 topics all state age and sex; every one is read without error."""
    path = shared_data("trec2021", "topics.jsonl")
    topics = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    profiles = [profile_from_note(topic["text"]) for topic in topics]
    assert len(profiles) == 75
    assert sum(p.age_years is not None for p in profiles) == 75
    assert sum(p.sex is not None for p in profiles) == 75
