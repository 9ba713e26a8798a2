"""Rule rows for reading clinical notes: each row is named and carries its own examples.

``NOTE_RULES`` find facts (age, sex, labs, scores, pregnancy, free condition and procedure
phrases); ``CONTEXT_RULES`` are ConText cues (Harkema et al. 2009, in the row shape of medspaCy's
``context_rules.json``) that negate a fact, date it to the past, give it to a relative or mark a
drug as current. Placeholders ``{LAB}``, ``{UNIT}``, ``{SCORE}``, ``{NUM}`` and ``{PHRASE}``
expand from the criteria word lists. ``tests/match/test_note_rules.py`` runs every example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

from trialfinder.criteria import lexicon
from trialfinder.criteria.lexicon import Term
from trialfinder.criteria.tables import TableError

__all__ = [
    "CATEGORIES",
    "CONTEXT_RULES",
    "ContextRule",
    "NOTE_KINDS",
    "NOTE_RULES",
    "NoteRule",
    "compile_rule",
    "note_conditions",
    "note_treatments",
]

NOTE_KINDS = frozenset(
    {"age", "sex", "sex_pronoun", "condition_phrase", "procedure_phrase", "lab", "blood_pressure"}
    | {"score", "pregnancy"}
)
CATEGORIES = frozenset(
    {"NEGATED_EXISTENCE", "HISTORICAL", "RESOLVED", "CURRENT", "FAMILY", "HYPOTHETICAL"}
    | {"PSEUDO", "TERMINATE"}
)
DIRECTIONS = frozenset({"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"})


@dataclass(frozen=True, slots=True)
class NoteRule:
    """A pattern that finds one kind of fact; ``label`` is the value it asserts (e.g. "female").

    ``lead_only`` rules count only in the opening 60 characters, where notes state age and sex
    in shorthand ("48 M with ...").
    """

    name: str
    kind: str
    regex: str
    examples: tuple[str, ...]
    non_examples: tuple[str, ...] = ()
    label: str = ""
    lead_only: bool = False

    @classmethod
    def from_dict(cls, row: dict[str, object]) -> NoteRule:
        """Build a row from a mapping, rejecting keys that are not fields."""
        _check_keys(cls.__name__, row, [f.name for f in fields(cls)])
        return cls(**row)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ContextRule:
    """A ConText cue: ``literal`` is a regex; ``max_scope`` counts words from the cue."""

    name: str
    literal: str
    category: str
    direction: str
    examples: tuple[str, ...]
    non_examples: tuple[str, ...] = ()
    max_scope: int = 12

    @classmethod
    def from_dict(cls, row: dict[str, object]) -> ContextRule:
        """Build a row from a mapping, rejecting keys that are not fields."""
        _check_keys(cls.__name__, row, [f.name for f in fields(cls)])
        return cls(**row)  # type: ignore[arg-type]


def _check_keys(kind: str, row: dict[str, object], allowed: list[str]) -> None:
    unknown = sorted(set(row) - set(allowed))
    if unknown:
        raise TableError(
            f"{kind} {row.get('name')!r} has unknown field(s) {unknown}; "
            f"allowed fields are {allowed}"
        )


# A free phrase after a trigger: up to six words, stopping at punctuation and at words that
# start a new clause.
_STOP = (
    r"(?:and|or|who|with|which|that|s/p|complicated|presenting|presented|presents|now|was|were"
    r"|is|are|in|on|for|after|since|but|x|to|at|of|from|by|status|c/b|then|where|when|while)"
)
_PHRASE = (
    r"(?:(?:a|an|the|his|her|multiple|several|known|severe|mild|moderate|recent)\s+)*"
    r"(?P<phrase>(?!" + _STOP + r"\b)[A-Za-z][\w'/+-]*"
    r"(?:[ \t]+(?!" + _STOP + r"\b)[\w'/+-]+){0,5})"
)
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"

NOTE_RULES: tuple[NoteRule, ...] = (
    # --- age ---------------------------------------------------------------------------------
    NoteRule(
        name="age_year_old",
        kind="age",
        regex=r"\b(?P<age>\d{1,3}) [\s-]* (?:years?|yrs?) (?:[\s-]* old\b"
        r"|\s+(?=(?:man|woman|male|female|boy|girl|gentleman|lady|patient)\b))",
        examples=("A 58-year-old woman", "44 year old female", "a 41 year man"),
        non_examples=("a 5 year history of mastocytosis",),
    ),
    NoteRule(
        name="age_yo",
        kind="age",
        regex=r"\b(?P<age>\d{1,3}) [\s-]* (?:y/o|y\.o\.|yo)(?![a-z]) (?:\s*(?-i:(?P<sex>[MF]))\b)?",
        examples=("8 yo boy", "72 y/o M", "Patient is a 55yo woman", "22yo F otherwise healthy"),
        non_examples=("yoga twice a week", "10 yolks"),
    ),
    NoteRule(
        name="age_months_old",
        kind="age",
        regex=r"\b(?P<months>\d{1,2}) [\s-]* (?:months?|mos?) [\s-]* old\b",
        examples=("an 18-month-old girl", "9 month old infant"),
        non_examples=("a 3 month history of cough",),
    ),
    NoteRule(
        name="age_days_old",
        kind="age",
        regex=r"\b(?P<days>\d{1,3}) [\s-]* (?P<per>days?|weeks?|wks?) [\s-]* old\b",
        examples=("A 3-day-old Asian female infant", "a 6 week old boy"),
        non_examples=("a 3 day history of fever",),
    ),
    NoteRule(
        name="age_aged",
        kind="age",
        regex=r"(?<!\bat\s)\b(?:aged?)\s+(?P<age>\d{1,3})\b(?!\s*(?:months?|weeks?|days?))",
        examples=("a woman aged 67 presents", "Age 45, male"),
        non_examples=("seizures at age 13", "aged 3 months"),
    ),
    NoteRule(
        name="age_sex_compact",
        kind="age",
        regex=r"(?-i:\b(?P<age>\d{1,3})\s?(?P<sex>[MF])\b)",
        examples=("48 M with a h/o HTN", "74M hx of CAD"),
        non_examples=("48 m walk test", "5 Fr catheter"),
        lead_only=True,
    ),
    # --- sex ---------------------------------------------------------------------------------
    NoteRule(
        name="sex_female_word",
        kind="sex",
        regex=r"\b(?:woman|female|lady|girl|mrs|ms)\b",
        examples=("A 58-year-old woman", "44 year old female", "8 yo girl"),
        non_examples=("a 45-year-old man", "male pattern", "her"),
        label="female",
    ),
    NoteRule(
        name="sex_male_word",
        kind="sex",
        regex=r"\b(?:man|male|gentleman|boy|guy|mr)\b",
        examples=("a 45-year-old man", "57-year-old gentleman", "8 yo boy", "78 year-old male"),
        non_examples=("a 58-year-old woman", "female", "his"),
        label="male",
    ),
    NoteRule(
        name="sex_female_pronoun",
        kind="sex_pronoun",
        regex=r"\b(?:she|her|hers|herself)\b",
        examples=("She has had decreased appetite", "her PCP"),
        non_examples=("he", "there"),
        label="female",
    ),
    NoteRule(
        name="sex_male_pronoun",
        kind="sex_pronoun",
        regex=r"\b(?:he|him|his|himself)\b",
        examples=("He recalls a stroke", "his right knee"),
        non_examples=("she", "the", "this"),
        label="male",
    ),
    # --- free condition and procedure phrases --------------------------------------------------
    NoteRule(
        name="history_of_phrase",
        kind="condition_phrase",
        regex=r"\b(?:history\s+of|h/o|hx\s+of|hx|PMH\s+(?:of|significant\s+for)?)\s+" + _PHRASE,
        examples=("a history of anaplastic astrocytoma", "h/o hidradenitis suppurativa"),
        non_examples=("historical note",),
    ),
    NoteRule(
        name="diagnosed_with_phrase",
        kind="condition_phrase",
        regex=r"\bdiagnos(?:ed|is\s+of)\s+(?:with\s+)?" + _PHRASE,
        examples=("was diagnosed with sarcoid uveitis", "a diagnosis of Kawasaki disease"),
        non_examples=("diagnostic workup",),
    ),
    NoteRule(
        name="presents_with_phrase",
        kind="condition_phrase",
        regex=r"\bpresent(?:s|ed|ing)?\s+with\s+" + _PHRASE,
        examples=("presents with facial twitching", "presented with RLE weakness"),
        non_examples=("present at birth",),
    ),
    NoteRule(
        name="status_post_phrase",
        kind="procedure_phrase",
        regex=r"\b(?:s/p|status\s+post|underwent)\s+" + _PHRASE,
        examples=("s/p Foley catheter", "status post left nephrectomy", "underwent a EUS"),
        non_examples=("post-op day 2",),
    ),
    # --- labs, vitals, scores --------------------------------------------------------------------
    NoteRule(
        name="lab_value",
        kind="lab",
        regex=r"(?P<lab>{LAB})(?!\s*(?:loss|gain|change|decrease|increase))"
        r"(?:\s*(?:level|levels|count|value))?"
        r"\s*(?:(?:was|is|were|of|at|to|=|:|\()\s*){0,2}"
        r"(?P<value>{NUM})(?![\d,]|[-/]\d|\s*(?:years?|yrs?|days?|weeks?|months?|x\b))"
        r"(?:\s*(?P<unit>{UNIT}))?",
        examples=(
            "creatinine 1.8 mg/dL",
            "Hb 9.2 g/dL",
            "platelets 85,000/mm3",
            "EF was 25%",
            "high CRP (145)",
            "serum creatinine of 0.5 mg/dL",
        ),
        non_examples=("weight loss 20 pounds", "PT evaluation", "CD4 count pending"),
    ),
    NoteRule(
        name="blood_pressure",
        kind="blood_pressure",
        regex=r"\b(?:BP|blood\s+pressure)\s*(?:(?:was|is|of|at|:|=)\s*){0,2}"
        r"(?P<sbp>\d{2,3})\s*/\s*(?P<dbp>\d{2,3})(?:\s*(?P<unit>mm\s*Hg))?",
        examples=("BP 150/95", "blood pressure 110/75 mmHg", "BP was 90/60"),
        non_examples=("BP meds", "blood pressure 150"),
    ),
    NoteRule(
        name="score_value",
        kind="score",
        regex=r"(?P<score>{SCORE})\s*(?:(?:performance\s+status|PS|score|of|was|is|=|:)\s*){0,3}"
        r"(?P<value>\d{1,3}(?:\.\d+)?)(?![\d/])",
        examples=("ECOG 1", "KPS of 80", "BMI 32.5", "ECOG performance status of 2"),
        non_examples=("ECOG unknown",),
    ),
    # --- pregnancy -------------------------------------------------------------------------------
    NoteRule(
        name="pregnant",
        kind="pregnancy",
        regex=r"\b(?:\d{1,2}\s*(?:weeks?|wks?)\s+)?pregnant\b",
        examples=("She is 12 weeks pregnant", "currently pregnant"),
        non_examples=("pregnancy-induced hypertension",),
        label="pregnant",
    ),
    NoteRule(
        name="weeks_gestation",
        kind="pregnancy",
        regex=r"(?<!born\sat\s)\b\d{1,2}\s*(?:weeks?|wks?)\s+(?:of\s+)?gestation\b",
        examples=("at 32 weeks gestation she developed",),
        non_examples=("born at 32 weeks gestation",),
        label="pregnant",
    ),
    NoteRule(
        name="breastfeeding",
        kind="pregnancy",
        regex=r"\b(?:breast[\s-]?feeding|lactating|nursing\s+(?:mother|her\s+(?:baby|infant)))\b",
        examples=("she is breastfeeding", "a lactating mother", "breast-feeding"),
        non_examples=("nursing home",),
        label="breastfeeding",
    ),
    NoteRule(
        name="pregnancy_test_negative",
        kind="pregnancy",
        regex=r"\b(?:negative\s+(?:urine\s+|serum\s+)?(?:pregnancy\s+test|b-?hCG|hCG)"
        r"|(?:pregnancy\s+test|b-?hCG|hCG)\s+(?:was\s+|is\s+)?negative)\b",
        examples=("urine pregnancy test was negative", "negative serum hCG"),
        non_examples=("pregnancy test pending",),
        label="not_pregnant",
    ),
)

CONTEXT_RULES: tuple[ContextRule, ...] = (
    # --- negation ------------------------------------------------------------------------------
    ContextRule("no", r"no", "NEGATED_EXISTENCE", "FORWARD", ("no prior syncope",), ("Noted",)),
    ContextRule(
        "not", r"not", "NEGATED_EXISTENCE", "FORWARD", ("not ischemic infarct",), ("note",)
    ),
    ContextRule("denies", r"denie[sd]|denying", "NEGATED_EXISTENCE", "FORWARD", ("Denies CP/SOB",)),
    ContextRule("without", r"without", "NEGATED_EXISTENCE", "FORWARD", ("without fever",), (), 4),
    ContextRule(
        "negative_for", r"negative\s+for", "NEGATED_EXISTENCE", "FORWARD", ("negative for HIV",)
    ),
    ContextRule(
        "absence_of",
        r"absence\s+of|absent|free\s+of|lack\s+of",
        "NEGATED_EXISTENCE",
        "FORWARD",
        ("absence of chest pain", "free of disease"),
    ),
    ContextRule(
        "no_evidence_of",
        r"no\s+(?:evidence|signs?|history|hx|h/o)\s+of",
        "NEGATED_EXISTENCE",
        "FORWARD",
        ("no evidence of urethral strictures", "no history of allergies"),
    ),
    ContextRule(
        "ruled_out",
        r"ruled\s+out|was\s+negative",
        "NEGATED_EXISTENCE",
        "BACKWARD",
        ("PE was ruled out", "HIV test was negative"),
        (),
        5,
    ),
    ContextRule(
        "never", r"never\s+(?:had|been|smoked)?", "NEGATED_EXISTENCE", "FORWARD", ("never smoked",)
    ),
    ContextRule(
        "off",
        r"off(?=\s+(?:of\s+)?\w)",
        "NEGATED_EXISTENCE",
        "FORWARD",
        ("off ETOH for a year", "off treatment"),
        ("offered",),
        2,
    ),
    # --- time ----------------------------------------------------------------------------------
    ContextRule(
        "history_of",
        r"(?:past\s+|prior\s+|medical\s+|known\s+)?history\s+of|h/o|hx\s+of|hx|PMH",
        "HISTORICAL",
        "FORWARD",
        ("a history of CVA", "h/o BPH", "hx of CAD", "PMH of PCOS"),
        ("historical",),
    ),
    ContextRule("status_post", r"s/p|status\s+post", "HISTORICAL", "FORWARD", ("s/p CABG",), (), 4),
    ContextRule(
        "prior",
        r"prior|previous|previously|former|remote",
        "HISTORICAL",
        "FORWARD",
        ("prior CVA", "previous chemotherapy"),
        (),
        3,
    ),
    ContextRule(
        "received",
        r"received|underwent|completed|was\s+treated\s+with|treated\s+with|had\s+been\s+on",
        "HISTORICAL",
        "FORWARD",
        ("received four cycles of PCR", "completed four cycles of FCR"),
        (),
        6,
    ),
    ContextRule(
        "resolved",
        r"(?:now\s+)?resolved",
        "RESOLVED",
        "BACKWARD",
        ("urosepsis now resolved",),
        (),
        3,
    ),
    # --- current -------------------------------------------------------------------------------
    ContextRule(
        "on_drug",
        r"(?:currently\s+|still\s+|maintained\s+|started\s+|continued\s+)?on|taking|takes"
        r"|continuing|started",
        "CURRENT",
        "FORWARD",
        ("on metformin", "started on lactulose", "maintained on Dilantin"),
        ("once",),
        3,
    ),
    # --- other experiencers and hypotheticals ----------------------------------------------------
    ContextRule(
        "family_history",
        r"family\s+history|(?:his|her)\s+(?:father|mother|sister|brother|son|daughter)|FHx",
        "FAMILY",
        "BIDIRECTIONAL",
        ("family history is positive for type 2 diabetes", "her mother had breast cancer"),
    ),
    ContextRule(
        "concern_for",
        r"concern(?:ing)?\s+for|rule\s+out|r/o|suspected|suspicion\s+of|possible|likely"
        r"|to\s+evaluate\s+for|evaluation\s+for|risk\s+of|at\s+risk\s+for",
        "HYPOTHETICAL",
        "FORWARD",
        ("with a concern for an underlying vascular malformation", "r/o PE"),
        (),
        6,
    ),
    ContextRule(
        "will_start",
        r"will\s+(?:start|begin|need)|plan(?:ned)?\s+(?:to|for)|recommended|to\s+start",
        "HYPOTHETICAL",
        "FORWARD",
        ("will start insulin", "planned for a MV repair"),
        (),
        4,
    ),
    # --- pseudo cues and terminators -------------------------------------------------------------
    ContextRule(
        "pseudo_negation",
        r"no\s+(?:change|increase|further|longer)|not\s+only|without\s+difficulty"
        r"|no\s+residual|gram[\s-]negative",
        "PSEUDO",
        "PSEUDO",
        ("no change in", "without difficulty", "gram-negative rods"),
    ),
    ContextRule(
        "terminate",
        r"but|however|although|though|except|which|who|presents?|presented|presenting|admitted"
        r"|now|aside\s+from|other\s+than|secondary\s+to|due\s+to|c/b|complicated\s+by",
        "TERMINATE",
        "TERMINATE",
        ("no fever but cough", "who presented with SOB"),
        ("butter",),
    ),
)


@cache
def _templates() -> dict[str, str]:
    return {
        "{LAB}": "(?:" + lexicon.lab_regex() + ")",
        "{UNIT}": "(?:" + lexicon.unit_regex() + ")",
        "{SCORE}": "(?:" + lexicon.score_regex() + ")",
        "{NUM}": _NUM,
    }


@cache
def compile_rule(regex: str) -> re.Pattern[str]:
    """Compile a rule regex (verbose, case-insensitive) after expanding its placeholders."""
    for key, value in _templates().items():
        regex = regex.replace(key, value)
    return re.compile(regex, re.IGNORECASE | re.VERBOSE)


def check_rules() -> None:
    """Check names are unique, kinds and categories known and every regex compiles."""
    seen: set[str] = set()
    rules: tuple[NoteRule | ContextRule, ...] = (*NOTE_RULES, *CONTEXT_RULES)
    for rule in rules:
        if rule.name in seen:
            raise TableError(f"Note rule name {rule.name!r} is used twice; names must be unique")
        seen.add(rule.name)
        if not rule.examples:
            raise TableError(f"Note rule {rule.name!r} has no examples; add at least one")
        regex = rule.regex if isinstance(rule, NoteRule) else rule.literal
        if isinstance(rule, NoteRule) and rule.kind not in NOTE_KINDS:
            raise TableError(
                f"Note rule {rule.name!r} has kind {rule.kind!r}; expected one of "
                f"{sorted(NOTE_KINDS)}"
            )
        if isinstance(rule, ContextRule) and (
            rule.category not in CATEGORIES or rule.direction not in DIRECTIONS
        ):
            raise TableError(
                f"Context rule {rule.name!r}: category {rule.category!r} / direction "
                f"{rule.direction!r}; expected {sorted(CATEGORIES)} / {sorted(DIRECTIONS)}"
            )
        try:
            compile_rule(regex)
        except re.error as error:
            raise TableError(f"Note rule {rule.name!r}: regex does not compile: {error}") from None


_VOCAB = resources.files("trialfinder.match") / "vocab"


def _read_tsv(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    lines = (_VOCAB / name).read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("# source:"):
        raise TableError(f"match/vocab/{name}: first line must be '# source: ...'")
    if tuple(lines[1].split("\t")) != columns:
        raise TableError(f"match/vocab/{name}: columns {lines[1].split()} should be {columns}")
    rows = []
    for number, line in enumerate(lines[2:], start=3):
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise TableError(f"match/vocab/{name} line {number}: {len(cells)} fields")
        rows.append(dict(zip(columns, cells, strict=True)))
    return rows


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


@cache
def note_conditions() -> tuple[Term, ...]:
    """Return the condition terms for notes: criteria's list plus note abbreviations."""
    extra = tuple(
        Term(row["concept"], _split(row["synonyms"]))
        for row in _read_tsv("note_conditions.tsv", ("concept", "synonyms"))
    )
    return (*extra, *lexicon.conditions())


@cache
def note_treatments() -> tuple[Term, ...]:
    """Return the therapy terms for notes: criteria's list plus note drug and procedure names."""
    extra = tuple(
        Term(row["therapy"], _split(row["synonyms"]), row["class"])
        for row in _read_tsv("note_treatments.tsv", ("therapy", "class", "synonyms"))
    )
    return (*extra, *lexicon.therapies())
