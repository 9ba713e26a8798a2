"""The parser's shortcuts give what the plain way gives: triggers read word by word, matches
tried only where their leading strings occur, words cut in one pass, headers pre-screened."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.criteria._extract import (
    NUMBER,
    _all_triggers,
    applicable,
    rules,
    runs,
    triggers_in,
    triggers_of,
)
from trialfinder.criteria._labs import _after_analyte
from trialfinder.criteria._regex_facts import leading_strings
from trialfinder.criteria.lexicon import comparator_regex, lab_index
from trialfinder.criteria.patterns import all_patterns
from trialfinder.criteria.splitter import _HEADER, _may_be_header
from trialfinder.criteria.tables import (
    Pattern,
    _comparator_guard,
    _number_guard,
    _prefix_finder,
    compile_pattern,
    finditer,
    search,
    templates,
    word_spans,
)

ROWS = all_patterns()
EXAMPLES = [text for row in ROWS for text in row.examples + row.non_examples]
# Every example in capitals and in title case too, one long text with all of them, and text
# the fast paths must leave to the plain ones (non-ASCII, a character that lower-cases longer).
TEXTS = (
    EXAMPLES
    + [t.upper() for t in EXAMPLES]
    + [t.title() for t in EXAMPLES]
    + [" ; ".join(EXAMPLES)]
    + ["İnclusion: age ≥ 18 years", "Patients aged ≥ 18 years, ECOG ≤ 2", "", "  - ", "_x_ y"]
)
UNSTARTED = [row for row in ROWS if not row.starts]


@pytest.mark.parametrize("row", UNSTARTED, ids=[r.name for r in UNSTARTED])
def test_leading_strings_find_what_a_full_scan_finds(row: Pattern) -> None:
    regex = compile_pattern(row)
    for text in TEXTS:
        expected = [m.span() for m in regex.finditer(text)]
        assert [m.span() for m in finditer(row, regex, text)] == expected, text
        first = search(row, regex, text)
        assert (first.span() if first else None) == (expected[0] if expected else None)


def _row(regex: str) -> Pattern:
    return Pattern(name="t", kind="qualifier", regex=regex, examples=("x",))


TRICKY = [
    r"\bable\s+to|(?-i:ICF)|[A-Z]x",  # a class of capitals matches lower case too
    r"(?:no|not)?\s*prior",  # may begin with nothing: no leading strings
    r"(?<!\w)(?:x{2,}|y)z",  # a look-behind, then a repeat
    r"(?:\d+|one)\s*(?:mg|g)",  # a class and a word
    r"[^a]bc",  # a negated class: left to the plain scan
    r"(?:ab|a)(?:c|)d",  # an empty alternative
    r"K",  # also matches the Kelvin sign, which is not ASCII
]


@pytest.mark.parametrize("regex", TRICKY)
@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="abcdxyzAKICFfno prt1 23\u212a\n", max_size=30))
def test_leading_strings_on_generated_text(regex: str, text: str) -> None:
    row = _row(regex)
    compiled = compile_pattern(row)
    assert [m.span() for m in finditer(row, compiled, text)] == [
        m.span() for m in compiled.finditer(text)
    ]


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"\bable\s+to", {"able"}),  # four characters at most
        (r"(?:ab|a)(?:c|)d", {"abcd", "abd", "acd", "ad"}),  # every path through the choices
        (r"x{2,}z", {"x"}),  # a repeat is read once, then the strings stop
        (r"K", {"k"}),  # lower-cased
        (r"(?:no|not)?\s*prior", None),  # may begin with a blank
        (r"\w+mab", None),  # may begin with any letter
    ],
)
def test_leading_strings_are_read_from_the_regex_tree(
    regex: str, expected: set[str] | None
) -> None:
    assert leading_strings(regex) == (None if expected is None else frozenset(expected))


def test_leading_strings_are_found_for_plain_rows_and_not_for_open_ones() -> None:
    assert _prefix_finder(r"\bable\s+to") is not None
    assert _prefix_finder(r"(?:no|not)?\s*prior") is None
    assert _prefix_finder(r"\w+mab") is None


PLACEHOLDER_TEXTS = [
    "ALT ≤ 2.5 x ULN and bilirubin below or equal to 1.5",
    "Hb does not fall below 9 g/dL; Age Equal To Or Above 18; GREATER THAN 50",
    "platelets at least 100 or ⩾ 75, creatinine =< 1.5 & AST ≧ 40, .5 mg",
    "Two or more, FIFTEEN years, one-third, twenty five, 1,500/µL, 10^-3, ٣ cycles, ſix",
]


@pytest.mark.parametrize("text", TEXTS[:400] + TEXTS[-5:] + PLACEHOLDER_TEXTS)
@pytest.mark.parametrize(
    ("guard", "body"),
    [(_comparator_guard, comparator_regex), (_number_guard, lambda: templates()["{NUM}"])],
    ids=["CMP", "NUM"],
)
def test_a_placeholder_guard_keeps_every_match(
    guard: Callable[[], str], body: Callable[[], str], text: str
) -> None:
    lookahead = guard()
    assert lookahead.startswith("(?i:(?=[")  # the shipped literals all begin with a set character
    unguarded = body().removeprefix(lookahead)
    for flags in (re.IGNORECASE, 0):  # a row may read a placeholder in a case-sensitive scope
        plain = re.compile("(?:" + unguarded + ")", flags)
        guarded = re.compile(lookahead + "(?:" + unguarded + ")", flags)
        for position in range(len(text) + 1):
            found, expected = guarded.match(text, position), plain.match(text, position)
            assert (found and found.span()) == (expected and expected.span()), (text, position)


@pytest.mark.parametrize("text", TEXTS[:400] + TEXTS[-5:])
def test_triggers_of_agrees_with_the_text_scan(text: str) -> None:
    assert triggers_of(text) == triggers_in(text.lower())


def test_triggers_of_finds_triggers_inside_words() -> None:
    assert {"mo", "month"} <= triggers_of("Six MONTHS") <= set(_all_triggers()) | {"{NUM}"}


@pytest.mark.parametrize("text", TEXTS[:200] + TEXTS[-5:] + ["ΣΑΣ x", "a\u0130b c", "é-ü ß"])
def test_word_spans_are_the_runs_of_word_characters(text: str) -> None:
    spans, words, lower, where, starts = word_spans(text)
    assert spans == [m.span() for m in re.finditer(r"\w+", text)]
    assert words == [lower[s:e] for s, e in spans]
    assert starts == [s for s, _ in spans]
    assert {w: [i for i, x in enumerate(words) if x == w] for w in words} == where


HEADERS = [
    "Inclusion Criteria:",
    "KEY EXCLUSION CRITERIA",
    "Eligibility: adults",
    "Non-inclusion criteria:",
    "Patient ineligibility (Parts 1 and 2):",
    "İnclusion criteria:",
    "Age 18 or older",
]


@pytest.mark.parametrize("line", HEADERS + EXAMPLES)
def test_header_screen_passes_every_line_the_header_regex_matches(line: str) -> None:
    assert _HEADER.match(line) is None or _may_be_header(line)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="inclusoexdgibtyr -:İı", max_size=24))
def test_header_screen_on_generated_lines(text: str) -> None:
    assert _HEADER.match(text) is None or _may_be_header(text)


LAB_ROWS = [row for row in ROWS if row.kind == "lab"]


@pytest.mark.parametrize("row", LAB_ROWS, ids=[r.name for r in LAB_ROWS])
def test_lab_rows_read_from_the_indexed_name_as_the_whole_regex_does(row: Pattern) -> None:
    """Where the whole row's regex takes the name the lab index finds, the row matched from
    that name's end reads the same value; the index alone picks the longest name."""
    whole = compile_pattern(row)
    from_name = dict(_after_analyte())[row]
    checked = 0
    for text in TEXTS:
        for start, end in lab_index().find(text):
            match = whole.match(text, start)
            if match is None or match.end("analyte") != end:
                continue
            read = from_name.match(text, end)
            assert read is not None, text
            named = [g for g in whole.groupindex if g != "analyte"]
            assert (read.end(), [read.group(g) for g in named]) == (
                match.end(),
                [match.group(g) for g in named],
            ), text
            checked += 1
    assert checked > 0


def test_the_lab_index_takes_the_longest_name_whatever_its_case() -> None:
    text = "serum FLC ratio < 0.26; FEV-1/FVC < 70%; CR after 2 lines; Cr ≤ 1.5 mg/dL"
    assert [text[s:e] for s, e in lab_index().find(text)] == [
        "serum FLC ratio",
        "FEV-1/FVC",
        "Cr",
    ]


KINDS = sorted({row.kind for row in ROWS})


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    triggers=st.sets(st.sampled_from([*_all_triggers(), NUMBER, "not a trigger"]), max_size=12),
)
def test_applicable_keeps_the_rows_runs_allows_in_table_order(
    kind: str, triggers: set[str]
) -> None:
    """The bit-mask gates give, row for row, what ``runs`` gives on each row in turn."""
    present = frozenset(triggers)
    expected = [row for row in rules(kind) if runs(row[0], present)]
    assert applicable(kind, present) == expected
    assert applicable(kind, present) == expected  # the kept list, a second time


def test_applicable_opens_a_row_by_any_of_its_triggers() -> None:
    for kind in KINDS:
        for pattern, regex in rules(kind):
            for trigger in pattern.trigger:
                assert (pattern, regex) in applicable(kind, frozenset({trigger, NUMBER}))
