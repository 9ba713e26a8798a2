"""Typed views of the word lists in ``criteria/vocab/*.tsv``, loaded once and cached."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trialfinder.criteria.tables import LiteralIndex, TableError, normal_key, read_tsv, trie_regex

__all__ = [
    "ContextCue",
    "Lab",
    "Score",
    "Term",
    "comparator_op",
    "conditions",
    "context_cues",
    "labs",
    "parse_number",
    "scores",
    "therapies",
    "unit_of",
]


@dataclass(frozen=True, slots=True)
class Lab:
    """A laboratory test or vital sign: canonical unit (a pint expression) and LOINC code."""

    name: str
    loinc: str
    unit: str
    molar_mass: float | None
    synonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Score:
    """A clinical score or class with its valid range and how its values are written."""

    name: str
    synonyms: tuple[str, ...]
    low: float
    high: float
    scale: str  # number, roman or letter


@dataclass(frozen=True, slots=True)
class Term:
    """A concept (condition or therapy) with its synonyms and, for therapies, its class."""

    concept: str
    synonyms: tuple[str, ...]
    group: str = ""


@dataclass(frozen=True, slots=True)
class ContextCue:
    """A ConText cue: literal, category (NEGATED_EXISTENCE, HISTORICAL, ...) and direction."""

    literal: str
    category: str
    direction: str


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def _is_abbreviation(literal: str) -> bool:
    """Short forms match only as written: in capitals ("ALL", "MS", "ANC"), and in mixed case
    when of three letters or fewer ("Cr" is not "CR", complete response; "Hct" is not "HCT",
    cell transplantation; "PsA" is not "PSA")."""
    letters = [c for c in literal if c.isalpha()]
    if not letters:
        return False
    if literal.upper() == literal:
        return len(literal) <= 8
    return len(letters) <= 3 and any(c.isupper() for c in letters)


def _exact_forms(literals: list[str]) -> list[str]:
    """Return the short forms and how each may be written: as listed, and a mixed-case one
    in lower case too ("hct" is hematocrit, "HCT" is not)."""
    out = []
    for literal in literals:
        if _is_abbreviation(literal):
            out.append(literal)
            if literal.upper() != literal:
                out.append(literal.lower())
    return out


def bounded_trie(literals: list[str]) -> str:
    """Return a word-bounded trie regex; short forms match only as ``_exact_forms`` writes them."""
    folded = [s for s in literals if not _is_abbreviation(s)]
    exact = _exact_forms(literals)
    parts = []
    if exact:
        parts.append("(?-i:" + trie_regex(exact) + ")")
    if folded:
        parts.append(trie_regex(folded))
    return r"(?<![\w/])(?:" + "|".join(parts) + r")(?![\w])"


def literal_index(literals: list[str], *, after_slash: bool = False) -> LiteralIndex:
    """Return a one-pass matcher for what ``bounded_trie(literals)`` matches (case-insensitive);
    with ``after_slash``, also a literal right after a "/"."""
    return LiteralIndex(
        [s for s in literals if not _is_abbreviation(s)],
        _exact_forms(literals),
        after_slash=after_slash,
    )


# --- comparators ------------------------------------------------------------------------------


@cache
def _comparators() -> dict[str, str]:
    return {
        normal_key(row["literal"]): row["op"]
        for row in read_tsv("comparators.tsv", ("literal", "op"))
    }


def comparator_op(literal: str) -> str | None:
    """Return ge, gt, le, lt or eq for a comparator as written, or None."""
    return _comparators().get(normal_key(literal))


@cache
def comparator_regex() -> str:
    """Return the regex of every comparator literal.

    Word comparators are word-bounded, except that a digit may follow at once: records write
    "less than12 g/dL" and "greater than1500/μL".
    """
    rows = read_tsv("comparators.tsv", ("literal", "op"))
    words = [r["literal"] for r in rows if r["literal"][0].isalpha()]
    symbols = [r["literal"] for r in rows if not r["literal"][0].isalpha()]
    return r"(?:(?<![\w])" + trie_regex(words) + r"(?![^\W\d])|" + trie_regex(symbols) + ")"


# --- numbers ----------------------------------------------------------------------------------


@cache
def _number_words() -> dict[str, float]:
    return {row["word"]: float(row["value"]) for row in read_tsv("numbers.tsv", ("word", "value"))}


def parse_number(text: str) -> float | None:
    """Return the value of "1,500", "1.5", "1,5", ".5" or "five"; None if it is none of them."""
    text = text.strip()
    word = _number_words().get(text.lower())
    if word is not None:
        return word
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


# --- units ------------------------------------------------------------------------------------


@cache
def _units() -> tuple[tuple[re.Pattern[str], str], ...]:
    rows = read_tsv("units.tsv", ("name", "pattern", "pint"))
    compiled = []
    for row in rows:
        try:
            compiled.append((re.compile(row["pattern"]), row["pint"]))
        except re.error as error:
            raise TableError(f"vocab/units.tsv row {row['name']!r}: {error}") from error
    return tuple(compiled)


@cache
def unit_regex() -> str:
    """Return the regex matching any unit as written, most specific first."""
    rows = read_tsv("units.tsv", ("name", "pattern", "pint"))
    return "(?-i:" + "|".join(f"(?:{row['pattern']})" for row in rows) + ")"


@cache
def unit_of(text: str) -> str | None:
    """Return the pint expression of a unit as written ("mg/dl" -> "mg/dL"), or None."""
    text = text.strip()
    for pattern, unit in _units():
        if pattern.fullmatch(text):
            return unit
    return None


# --- labs -------------------------------------------------------------------------------------


@cache
def labs() -> dict[str, Lab]:
    """Return the labs by name."""
    out: dict[str, Lab] = {}
    columns = ("name", "loinc", "unit", "molar_mass", "synonyms")
    for row in read_tsv("labs.tsv", columns):
        if row["name"] in out:
            raise TableError(f"vocab/labs.tsv: name {row['name']!r} is used twice")
        mass = float(row["molar_mass"]) if row["molar_mass"] else None
        out[row["name"]] = Lab(
            row["name"], row["loinc"], row["unit"], mass, _split(row["synonyms"])
        )
    return out


@cache
def _lab_keys() -> dict[str, Lab]:
    return {normal_key(s): lab for lab in labs().values() for s in lab.synonyms}


def lab_of(text: str) -> Lab | None:
    """Return the lab a mention names ("Hgb" -> hemoglobin), or None."""
    return _lab_keys().get(normal_key(text))


@cache
def lab_index() -> LiteralIndex:
    """Return the one-pass matcher over every lab synonym."""
    return literal_index([s for lab in labs().values() for s in lab.synonyms])


@cache
def lab_regex() -> str:
    """Return the regex of every lab synonym."""
    return bounded_trie([s for lab in labs().values() for s in lab.synonyms])


# --- scores -----------------------------------------------------------------------------------


@cache
def scores() -> dict[str, Score]:
    """Return the scores by name."""
    out: dict[str, Score] = {}
    for row in read_tsv("scores.tsv", ("name", "synonyms", "low", "high", "scale")):
        if row["scale"] not in {"number", "roman", "letter"}:
            raise TableError(f"vocab/scores.tsv {row['name']!r}: scale must be number|roman|letter")
        out[row["name"]] = Score(
            row["name"],
            _split(row["synonyms"]),
            float(row["low"]),
            float(row["high"]),
            row["scale"],
        )
    return out


@cache
def _score_keys() -> dict[str, Score]:
    return {normal_key(s): score for score in scores().values() for s in score.synonyms}


def score_of(text: str) -> Score | None:
    """Return the score a mention names ("KPS" -> Karnofsky), or None."""
    return _score_keys().get(normal_key(text))


def score_as_written(text: str) -> Score | None:
    """Return the score a name names as written: a short form written as an ordinary word
    (letters only, not in capitals) is that word, so that "Gold score" (hypoglycaemia
    awareness) is not the GOLD stage of COPD."""
    score = score_of(text)
    if score is None:
        return None
    if not text.isalpha() or text.isupper():
        return score  # "Fib-4", "ECOG": a short form however it is cased
    key = normal_key(text)
    for synonym in score.synonyms:
        if normal_key(synonym) == key and not _is_abbreviation(synonym):
            return score
    return None  # "Gold": an ordinary word, not the short form "GOLD"


@cache
def score_index() -> LiteralIndex:
    """Return the one-pass matcher over every score synonym."""
    return literal_index([s for score in scores().values() for s in score.synonyms])


@cache
def score_index_after_slash() -> LiteralIndex:
    """Return the matcher over every score synonym that also finds one after a "/", for the
    second of two scales joined by a slash ("Karnofsky/Lansky score ≥ 50")."""
    return literal_index(
        [s for score in scores().values() for s in score.synonyms], after_slash=True
    )


@cache
def score_regex() -> str:
    """Return the regex of every score synonym."""
    return bounded_trie([s for score in scores().values() for s in score.synonyms])


# --- conditions and therapies -----------------------------------------------------------------


@cache
def conditions() -> tuple[Term, ...]:
    """Return the shipped condition concepts."""
    return tuple(
        Term(row["concept"], _split(row["synonyms"]))
        for row in read_tsv("conditions.tsv", ("concept", "synonyms"))
    )


@cache
def therapies() -> tuple[Term, ...]:
    """Return the shipped therapies and procedures with their classes."""
    return tuple(
        Term(row["therapy"], _split(row["synonyms"]), row["class"])
        for row in read_tsv("therapies.tsv", ("therapy", "class", "synonyms"))
    )


class TermIndex:
    """A compiled matcher over a set of terms: finds mentions and names their concept."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.by_key: dict[str, Term] = {}
        for term in terms:
            for synonym in (term.concept, *term.synonyms):
                self.by_key.setdefault(normal_key(synonym), term)
        literals = [s for term in terms for s in (*term.synonyms,)] + [
            t.concept for t in terms if "," not in t.concept
        ]
        self.index = literal_index(literals)

    def find(self, text: str) -> list[tuple[int, int, Term]]:
        """Return (start, end, term) for every mention in ``text``."""
        out = []
        for start, end in self.index.find(text):
            term = self.by_key.get(normal_key(text[start:end]))
            if term is not None:
                out.append((start, end, term))
        return out


