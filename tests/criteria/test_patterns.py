"""Every rule row against its own examples and non-examples, and the loader's checks."""

from __future__ import annotations

import pytest

from trialfinder.criteria._extract import NUMBER, _all_triggers, triggers_in
from trialfinder.criteria.lexicon import (
    comparator_op,
    lab_of,
    parse_number,
    score_of,
    unit_of,
)
from trialfinder.criteria.patterns import all_patterns
from trialfinder.criteria.tables import (
    Pattern,
    TableError,
    check_tables,
    compile_pattern,
    finditer,
    has_number,
    read_tsv,
)

ROWS = all_patterns()
EXAMPLES = [(row, text) for row in ROWS for text in row.examples]
NON_EXAMPLES = [(row, text) for row in ROWS for text in row.non_examples]


@pytest.mark.parametrize(("row", "text"), EXAMPLES, ids=[f"{r.name}-{t}" for r, t in EXAMPLES])
def test_pattern(row: Pattern, text: str) -> None:
    assert compile_pattern(row).search(text) is not None


@pytest.mark.parametrize(
    ("row", "text"), NON_EXAMPLES, ids=[f"{r.name}-{t}" for r, t in NON_EXAMPLES]
)
def test_pattern_non_example(row: Pattern, text: str) -> None:
    assert compile_pattern(row).search(text) is None


STARTED = [(row, text) for row in ROWS if row.starts for text in row.examples + row.non_examples]


@pytest.mark.parametrize(("row", "text"), STARTED, ids=[f"{r.name}-{t}" for r, t in STARTED])
def test_starts_find_what_a_full_scan_finds(row: Pattern, text: str) -> None:
    regex = compile_pattern(row)
    assert [m.span() for m in finditer(row, regex, text)] == [
        m.span() for m in regex.finditer(text)
    ]


NUMBERED = [(row, text) for row in ROWS if row.needs_number for text in row.non_examples]


@pytest.mark.parametrize(("row", "text"), NUMBERED, ids=[f"{r.name}-{t}" for r, t in NUMBERED])
def test_needs_number_rows_do_not_match_without_one(row: Pattern, text: str) -> None:
    """A row marked ``needs_number`` finds nothing once the numbers are taken out."""
    stripped = "".join(c for c in text if not c.isdigit())
    assert has_number(stripped.lower()) or compile_pattern(row).search(stripped) is None


@pytest.mark.parametrize(("row", "text"), EXAMPLES, ids=[f"{r.name}-{t}" for r, t in EXAMPLES])
def test_triggers_in_finds_every_trigger(row: Pattern, text: str) -> None:
    """The one-pass trigger scan agrees with a substring test per trigger."""
    lower = text.lower()
    expected = {t for t in _all_triggers() if t in lower} | (
        {NUMBER} if has_number(lower) else set()
    )
    assert triggers_in(lower) == expected


def test_number_word_inside_a_word_counts_as_a_number() -> None:
    """``{NUM}`` matches "one" at the end of "someone", so the gate must let it through."""
    assert (triggers_in("someone aged"), triggers_in("no digits here")) == (
        frozenset({"age", NUMBER}),
        frozenset({"no"}),
    )


def test_every_row_has_a_non_example() -> None:
    assert [row.name for row in ROWS if not row.non_examples] == []


def _row(**overrides: object) -> Pattern:
    fields: dict[str, object] = {
        "name": "r",
        "kind": "age",
        "regex": "age",
        "examples": ("age",),
    }
    fields.update(overrides)
    return Pattern.from_dict(fields)


def test_loader_rejects_duplicate_names() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(), _row())])
    assert error.value.args[0] == "Pattern name 'r' is used twice; names must be unique"


def test_loader_rejects_bad_regex() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(regex="(age"),)])
    assert error.value.args[0].startswith("Pattern 'r': regex does not compile: ")


def test_loader_rejects_unknown_kind() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(kind="colour"),)])
    assert error.value.args[0].startswith("Pattern 'r' has kind 'colour'; expected one of [")


def test_loader_rejects_unknown_field() -> None:
    with pytest.raises(TableError) as error:
        _row(colour="red")
    assert error.value.args[0] == (
        "Pattern 'r' has unknown field(s) ['colour']; allowed fields are "
        "['name', 'kind', 'regex', 'examples', 'non_examples', 'label', 'confidence', 'trigger', "
        "'needs_number', 'starts']"
    )


def test_loader_rejects_example_without_trigger() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(trigger=("year",)),)])
    assert error.value.args[0] == (
        "Pattern 'r': example 'age' contains none of its triggers ['year']"
    )


def test_loader_rejects_needs_number_without_num() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(needs_number=True),)])
    assert error.value.args[0] == "Pattern 'r' needs_number but has no {NUM} in its regex"


def test_loader_rejects_example_without_number() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(regex="age {NUM}|age", needs_number=True),)])
    assert error.value.args[0] == (
        "Pattern 'r': example 'age' has no number but the row needs_number"
    )


def test_loader_rejects_example_outside_starts() -> None:
    with pytest.raises(TableError) as error:
        check_tables([(_row(regex="age", examples=("stage",), starts=("age",)),)])
    assert error.value.args[0] == (
        "Pattern 'r': example 'stage' matches at 'age', which is not one of its starts ['age']"
    )


def test_vocab_rejects_wrong_columns() -> None:
    with pytest.raises(TableError) as error:
        read_tsv("numbers.tsv", ("word", "number"))
    assert error.value.args[0] == (
        "vocab/numbers.tsv: columns ['word', 'value'] should be ['word', 'number']; "
        "unknown ['value']"
    )


@pytest.mark.parametrize(
    ("text", "op"),
    [("≥", "ge"), ("at least", "ge"), ("no more than", "le"), ("<", "lt"), ("above", "gt")],
)
def test_comparator_op(text: str, op: str) -> None:
    assert comparator_op(text) == op


@pytest.mark.parametrize(
    ("text", "value"), [("1,500", 1500.0), ("1.5", 1.5), ("1,5", 1.5), ("five", 5.0)]
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("ml/(min.1.73m2)", "ml_min_173"),
        ("mL/min/1.73 m²", "ml_min_173"),
        ("x 10^9/L", "giga_per_liter"),
        ("/mm³", "1/mm**3"),
        ("/µL", "1/mm**3"),
        ("g/dl", "g/dL"),
        ("µmol/L", "umol/L"),
    ],
)
def test_unit_of(text: str, unit: str) -> None:
    assert unit_of(text) == unit


@pytest.mark.parametrize(
    ("text", "name"), [("Hgb", "hemoglobin"), ("SGPT", "alt"), ("eGFR", "egfr")]
)
def test_lab_of(text: str, name: str) -> None:
    lab = lab_of(text)
    assert lab is not None
    assert lab.name == name


@pytest.mark.parametrize(("text", "name"), [("KPS", "Karnofsky"), ("Zubrod", "ECOG")])
def test_score_of(text: str, name: str) -> None:
    score = score_of(text)
    assert score is not None
    assert score.name == name
