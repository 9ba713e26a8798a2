"""Criteria highlights: the segment cutter, a criterion's segments, and the trial page's marks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from trialfinder.api import create_app
from trialfinder.criteria import parse_criteria
from trialfinder.criteria.constraints import NotCheckable, ParsedCriteria, ParsedCriterion
from trialfinder.criteria.reading import ENGINE_VERSION
from trialfinder.model import Trial
from trialfinder.store import Store, open_store
from trialfinder.store.base import StoredCriteria, StoredRecord
from trialfinder.web._highlight import Segment, Span, criterion_segments, split_segments

NCT = "NCT99999990"
HOSTILE = "<script>alert('x')</script>"
CRITERIA = f"""Inclusion Criteria:

* Age \\>= 6 years and < 18 years
* ECOG performance status 0-2
* Weight {HOSTILE} over 20 kg & "well"
* Signed informed consent

Exclusion Criteria:

* Prior rituximab within 6 months
"""


def _span(start: int, end: int, kind: str = "age", label: str = "") -> Span:
    return Span(start, end, kind, label or kind)


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("", [], []),
        ("", [_span(0, 1)], []),
        ("plain", [], [Segment("plain")]),
        ("Age 18", [_span(0, 6)], [Segment("Age 18", "age", "age")]),
        (
            "a ECOG 2 b",
            [_span(2, 8, "score")],
            [Segment("a "), Segment("ECOG 2", "score", "score"), Segment(" b")],
        ),
        (
            "abcdef",
            [_span(-1, 3), _span(4, 7), _span(3, 3), _span(5, 2)],
            [Segment("abcdef")],
        ),
        (
            "abcdef",
            [_span(0, 6, "condition", "outer"), _span(2, 4, "window", "inner")],
            [
                Segment("ab", "condition", "outer"),
                Segment("cd", "window", "outer; inner"),
                Segment("ef", "condition", "outer"),
            ],
        ),
        (
            "abcdef",
            [_span(0, 4, "age", "A"), _span(2, 6, "score", "S")],
            [
                Segment("ab", "age", "A"),
                Segment("cd", "age", "A; S"),
                Segment("ef", "score", "S"),
            ],
        ),
        (
            "abcd",
            [_span(0, 4, "score", "S"), _span(0, 4, "age", "A")],
            [Segment("abcd", "score", "S; A")],
        ),
        (
            "abcd",
            [_span(0, 2, "age", "A"), _span(2, 4, "age", "A")],
            [Segment("ab", "age", "A"), Segment("cd", "age", "A")],
        ),
        (
            "x <b>&</b>",
            [_span(2, 5, "sex")],
            [Segment("x "), Segment("<b>", "sex", "sex"), Segment("&</b>")],
        ),
    ],
    ids=[
        "empty",
        "empty-with-span",
        "no-spans",
        "whole",
        "middle",
        "out-of-range-and-empty-ignored",
        "nested",
        "overlapping",
        "same-span-twice",
        "adjacent-kept-apart",
        "html-characters-kept-as-text",
    ],
)
def test_split_segments(text: str, spans: list[Span], expected: list[Segment]) -> None:
    assert split_segments(text, spans) == expected


@given(
    st.text(max_size=30),
    st.lists(st.tuples(st.integers(-5, 35), st.integers(-5, 35)), max_size=6),
)
def test_segments_join_to_the_text_and_stay_inside_spans(
    text: str, bounds: list[tuple[int, int]]
) -> None:
    spans = [_span(a, b, "age", f"s{i}") for i, (a, b) in enumerate(bounds)]
    segments = split_segments(text, spans)
    assert "".join(s.text for s in segments) == text
    assert all(s.text for s in segments)
    at = 0
    for segment in segments:
        end = at + len(segment.text)
        covering = [s.label for s in spans if 0 <= s.start <= at and end <= s.end <= len(text)]
        outermost_first = sorted(
            covering, key=lambda n: (spans[int(n[1:])].start, -spans[int(n[1:])].end, int(n[1:]))
        )
        assert segment.label == "; ".join(outermost_first)
        at = end


def _first(text: str) -> ParsedCriterion:
    return parse_criteria(f"Inclusion Criteria:\n\n* {text}\n").inclusion[0]


def test_criterion_segments_follow_the_shown_text() -> None:
    # Markdown escapes blanked and wrapped lines joined, as the page shows the criterion.
    criterion = _first("Age \\>= 6 years\n    and < 18 years, ECOG 0-2")
    assert criterion_segments(criterion, "inclusion") == [
        Segment("Age >= 6 years and < 18 years", "age", "age ≥ 6 and < 18 years"),
        Segment(", "),
        Segment("ECOG 0-2", "score", "ECOG ≤ 2"),
    ]


def test_criterion_segments_name_the_role_and_the_window() -> None:
    criterion = parse_criteria(
        "Exclusion Criteria:\n\n* Prior rituximab within 6 months\n"
    ).exclusion[0]
    assert criterion_segments(criterion, "exclusion") == [
        Segment("Prior "),
        Segment(
            "rituximab",
            "treatment",
            "treatment: Rituximab (excluded, history, within 6 months)",
        ),
        Segment(" "),
        Segment("within 6 months", "window", "time: within 6 months"),
    ]


def test_criterion_segments_ignore_spans_outside_the_text() -> None:
    criterion = ParsedCriterion(
        text="Signed consent",
        start=0,
        end=14,
        depth=0,
        parent=None,
        constraints=[
            NotCheckable(span=(7, 14), confidence=0.9, rule="consent", reason="consent"),
            NotCheckable(span=(7, 99), confidence=0.9, rule="consent", reason="consent"),
        ],
    )
    assert criterion_segments(criterion, "inclusion") == [
        Segment("Signed "),
        Segment("consent", "not-checkable", "not checkable: consent"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store holding one hand-written trial with age, ECOG and markup in its criteria."""
    trial = Trial(nct_id=NCT, brief_title="Highlights", eligibility_criteria=CRITERIA)
    opened = open_store(str(tmp_path / "h.db"))
    opened.write_batch([StoredRecord.of(trial, b"{}", "json", "test", "1")], [])
    yield opened
    opened.close()