@cache
def condition_index() -> TermIndex:
    """Return the matcher over the shipped condition list."""
    return TermIndex(conditions())


@cache
def therapy_index() -> TermIndex:
    """Return the matcher over the shipped therapy list."""
    return TermIndex(therapies())


def mesh_name_variants(name: str) -> tuple[str, ...]:
    """Return a MeSH heading and its natural order: "Leukemia, Myeloid, Acute" -> "Acute ..."."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 1:
        return (name,)
    return (name, " ".join(reversed(parts)))


# --- context cues -----------------------------------------------------------------------------


@cache
def context_cues() -> tuple[ContextCue, ...]:
    """Return the ConText cues."""
    rows = read_tsv("context_cues.tsv", ("literal", "category", "direction"))
    allowed = {"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"}
    out = []
    for row in rows:
        if row["direction"] not in allowed:
            raise TableError(
                f"vocab/context_cues.tsv {row['literal']!r}: direction {row['direction']!r} "
                f"is not one of {sorted(allowed)}"
            )
        out.append(ContextCue(row["literal"], row["category"], row["direction"]))
    return tuple(out)


@cache
def cue_index() -> tuple[LiteralIndex, dict[str, ContextCue]]:
    """Return one matcher over every cue literal and the cue of each lookup key."""
    cues = context_cues()
    return LiteralIndex([c.literal for c in cues], after_slash=True), {
        normal_key(c.literal): c for c in cues
    }
