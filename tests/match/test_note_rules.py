"""Every note rule on its own examples and non-examples, and the table checks."""

from __future__ import annotations

import pytest

from trialfinder.criteria.tables import TableError
from trialfinder.match import note_rules
from trialfinder.match.note import find_cues
from trialfinder.match.note_rules import (
    CONTEXT_RULES,
    NOTE_RULES,
    ContextRule,
    NoteRule,
    compile_rule,
)

EXAMPLES = [(r, e) for r in NOTE_RULES for e in r.examples]
NON_EXAMPLES = [(r, e) for r in NOTE_RULES for e in r.non_examples]
CUE_EXAMPLES = [(r, e) for r in CONTEXT_RULES for e in r.examples]
CUE_NON_EXAMPLES = [(r, e) for r in CONTEXT_RULES for e in r.non_examples]


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r.name}-{e}" for r, e in EXAMPLES])
def test_note_rule_example(rule: NoteRule, text: str) -> None:
    assert compile_rule(rule.regex).search(text) is not None


@pytest.mark.parametrize(
    ("rule", "text"), NON_EXAMPLES, ids=[f"{r.name}-{e}" for r, e in NON_EXAMPLES]
)
def test_note_rule_non_example(rule: NoteRule, text: str) -> None:
    assert compile_rule(rule.regex).search(text) is None


@pytest.mark.parametrize(
    ("rule", "text"), CUE_EXAMPLES, ids=[f"{r.name}-{e}" for r, e in CUE_EXAMPLES]
)
def test_context_rule_example(rule: ContextRule, text: str) -> None:
    """The example's cue is found and, after overlaps are resolved, it is this rule's."""
    assert rule.name in [cue.rule.name for cue in find_cues(text)]


@pytest.mark.parametrize(
    ("rule", "text"), CUE_NON_EXAMPLES, ids=[f"{r.name}-{e}" for r, e in CUE_NON_EXAMPLES]
)
def test_context_rule_non_example(rule: ContextRule, text: str) -> None:
    assert rule.name not in [cue.rule.name for cue in find_cues(text)]


def test_tables_pass_their_checks() -> None:
    note_rules.check_rules()
    names = [r.name for r in (*NOTE_RULES, *CONTEXT_RULES)]
    assert len(names) == len(set(names))


def test_duplicate_name_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(note_rules, "NOTE_RULES", (*NOTE_RULES, NOTE_RULES[0]))
    with pytest.raises(TableError) as raised:
        note_rules.check_rules()
    assert raised.value.args[0] == (
        "Note rule name 'age_year_old' is used twice; names must be unique"
    )


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(TableError) as raised:
        ContextRule.from_dict({"name": "x", "literal": "no", "scope": 3})
    assert raised.value.args[0] == (
        "ContextRule 'x' has unknown field(s) ['scope']; allowed fields are "
        "['name', 'literal', 'category', 'direction', 'examples', 'non_examples', 'max_scope']"
    )


def test_from_dict_builds_a_row() -> None:
    row = NoteRule.from_dict({"name": "n", "kind": "age", "regex": "x", "examples": ("x",)})
    assert row == NoteRule(name="n", kind="age", regex="x", examples=("x",))


def test_vocabularies_load() -> None:
    concepts = {t.concept for t in note_rules.note_conditions()}
    assert {"Hypertension", "Hyperlipidemias", "Nephrotic Syndrome"} <= concepts
    treatments = {t.concept: t.group for t in note_rules.note_treatments()}
    assert treatments["Furosemide"] == "diuretic"
    assert treatments["Kidney transplantation"] == "transplantation"