def _client(store: Store) -> TestClient:
    return TestClient(create_app(store=store))


def _criteria(client: TestClient) -> lxml.html.HtmlElement:
    response = client.get(f"/trials/{NCT}")
    assert response.status_code == 200, response.text[:300]
    assert "<script>alert" not in response.text
    return lxml.html.fromstring(response.text).xpath("//section[@id='eligibility']")[0]


def test_trial_page_marks_what_was_read(store: Store) -> None:
    with _client(store) as client:
        section = _criteria(client)
    inclusion = section.xpath(".//h3[@id='inclusion-criteria']/following-sibling::ul[1]")[0]
    marks = [(m.get("class"), m.get("title"), m.text) for m in inclusion.xpath(".//mark")]
    assert marks == [
        ("c-age", "age ≥ 6 and < 18 years", "Age >= 6 years and < 18 years"),
        ("c-score", "ECOG ≤ 2", "ECOG performance status 0-2"),
        ("c-not-checkable", "not checkable: consent", "Signed informed consent"),
    ]
    age = section.xpath(".//mark[@class='c-age']/span[@class='visually-hidden']")[0]
    assert age.text == " (read as: age ≥ 6 and < 18 years)"
    weight = inclusion.xpath("./li")[2]
    assert weight.text == f'Weight {HOSTILE} over 20 kg & "well" '
    assert [s.text for s in weight.xpath("./span[@class='not-read']")] == ["not read"]
    legend = [s.text for s in section.xpath(".//div[@class='criteria-legend']//span")]
    assert legend == [
        "Age",
        "Score",
        "Treatment",
        "Time window",
        "Not checkable from a record",
        "not read",
    ]


def test_json_twin_carries_the_segments(store: Store) -> None:
    with _client(store) as client:
        data = client.get(f"/trials/{NCT}?format=json").json()
    weight, consent = data["inclusion"][2:]
    assert weight == {
        "text": f'Weight {HOSTILE} over 20 kg & "well"',
        "segments": [{"text": f'Weight {HOSTILE} over 20 kg & "well"', "kind": "", "label": ""}],
        "reading": "unread",
        "children": [],
    }
    assert consent["segments"] == [
        {
            "text": "Signed informed consent",
            "kind": "not-checkable",
            "label": "not checkable: consent",
        }
    ]
    assert data["legend"][0] == ["age", "Age"]


def test_stored_reading_is_shown_and_unmatched_items_stay_plain(store: Store) -> None:
    # A current stored reading is used as it is; an item it does not have is shown plain.
    read = parse_criteria(CRITERIA)
    only_ecog = ParsedCriteria(inclusion=read.inclusion[1:2], exclusion=[])
    data = msgspec.json.encode(only_ecog)
    store.save_criteria([StoredCriteria(NCT, ENGINE_VERSION, None, None, 2.0, None, data)])
    with _client(store) as client:
        data_json = client.get(f"/trials/{NCT}?format=json").json()
        section = _criteria(client)
    assert [node["reading"] for node in data_json["inclusion"]] == [
        "absent",
        "read",
        "absent",
        "absent",
    ]
    assert [m.get("class") for m in section.xpath(".//mark")] == ["c-score"]
    assert section.xpath(".//ul[@class='criteria']//span[@class='not-read']") == []
