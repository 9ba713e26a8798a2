"""Which patient facts a condition or treatment named in a criterion refers to.

A patient fact matches a criterion concept when their lookup keys meet:

1. the same concept: the patient's name, its vocabulary concept, or a synonym equals the
   criterion's concept, written text or one of its synonyms;
2. a narrower patient concept: every word of the criterion concept is a word of the patient
   concept ("Diabetes Mellitus" holds for "Diabetes Mellitus, Type 2"), or a row of
   ``vocab/broader.tsv`` says so ("... Carcinoma" counts as "Neoplasms");
3. for treatments, the patient's drug class equals the criterion's therapy ("chemotherapy").

A criterion concept narrower than the patient's fact never matches: that stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from trialfinder.criteria import lexicon
from trialfinder.criteria.tables import normal_key
from trialfinder.match.note_rules import _read_tsv, note_conditions, note_treatments
from trialfinder.match.profile import Condition, PatientProfile, Treatment

__all__ = [
    "ConceptFact",
    "PatientConcepts",
    "broader_rows",
    "concept_keys",
    "restricting_qualifier",
    "restricting_qualifiers",
    "words_of",
]

_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=200_000)
def words_of(text: str) -> frozenset[str]:
    """Return the words of ``text`` in lower case, a plural ``s`` dropped from longer words."""
    return frozenset(
        w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
        for w in _WORD.findall(text.lower())
    )


@cache
def broader_rows() -> tuple[tuple[str, str], ...]:
    """Return the (word, broader concept) rows of ``vocab/broader.tsv``."""
    return tuple((r["word"], r["broader"]) for r in _read_tsv("broader.tsv", ("word", "broader")))


@cache
def restricting_qualifiers() -> tuple[str, ...]:
    """Return the qualifiers of ``vocab/restricting_qualifiers.tsv``, longest first."""
    rows = _read_tsv("restricting_qualifiers.tsv", ("qualifier", "example"))
    return tuple(sorted((r["qualifier"] for r in rows), key=len, reverse=True))


def restricting_qualifier(qualifier: str) -> str | None:
    """Return the restricting word a criterion qualifier starts with ("stage IV" -> "stage")."""
    lowered = " ".join(qualifier.lower().split())
    for word in restricting_qualifiers():
        if lowered == word or lowered.startswith(word + " "):
            return word
    return None


@cache
def _condition_terms() -> dict[str, lexicon.Term]:
    return {normal_key(s): t for t in note_conditions() for s in (t.concept, *t.synonyms)}


@cache
def _therapy_terms() -> dict[str, lexicon.Term]:
    return {normal_key(s): t for t in note_treatments() for s in (t.concept, *t.synonyms)}


@lru_cache(maxsize=200_000)
def _keys_of(name: str, therapy: bool) -> frozenset[str]:
    # Criteria repeat the same few thousand names across trials: key each one once.
    key = normal_key(name)
    if not key:
        return frozenset()
    term = (_therapy_terms() if therapy else _condition_terms()).get(key)
    if term is None:
        return frozenset((key,))
    return frozenset((key, normal_key(term.concept), *map(normal_key, term.synonyms)))


def concept_keys(names: Iterable[str], *, therapy: bool = False) -> frozenset[str]:
    """Return the lookup keys of ``names`` and of the vocabulary concept each one names."""
    keys: set[str] = set()
    for name in names:
        keys.update(_keys_of(name, therapy))
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class ConceptFact:
    """A patient condition or treatment with the keys and words it can be matched by."""

    name: str
    keys: frozenset[str]
    words: tuple[frozenset[str], ...]
    classes: frozenset[str]
    condition: Condition | None = None
    treatment: Treatment | None = None

    def matches(self, keys: frozenset[str], words: frozenset[str]) -> str | None:
        """Return how this fact matches a criterion concept ("same", "narrower", "class")."""
        if self.keys & keys:
            return "same"
        if words and any(words <= mine for mine in self.words):
            return "narrower"
        if self.classes & keys:
            return "class"
        return None


def _condition_fact(condition: Condition) -> ConceptFact | None:
    if condition.text is None:
        return None
    names = [condition.text]
    names += [t.concept for _, _, t in lexicon.condition_index().find(condition.text)]
    keys = set(concept_keys(names))
    words = [words_of(n) for n in names]
    lowered = condition.text.lower()
    for word, broader in broader_rows():
        if word in lowered:
            keys.add(normal_key(broader))
            words.append(words_of(broader))
    return ConceptFact(
        name=condition.text,
        keys=frozenset(keys),
        words=tuple(words),
        classes=frozenset(),
        condition=condition,
    )


def _treatment_fact(treatment: Treatment) -> ConceptFact:
    names = [treatment.name]
    names += [t.concept for _, _, t in lexicon.therapy_index().find(treatment.name)]
    keys = concept_keys(names, therapy=True)
    table = _therapy_terms()
    classes = {normal_key(table[k].group) for k in keys if k in table and table[k].group} | {
        normal_key(treatment.kind)
    }
    return ConceptFact(
        name=treatment.name,
        keys=keys,
        words=tuple(words_of(n) for n in names),
        classes=frozenset(classes),
        treatment=treatment,
    )


@dataclass(frozen=True, slots=True)
class PatientConcepts:
    """The patient's conditions and treatments, indexed once per evaluation run."""

    conditions: tuple[ConceptFact, ...]
    treatments: tuple[ConceptFact, ...]

    @classmethod
    def of(cls, profile: PatientProfile) -> PatientConcepts:
        """Index the conditions and treatments of ``profile``."""
        conditions = tuple(
            fact for fact in map(_condition_fact, profile.conditions) if fact is not None
        )
        return cls(conditions, tuple(_treatment_fact(t) for t in profile.treatments))

    def has_any(self, names: Iterable[str]) -> ConceptFact | None:
        """Return a present (not negated) patient condition matching one of ``names``."""
        for name in names:
            keys = concept_keys([name])
            words = words_of(name)
            for fact in self.conditions:
                if (
                    fact.condition is not None
                    and not fact.condition.negated
                    and fact.matches(keys, words) is not None
                ):
                    return fact
        return None
