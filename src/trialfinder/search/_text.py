"""User search text → parsed terms: words, "phrases", OR, -excluded, prefix*, and synonyms.

The parser never passes user text on as query syntax: it keeps only the words (runs of letters and
digits), and the store quotes each one. Operators are read from the text around the words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from trialfinder.errors import QueryError
from trialfinder.store.base import TextSearch, TextTerm

MAX_TEXT_CHARS = 2_000
"""Longest text accepted in one search parameter."""

MAX_TERMS = 64
"""Most words or phrases searched from one parameter."""

_PIECE = re.compile(r'(?P<sign>-?)"(?P<phrase>[^"]*)"?|(?P<token>[^\s"]+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Synonym:
    """One row of `synonyms.tsv`: an abbreviation and what it stands for."""

    abbreviation: str
    is_case_sensitive: bool
    expansions: tuple[str, ...]


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@functools.cache
def synonyms() -> tuple[Synonym, ...]:
    """The shipped abbreviation table (`search/synonyms.tsv`), checked as it loads."""
    text = resources.files("trialfinder.search").joinpath("synonyms.tsv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    header, *rows = lines
    if header.split("\t") != ["abbreviation", "match_case", "expansions"]:
        raise ValueError(f"synonyms.tsv: unexpected header {header!r}")
    table: list[Synonym] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        cells = row.split("\t")
        if len(cells) != 3 or cells[1] not in ("yes", "no") or not cells[2].strip():
            raise ValueError(f"synonyms.tsv row {number}: {row!r} is not 'ABBR<TAB>yes|no<TAB>a|b'")
        if cells[0] in seen:
            raise ValueError(f"synonyms.tsv row {number}: {cells[0]!r} is listed twice")
        seen.add(cells[0])
        table.append(Synonym(cells[0], cells[1] == "yes", tuple(cells[2].split("|"))))
    return tuple(table)


@functools.cache
def _synonym_index() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(case-sensitive abbreviations, lower-case keys) → every spelling of the same condition."""
    exact: dict[str, tuple[str, ...]] = {}
    folded: dict[str, tuple[str, ...]] = {}
    for row in synonyms():
        group = (row.abbreviation, *row.expansions)
        if row.is_case_sensitive:
            exact[row.abbreviation] = group
        else:
            folded[_key(row.abbreviation)] = group
        for expansion in row.expansions:
            folded.setdefault(_key(expansion), group)
    return exact, folded


def synonyms_of(text: str) -> tuple[str, ...]:
    """Every spelling of the condition `text` names (itself included); () when none is known."""
    exact, folded = _synonym_index()
    return exact.get(text.strip()) or folded.get(_key(text)) or ()


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))


def _with_synonyms(raw: str, term: TextTerm) -> TextTerm:
    group = synonyms_of(raw)
    if not group or term.is_prefix:
        return term
    alternatives = list(term.alternatives)
    for spelling in group:
        words = _words(spelling.lower())
        if words and words not in alternatives:
            alternatives.append(words)
    return TextTerm(tuple(alternatives), is_negated=term.is_negated)


def parse_text(text: str, parameter: str, *, expand_synonyms: bool = False) -> tuple[TextTerm, ...]:
    """Parse search text into terms that must all match; () when the text is blank.

    Understands ``"exact phrase"``, ``a OR b``, ``-word`` / ``NOT word`` (exclude) and ``word*``
    (prefix). With `expand_synonyms`, a known abbreviation or condition name (the whole text or
    one term) also matches its other spellings: ``SLE`` finds "Lupus Erythematosus, Systemic".
    """
    if not text.strip():
        return ()
    _check_length(text, parameter)
    if expand_synonyms and synonyms_of(text):
        whole = _with_synonyms(text, TextTerm((_words(text.lower()),)))
        return (whole,)
    terms: list[TextTerm] = []
    negate_next = False
    join_next = False
    for match in _PIECE.finditer(text):
        token = match.group("token")
        if token in ("OR", "|") and terms:
            join_next = True
            continue
        if token in ("AND", "&"):
            continue
        if token == "NOT":
            negate_next = True
            continue
        is_negated = negate_next or bool(match.group("sign"))
        is_prefix = False
        raw = match.group("phrase")
        if token is not None:
            is_negated = is_negated or (token.startswith("-") and len(token) > 1)
            is_prefix = token.endswith("*")
            raw = token
        words = _words(raw or "")
        if not words:
            continue
        negate_next = False
        term = TextTerm((words,), is_prefix=is_prefix and len(words) == 1, is_negated=is_negated)
        if expand_synonyms and not is_negated:
            term = _with_synonyms(raw.strip('-*"'), term)
        if join_next and not term.is_negated and not terms[-1].is_negated:
            previous = terms.pop()
            term = TextTerm(
                previous.alternatives + term.alternatives,
                is_prefix=previous.is_prefix and term.is_prefix,
            )
        join_next = False
        terms.append(term)
    if not terms:
        raise QueryError(
            f"{parameter} {_shorten(text)!r} has no words to search for (letters or digits)",
            parameter,
        )
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"{parameter} has {len(terms):,} words or phrases; at most {MAX_TERMS} are searched",
            parameter,
        )
    if all(term.is_negated for term in terms):
        raise QueryError(
            f"{parameter} {_shorten(text)!r} only excludes words; add a word to search for",
            parameter,
        )
    return tuple(terms)


def _check_length(text: str, parameter: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise QueryError(
            f"{parameter} is {len(text):,} characters long; "
            f"at most {MAX_TEXT_CHARS:,} are accepted",
            parameter,
        )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_search(
    text: str, parameter: str, columns: tuple[str, ...], *, expand_synonyms: bool = False
) -> TextSearch | None:
    """Parse `text` into a search of the given full-text columns (None when blank)."""
    terms = parse_text(text, parameter, expand_synonyms=expand_synonyms)
    return TextSearch(columns, terms) if terms else None


def plain_words(text: str, parameter: str) -> tuple[str, ...]:
    """The words of `text` for substring matching (sponsor, location, id), lower-cased."""
    _check_length(text, parameter)
    words = tuple(w.lower() for w in _WORD.findall(text))
    if text.strip() and not words:
        raise QueryError(
            f"{parameter} {_shorten(text)!r} has no words to search for (letters or digits)",
            parameter,
        )
    if len(words) > MAX_TERMS:
        raise QueryError(
            f"{parameter} has {len(words):,} words; at most {MAX_TERMS} are searched", parameter
        )
    return words
