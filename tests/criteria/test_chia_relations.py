"""Chia relation-level scoring on a hand-made brat pair with CRLF line ends, counted by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialfinder.criteria.chia import evaluate_relations

LINES = (
    "Creatinine < 2 mg/dL and bilirubin < 1.5 mg/dL",
    "Chemotherapy within 4 weeks or radiotherapy within 2 weeks",
    "No history of stroke",
    "18 years of age or older",
    "Myocardial infarction within 6 months",
    "No diabetes",
    "Age 18 years or older",
)
TEXT = "".join(line + "\r\n" for line in LINES)


def at(line: int, phrase: str, nth: int = 0) -> str:
    """Return "start end" of the ``nth`` ``phrase`` on ``line`` (0-based) in ``TEXT``."""
    line_start = sum(len(text) + 2 for text in LINES[:line])
    start = -1
    for _ in range(nth + 1):
        start = LINES[line].index(phrase, start + 1)
    return f"{line_start + start} {line_start + start + len(phrase)}"


# Line 5 ("No diabetes") has no Chia entity: our negated diabetes there is not counted.
ANN = "".join(
    f"{line}\n"
    for line in (
        f"T1\tMeasurement {at(0, 'Creatinine')}\tCreatinine",
        f"T2\tValue {at(0, '< 2')}\t< 2",
        f"T3\tMeasurement {at(0, 'bilirubin')}\tbilirubin",
        "R1\tHas_value Arg1:T1 Arg2:T2\t",
        # Mis-joined on purpose: bilirubin with creatinine's value.
        "R2\tHas_value Arg1:T3 Arg2:T2\t",
        f"T4\tDrug {at(1, 'Chemotherapy')}\tChemotherapy",
        f"T5\tProcedure {at(1, 'radiotherapy')}\tradiotherapy",
        f"T6\tTemporal {at(1, 'within 2 weeks')}\twithin 2 weeks",
        # Mis-joined on purpose: chemotherapy with radiotherapy's window.
        "R3\tHas_temporal Arg1:T4 Arg2:T6\t",
        "R4\tHas_temporal Arg1:T5 Arg2:T6\t",
        f"T7\tNegation {at(2, 'No')}\tNo",
        f"T8\tCondition {at(2, 'stroke')}\tstroke",
        f"T9\tTemporal {at(2, 'history')}\thistory",
        "R5\tHas_negation Arg1:T8 Arg2:T7\t",
        "R6\tHas_temporal Arg1:T8 Arg2:T9\t",
        f"T10\tPerson {at(3, 'age')}\tage",
        f"T11\tValue {at(3, '18 years of age or older')}\t18 years of age or older",
        "R7\tHas_value Arg1:T10 Arg2:T11\t",
        f"T12\tCondition {at(4, 'Myocardial infarction')}\tMyocardial infarction",
        f"T13\tTemporal {at(4, 'within 6 months')}\twithin 6 months",
        "R8\tHas_temporal Arg1:T12 Arg2:T13\t",
        f"T14\tPerson {at(6, 'Age')}\tAge",
        f"T15\tValue {at(6, '18 years or older')}\t18 years or older",
        "R9\tHas_value Arg1:T14 Arg2:T15\t",
    )
)

# (gold, predicted, strict found, lenient found, strict correct, lenient correct)
EXPECTED = {
    # Our "Creatinine < 2 mg/dL" overlaps both arguments of R1 but is wider than their hull;
    # our bilirubin measurement does not reach creatinine's value, so R2 is not found.
    "Measurement-value": (2, 2, 0, 1, 0, 1),
    "Measurement-value (lab or score)": (2, 2, 0, 1, 0, 1),
    # "18 years of age or older" is the hull of R7; "18 years or older" misses R9's "Age".
    "Person-value (age)": (2, 2, 1, 1, 1, 1),
    "Condition-negation": (1, 1, 1, 1, 1, 1),
    "Drug/Procedure-negation": (0, 0, 0, 0, 0, 0),
    # Our chemotherapy keeps "within 4 weeks", not R3's "within 2 weeks".
    "Drug/Procedure-temporal": (2, 2, 1, 1, 1, 1),
    "Drug/Procedure-temporal (numeric)": (2, 2, 1, 1, 1, 1),
    # R6's "history" has no window of ours; the numeric kind leaves it out.
    "Condition-temporal": (2, 1, 1, 1, 1, 1),
    "Condition-temporal (numeric)": (1, 1, 1, 1, 1, 1),
}


@pytest.fixture(scope="module")
def relation_scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, ...]]:
    folder: Path = tmp_path_factory.mktemp("chia")
    (folder / "NCT00000002_exc.txt").write_bytes(TEXT.encode("utf-8"))
    (folder / "NCT00000002_exc.ann").write_text(ANN, encoding="utf-8")
    return {
        name: (
            s.gold,
            s.predicted,
            s.strict_found,
            s.lenient_found,
            s.strict_correct,
            s.lenient_correct,
        )
        for name, s in evaluate_relations(folder).items()
    }


def test_fixture_offsets_name_their_text() -> None:
    entities = [line.split("\t") for line in ANN.splitlines() if line.startswith("T")]
    texts = [TEXT[int(s.split()[1]) : int(s.split()[2])] for _, s, _ in entities]
    assert texts == [text for _, _, text in entities]


@pytest.mark.parametrize("kind", EXPECTED, ids=list(EXPECTED))
def test_relation_counts(relation_scores: dict[str, tuple[int, ...]], kind: str) -> None:
    assert relation_scores[kind] == EXPECTED[kind]


def test_every_relation_kind_is_counted(relation_scores: dict[str, tuple[int, ...]]) -> None:
    assert sorted(relation_scores) == sorted(EXPECTED)
