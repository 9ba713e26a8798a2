"""Splitting criteria text into inclusion and exclusion lists with spans."""

from __future__ import annotations

from trialfinder.criteria.splitter import split_criteria

JSON_STYLE = """Inclusion Criteria:

* Age ≥18 years
* Previous treatment:

  1. gefitinib
  2. erlotinib
* ECOG 0-2

Exclusion Criteria:

* Pregnant or breastfeeding
"""

XML_STYLE = """
        -  INCLUSION CRITERIA:

          -  history within the last two years of at least six months with mood
             disturbances of at least moderate severity;

          -  age 18 to 50;

        Hepatic:

          -  Bilirubin less than 1.5 mg/dL
"""


def test_json_style_sections_and_nesting() -> None:
    lists = split_criteria(JSON_STYLE)
    assert [(c.text, c.depth, c.parent) for c in lists.inclusion] == [
        ("Age ≥18 years", 0, None),
        ("Previous treatment:", 0, None),
        ("gefitinib", 1, 1),
        ("erlotinib", 1, 1),
        ("ECOG 0-2", 0, None),
    ]
    assert [c.text for c in lists.exclusion] == ["Pregnant or breastfeeding"]


def test_spans_point_into_the_source() -> None:
    lists = split_criteria(JSON_STYLE)
    for criterion in lists.inclusion + lists.exclusion:
        assert JSON_STYLE[criterion.start : criterion.end] == criterion.text


def test_xml_style_wrapped_lines_and_headings() -> None:
    lists = split_criteria(XML_STYLE)
    assert [(c.display, c.depth, c.parent) for c in lists.inclusion] == [
        (
            "history within the last two years of at least six months with mood "
            "disturbances of at least moderate severity;",
            0,
            None,
        ),
        ("age 18 to 50;", 0, None),
        ("Hepatic:", 0, None),
        ("Bilirubin less than 1.5 mg/dL", 1, 2),
    ]
    assert lists.exclusion == []


def test_no_header_is_inclusion() -> None:
    lists = split_criteria("Patients must be 18 or older.\nMust sign consent.")
    assert [c.text for c in lists.inclusion] == [
        "Patients must be 18 or older.",
        "Must sign consent.",
    ]


def test_header_variants() -> None:
    text = "KEY INCLUSION CRITERIA\n- adults\nExclusion:\n- children\nInclusion criteria: a. women"
    lists = split_criteria(text)
    assert [c.text for c in lists.inclusion] == ["adults", "women"]
    assert [c.text for c in lists.exclusion] == ["children"]
