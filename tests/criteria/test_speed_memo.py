"""The repeat memo gives what a fresh reading gives, never shares a mutable list, stays within
its size, and keeps nothing the cyclic garbage collector has to walk."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import msgspec
import pytest

from trialfinder.criteria import parser
from trialfinder.criteria.constraints import Constraint
from trialfinder.criteria.parser import parse_criteria, parse_criterion
from trialfinder.criteria.patterns import all_patterns
from trialfinder.criteria.reading import decode_reading

EXAMPLES = sorted({text for row in all_patterns() for text in row.examples + row.non_examples})
TRIAL = """Inclusion Criteria:
- Age 18 to 75 years
- Cardiac allograft dysfunction (CAD) confirmed by biopsy
- Pregnant or breastfeeding women
Exclusion Criteria:
- Known CAD
- Pregnant or breastfeeding women
- Hemoglobin < 9 g/dL
"""


@pytest.fixture
def memo() -> Iterator[parser._Memo]:
    """The parser's memo, emptied before and after the test, with its size restored."""
    size = parser.MEMO.size
    parser.MEMO.clear()
    yield parser.MEMO
    parser.MEMO.clear()
    parser.MEMO.size = size


def _fresh(text: str, mesh_terms: tuple[str, ...] = ()) -> list[Constraint]:
    """Return the reading of ``text`` with the memo off."""
    size = parser.MEMO.size
    parser.MEMO.size = 0
    try:
        return parse_criterion(text, mesh_terms=mesh_terms)
    finally:
        parser.MEMO.size = size


def test_a_repeat_reads_as_a_fresh_parse(memo: parser._Memo) -> None:
    for text in EXAMPLES:
        first = parse_criterion(text)
        assert parse_criterion(text) == first == _fresh(text), text
    mesh = ("Syndrome, Zebra-Stripe", "Breast Neoplasms")  # the first is no shipped condition
    text = "History of zebra-stripe syndrome or breast cancer"
    assert parse_criterion(text, mesh_terms=mesh) == _fresh(text, mesh)
    assert parse_criterion(text) == _fresh(text)  # the MeSH mentions are part of the key
    assert parse_criterion(text, mesh_terms=mesh) != parse_criterion(text)


def test_a_trials_short_forms_are_part_of_the_key(memo: parser._Memo) -> None:
    """The short form "CAD" is a cardiac allograft dysfunction in TRIAL, coronary artery disease
    elsewhere: no reading is reused across the two."""
    alone = parse_criterion("Known CAD")
    in_trial = parse_criteria(TRIAL).exclusion[0].constraints
    assert in_trial != alone
    assert parse_criterion("Known CAD") == alone == _fresh("Known CAD")
    assert parse_criteria(TRIAL).exclusion[0].constraints == in_trial


def test_a_repeat_gets_its_own_list(memo: parser._Memo) -> None:
    first = parse_criterion("Pregnant or breastfeeding women")
    first.clear()
    again = parse_criterion("Pregnant or breastfeeding women")
    assert again and again is not first
    assert again == _fresh("Pregnant or breastfeeding women")
    parsed = parse_criteria(TRIAL)
    repeated = [c.constraints for c in parsed.inclusion + parsed.exclusion if "Pregnant" in c.text]
    assert len(repeated) == 2 and repeated[0] is not repeated[1]


def test_the_memo_keeps_at_most_its_size_dropping_the_oldest(memo: parser._Memo) -> None:
    memo.size = 3
    texts = ["Age over 18 years", "No diabetes", "ECOG 0-1", "Hemoglobin > 9 g/dL"]
    for text in texts:
        parse_criterion(text)
    assert len(memo.items) == 3
    assert [key[0] for key in memo.items] == texts[1:]
    memo.size = 0
    parse_criterion("Signed informed consent")
    assert len(memo.items) == 3  # size 0: nothing is kept


def test_the_memo_counts_its_hits(memo: parser._Memo) -> None:
    parsed = parse_criteria(TRIAL)
    assert memo.hits == 1  # "Pregnant or breastfeeding women", read once
    assert len(memo.items) == len(parsed.inclusion) + len(parsed.exclusion) - 1
    memo.clear()
    assert memo.hits == 0 and not memo.items


def _immutable(value: object) -> bool:
    """Return True when ``value`` holds only numbers, strings, tuples and such structs."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    if isinstance(value, msgspec.Struct):
        return all(_immutable(getattr(value, f)) for f in value.__struct_fields__)
    return False


def test_readings_hold_nothing_mutable_and_are_not_tracked_by_the_collector(
    memo: parser._Memo,
) -> None:
    """Constraints cannot form a cycle, so they are left out of the collector (``gc=False``);
    the memo keeps them in tuples, which the collector stops tracking too."""
    for text in EXAMPLES:
        for constraint in parse_criterion(text):
            assert _immutable(constraint), constraint
            assert not gc.is_tracked(constraint), constraint
            window = getattr(constraint, "window", None)
            assert window is None or not gc.is_tracked(window)
            bounds = getattr(constraint, "bounds", None)
            assert bounds is None or not gc.is_tracked(bounds)
    gc.collect()
    tracked = [value for value in memo.items.values() if gc.is_tracked(value)]
    assert not tracked


def test_the_mesh_matchers_kept_are_bounded() -> None:
    """An ingest sees a new MeSH list with nearly every trial: only the last few are kept."""
    maxsize = parser._mesh_index.cache_info().maxsize
    assert maxsize is not None and maxsize <= 1024


def test_decoded_readings_are_not_tracked_by_the_collector() -> None:
    """A match decodes the stored readings of many trials and keeps them: their constraints
    stay out of the collector's passes too, and read back equal."""
    parsed = parse_criteria(TRIAL)
    decoded = decode_reading(msgspec.json.encode(parsed))
    assert decoded == parsed
    constraints = [c for item in decoded.inclusion + decoded.exclusion for c in item.constraints]
    assert constraints and not any(gc.is_tracked(c) for c in constraints)
