"""Rule rows, word lists and the loader that checks them.

Patterns are frozen dataclass rows in ``criteria/patterns/*.py``; word lists are TSV files in
``criteria/vocab/`` whose first line names their source. Pattern regexes may use placeholders
(``{NUM}``, ``{CMP}``, ``{LAB}``, ``{SCORE}``, ``{UNIT}``, ``{AGE_UNIT}``, ``{TIME_UNIT}``) that
the loader expands from the word lists before compiling. The loader rejects duplicate names,
regexes that do not compile, unknown kinds and unknown TSV columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate

from trialfinder.criteria._regex_facts import leading_strings

__all__ = [
    "KINDS",
    "LiteralIndex",
    "Pattern",
    "TableError",
    "compile_pattern",
    "finditer",
    "has_number",
    "literal_regex",
    "normal_key",
    "read_tsv",
    "search",
    "start_positions",
    "trie_regex",
]

KINDS = frozenset(
    {
        "age",
        "age_chain",
        "mention_modifier",
        "pressure_pair",
        "sex",
        "pregnancy",
        "lab",
        "lab_chain",
        "lab_context",
        "lab_subgroup",
        "lab_specimen",
        "lab_value_first",
        "formula",
        "score",
        "score_chain",
        "stenosis",
        "stenosis_chain",
        "stenosis_vessel",
        "time_window",
        "negation",
        "qualifier",
        "not_checkable",
        "therapy",
        "inclusive",
    }
)


class TableError(ValueError):
    """A rule table or word list is malformed; the message names the row and the fix."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One named rule: a regex, the kind of constraint it yields, and its own examples.

    ``label`` is what the rule asserts when the regex has no group saying it (a sex, a reason
    category, a comparator); ``confidence`` is copied onto the constraints it produces.
    ``trigger`` lists lower-case substrings of which one must occur for the regex to be run at
    all: a cheap filter that keeps parsing fast (each example must contain one).
    ``needs_number`` says that no match is possible without a ``{NUM}``: the row is skipped on
    criteria with no number in them (each example must contain one).
    ``starts`` lists the lower-case words (whole ``\\w+`` runs) at which a match may begin, and
    ``{NUM}`` for a number: the regex is then tried only there instead of at every character,
    with the same result (each example's match must begin at one of them).
    """

    name: str
    kind: str
    regex: str
    examples: tuple[str, ...]
    non_examples: tuple[str, ...] = ()
    label: str = ""
    confidence: float = 0.9
    trigger: tuple[str, ...] = ()
    needs_number: bool = False
    starts: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, row: dict[str, object]) -> Pattern:
        """Build a row from a mapping, rejecting keys that are not fields."""
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(row) - set(allowed))
        if unknown:
            raise TableError(
                f"Pattern {row.get('name')!r} has unknown field(s) {unknown}; "
                f"allowed fields are {allowed}"
            )
        return cls(**row)  # type: ignore[arg-type]


_VOCAB = resources.files("trialfinder.criteria") / "vocab"


@cache
def read_tsv(name: str, columns: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """Return the rows of ``vocab/<name>``, checking its source line and its columns."""
    text = (_VOCAB / name).read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# source:"):
        raise TableError(f"vocab/{name}: first line must be '# source: ...' naming the source")
    header = tuple(lines[1].split("\t")) if len(lines) > 1 else ()
    if header != columns:
        unknown = [c for c in header if c not in columns]
        raise TableError(
            f"vocab/{name}: columns {list(header)} should be {list(columns)}"
            + (f"; unknown {unknown}" if unknown else "")
        )
    rows = []
    for number, line in enumerate(lines[2:], start=3):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise TableError(
                f"vocab/{name} line {number}: {len(cells)} fields, expected {len(columns)}"
            )
        rows.append(dict(zip(columns, cells, strict=True)))
    return tuple(rows)


_KEY_GAP = re.compile(r"[\s\-'’‐–]+")


def normal_key(text: str) -> str:
    """Return the lookup key of a phrase: lower case, no blanks, hyphens or apostrophes."""
    return _KEY_GAP.sub("", text.lower())


def literal_regex(literal: str) -> list[str]:
    """Return the regex atoms of a literal: blanks and hyphens match either or none."""
    atoms: list[str] = []
    for char in literal:
        if char in " -‐–":
            if atoms and atoms[-1] == r"[\s\-‐–]*":
                continue
            atoms.append(r"[\s\-‐–]*")
        elif char in "'’":
            atoms.append("['’]?")
        else:
            atoms.append(re.escape(char))
    return atoms


def trie_regex(literals: Iterable[str]) -> str:
    """Return one regex matching any literal, built as a trie so that it stays fast.

    Alternatives are greedy, so the longest literal wins when several share a prefix.
    """
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    end = ""
    for literal in set(literals):
        node = root
        for atom in literal_regex(literal):
            node = node.setdefault(atom, {})
        node[end] = {}

    def build(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        terminal = end in node
        branches = [atom + build(child) for atom, child in sorted(node.items()) if atom != end]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            return "(?:" + body + ")?"
        return body

    return build(root)


def _number_words() -> str:
    # A trie, not a plain alternation: it is tried at every position of every numeric row.
    return trie_regex(row["word"] for row in read_tsv("numbers.tsv", ("word", "value")))


@cache
def number_finder() -> re.Pattern[str]:
    """Return a regex that finds where a ``{NUM}`` could match in a lower-cased text."""
    # Lower-cased input and no IGNORECASE: the engine can then skip ahead on the first letter.
    return re.compile(r"\d|" + _number_words() + r"\b")


def has_number(lower: str) -> bool:
    """Return True when a ``{NUM}`` could match in ``lower`` (a lower-cased text)."""
    return number_finder().search(lower) is not None


@cache
def templates() -> dict[str, str]:
    """Return the placeholder texts that pattern regexes may use."""
    from trialfinder.criteria import lexicon  # local: lexicon imports this module

    return {
        # "10^-3" is a power of ten ("MRD ≥ 10^-3"), not the number 10.
        "{NUM}": _number_guard()
        + r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?(?!\d|\s*\^\s*[-−])|\.\d+|(?i:"
        + _number_words()
        + r")\b)",
        "{CMP}": _comparator_guard() + "(?:" + lexicon.comparator_regex() + ")",
        "{LAB}": "(?:" + lexicon.lab_regex() + ")",
        "{SCORE}": "(?:" + lexicon.score_regex() + ")",
        "{UNIT}": "(?:" + lexicon.unit_regex() + ")",
        "{AGE_UNIT}": r"(?:years?|yrs?|y\.?o\.?\b|y\b|months?|mos?\b|weeks?|wks?\b|days?\b)",
        "{TIME_UNIT}": r"(?:years?|yrs?\b|months?|mos?\b|weeks?|wks?\b|days?\b|hours?|hrs?\b"
        r"|half[\s-]lives|half[\s-]life)",
        "{SEP}": r"[\s\-‐–]*",
    }


def _guard(literals: Iterable[str], also: str = "") -> str:
    """Return a lookahead for the characters that one of ``literals`` (or a character of the
    class body ``also``) can begin with, or "" when a literal can begin with a blank, hyphen or
    apostrophe (which a text may leave out).

    A placeholder's trie is tried at every position a row reaches; one character-set test
    rejects most positions at once instead of trying each of the trie's first branches. Every
    match begins with one of these characters, so matches do not change.
    """
    firsts: set[str] = set()
    for literal in literals:
        if literal[0] in " -‐–'’":
            return ""
        firsts.add(literal[0])
    # Case-insensitive whatever the scope: "{NUM}" reads its words so ("ſix" too, a long s).
    return "(?i:(?=[" + also + "".join(re.escape(c) for c in sorted(firsts)) + "]))"


@cache
def _comparator_guard() -> str:
    """Return the lookahead that leads a ``{CMP}``."""
    return _guard(row["literal"] for row in read_tsv("comparators.tsv", ("literal", "op")))


@cache
def _number_guard() -> str:
    """Return the lookahead that leads a ``{NUM}``: a digit, a point or a number word."""
    words = (row["word"] for row in read_tsv("numbers.tsv", ("word", "value")))
    return _guard(words, also=r"\d.")


def expand(regex: str) -> str:
    """Return ``regex`` with its placeholders replaced."""
    if "{" not in regex:
        return regex
    for key, value in templates().items():
        regex = regex.replace(key, value)
    return regex


def compile_pattern(pattern: Pattern) -> re.Pattern[str]:
    """Compile one row (verbose, case-insensitive), naming it in any error."""
    try:
        return re.compile(expand(pattern.regex), re.IGNORECASE | re.VERBOSE)
    except re.error as error:
        raise TableError(f"Pattern {pattern.name!r}: regex does not compile: {error}") from error


def check_tables(tables: Sequence[Sequence[Pattern]]) -> tuple[Pattern, ...]:
    """Return all rows of ``tables`` after checking names, kinds and regexes."""
    seen: set[str] = set()
    rows: list[Pattern] = []
    for table in tables:
        for row in table:
            if row.name in seen:
                raise TableError(f"Pattern name {row.name!r} is used twice; names must be unique")
            if row.kind not in KINDS:
                raise TableError(
                    f"Pattern {row.name!r} has kind {row.kind!r}; expected one of {sorted(KINDS)}"
                )
            if not row.examples:
                raise TableError(f"Pattern {row.name!r} has no examples; add at least one")
            compile_pattern(row)
            if row.needs_number and "{NUM}" not in row.regex:
                raise TableError(
                    f"Pattern {row.name!r} needs_number but has no {{NUM}} in its regex"
                )
            for example in row.examples:
                if row.starts:
                    found = compile_pattern(row).search(example)
                    if found is not None and found.start() not in start_positions(
                        example, row.starts
                    ):
                        raise TableError(
                            f"Pattern {row.name!r}: example {example!r} matches at "
                            f"{found.group()!r}, which is not one of its starts {list(row.starts)}"
                        )
                if row.needs_number and not has_number(example.lower()):
                    raise TableError(
                        f"Pattern {row.name!r}: example {example!r} has no number but the row "
                        "needs_number"
                    )
                if row.trigger and not any(t in example.lower() for t in row.trigger):
                    raise TableError(
                        f"Pattern {row.name!r}: example {example!r} contains none of its "
                        f"triggers {list(row.trigger)}"
                    )
            seen.add(row.name)
            rows.append(row)
    return tuple(rows)


# --- where matches may start ------------------------------------------------------------------


@cache
def _number_starts() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Digit and dot runs (a row may start inside one, after a look-behind), and number words.
    # Two regexes, each led by a set of characters, so the engine skips ahead between hits.
    return re.compile(r"[\d.]+"), re.compile(_number_words())


@cache
def _comparator_starts() -> tuple[str, ...]:
    """Return the words and characters a ``{CMP}`` can begin with."""
    out: set[str] = set()
    for row in read_tsv("comparators.tsv", ("literal", "op")):
        literal = row["literal"].lower()
        if literal[0].isalpha():
            # Blanks in a literal may be left out in a text: "atleast" is a start too.
            joined = [normal_key(" ".join(literal.split()[:n])) for n in range(1, 4)]
            out.update(joined)
        else:
            out.add(literal[0])
    return tuple(sorted(out))


_SYMBOL = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class _Plan:
    """A row's ``starts`` sorted by how they are looked up."""

    words: tuple[str, ...]  # whole words (and anything else: found nowhere)
    symbols: tuple[str, ...]  # single characters that are not letters, digits or blanks
    number: bool
    comparator: bool


@lru_cache(maxsize=1024)
def _plan(starts: tuple[str, ...]) -> _Plan:
    symbols = tuple(s for s in starts if len(s) == 1 and _SYMBOL.match(s))
    return _Plan(
        tuple(s for s in starts if s not in symbols),
        symbols,
        "{NUM}" in starts,
        "{CMP}" in starts,
    )


@cache
def _comparator_plan() -> tuple[frozenset[str], tuple[str, ...]]:
    """Return the words and the symbol characters a ``{CMP}`` can begin with."""
    plan = _plan(_comparator_starts())
    return frozenset(plan.words), plan.symbols


class _Starts:
    """Where the words, characters and numbers of one text start, worked out on demand.

    Only the starts that some row asks for are looked up, and each row's list is kept: rows of
    one family share their ``starts`` ("age", "aged", ...), so the list is built once per text.
    """

    __slots__ = ("by_starts", "lower", "numbers", "offsets", "text", "where")

    def __init__(self, text: str) -> None:
        _, _, lower, where, offsets = word_spans(text)
        self.text = text
        self.lower = lower
        self.where = where
        self.offsets = offsets
        self.numbers: list[int] | None = None
        self.by_starts: dict[tuple[str, ...], list[int]] = {}

    def of_symbol(self, char: str) -> list[int]:
        """Return where ``char`` occurs."""
        text, out, i = self.text, [], self.text.find(char)
        while i >= 0:
            out.append(i)
            i = text.find(char, i + 1)
        return out

    def of_numbers(self) -> list[int]:
        """Return where a number may start: in runs of digits and dots, and at number words."""
        if self.numbers is None:
            digits, number_words = _number_starts()
            numbers: list[int] = []
            for match in digits.finditer(self.lower):
                numbers.extend(range(match.start(), match.end()))
            words_at = [m.start() for m in number_words.finditer(self.lower)]
            if words_at:
                numbers = sorted(numbers + words_at)
            self.numbers = numbers
        return self.numbers

    def positions(self, starts: tuple[str, ...]) -> list[int]:
        """Return, in order, where a row with ``starts`` may match (see ``start_positions``)."""
        found = self.by_starts.get(starts)
        if found is not None:
            return found
        plan = _plan(starts)
        where, offsets, text = self.where, self.offsets, self.text
        lists = [[offsets[i] for i in where[w]] for w in plan.words if w in where]
        lists += [self.of_symbol(c) for c in plan.symbols if c in text]
        if plan.number:
            lists.append(self.of_numbers())
        if plan.comparator:
            words, symbols = _comparator_plan()
            lists += [[offsets[i] for i in where[w]] for w in words.intersection(where)]
            lists += [self.of_symbol(c) for c in symbols if c in text]
        found = lists[0] if len(lists) == 1 else sorted(p for ps in lists for p in ps)
        self.by_starts[starts] = found
        return found


@lru_cache(maxsize=16)
def _starts_in(text: str) -> _Starts:
    """Return the start finder of ``text``.

    Cached for the last few texts: every row with ``starts`` looks at the same criterion.
    """
    return _Starts(text)


def start_positions(text: str, starts: tuple[str, ...]) -> list[int]:
    """Return, in order, the positions in ``text`` where a row with ``starts`` may match.

    A start is a whole word, a single character that is not a letter, digit or blank,
    ``{NUM}`` (where a number may begin) or ``{CMP}`` (where a comparator may begin).
    """
    return _starts_in(text).positions(starts)


# --- where matches may start, worked out from the regex ----------------------------------------


@cache
def _prefix_finder(regex: str) -> re.Pattern[str] | None:
    """Return a regex finding, in a lower-cased ASCII text, every place where a row's ``regex``
    could match: where one of the strings that all its matches begin with occurs. None when
    no such strings can be told from the regex (it may begin with any letter, say).

    Keyed by the regex, whose hash a string keeps, not by the row, whose hash is worked out
    over every field at each call.
    """
    prefixes = leading_strings(expand(regex))
    if prefixes is None:
        return None
    # One character consumed, the rest looked ahead: every position is tried, overlapping
    # ones too, and the engine skips ahead on the set of first characters.
    by_first: dict[str, set[str]] = {}
    for prefix in prefixes:
        by_first.setdefault(prefix[0], set()).add(prefix[1:])
    branches = []
    for first, rests in sorted(by_first.items()):
        if "" in rests:
            branches.append(re.escape(first))
        else:
            branches.append(
                re.escape(first) + "(?=" + "|".join(re.escape(r) for r in sorted(rests)) + ")"
            )
    return re.compile("|".join(branches))


def _prefix_positions(finder: re.Pattern[str], text: str) -> list[int]:
    return [m.start() for m in finder.finditer(word_spans(text)[2])]


def finditer(pattern: Pattern, regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Return what ``regex.finditer(text)`` returns, trying only the row's ``starts``, or
    in an ASCII text only where the strings that every match begins with occur."""
    if not pattern.starts:
        finder = _prefix_finder(pattern.regex) if text.isascii() else None
        if finder is None:
            return regex.finditer(text)
        return _finditer_from(regex, text, _prefix_positions(finder, text))
    return _finditer_from(regex, text, start_positions(text, pattern.starts))


def _finditer_from(regex: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    position = 0
    for start in starts:
        if start < position:
            continue
        match = regex.match(text, start)
        if match is not None:
            yield match
            position = max(match.end(), start + 1)


def search(pattern: Pattern, regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """Return what ``regex.search(text)`` returns, trying only the row's ``starts``."""
    if not pattern.starts:
        finder = _prefix_finder(pattern.regex) if text.isascii() else None
        if finder is None:
            return regex.search(text)
        return next(_finditer_from(regex, text, _prefix_positions(finder, text)), None)
    return next(_finditer_from(regex, text, start_positions(text, pattern.starts)), None)


# --- literal index ----------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_SEP_CHARS = frozenset(" \t\r\n\f\v-'’‐–")


_TOKEN = re.compile(r"\w+|\W+")


@lru_cache(maxsize=16)
def word_spans(
    text: str,
) -> tuple[list[tuple[int, int]], list[str], str, dict[str, list[int]], list[int]]:
    """Return the spans of the runs of word characters, each run lower-cased, the lower text,
    for each lower-cased run the indexes where it occurs, and where each run starts.

    Cached for the last few texts: every index looks at the same criterion in turn.
    """
    lower = text.lower()
    if len(lower) != len(text):  # a few characters change length when lower-cased
        lower = "".join(c.lower()[0] for c in text)
    # Lower-casing keeps every character a word character or not (checked over all of
    # Unicode), so the runs of ``lower`` are those of ``text``. One C-level pass cuts the text
    # into alternating word and non-word runs; their lengths give the offsets.
    tokens = _TOKEN.findall(lower)
    offsets = list(accumulate(map(len, tokens), initial=0))
    first = 0 if tokens and _WORD.match(tokens[0]) else 1
    words = tokens[first::2]
    starts = offsets[first::2][: len(words)]
    spans = list(zip(starts, offsets[first + 1 :: 2], strict=False))
    where: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        if word in where:
            where[word].append(i)
        else:
            where[word] = [i]
    return spans, words, lower, where, starts


def _boundary_prefixes(literal: str, fold: bool) -> set[str]:
    """Return the literal's key cut where a text may break it: at blanks and punctuation."""
    out: set[str] = set()
    key = ""
    for char in literal:
        if char in _SEP_CHARS:
            out.add(key)
            continue
        if not (char.isalnum() or char == "_"):
            out.add(key)
            key += char
            out.add(key)
            continue
        key += char.lower() if fold else char
    out.add(key)
    out.discard("")
    return out


class LiteralIndex:
    """Finds word-bounded literals in one pass over a text's words: a token-level trie.

    It matches what ``bounded_trie`` matches, only faster: blanks, hyphens and apostrophes in a
    literal match any run of them or none, other punctuation must be written, and a literal in
    capitals (``exact``) only matches in capitals. At each word the longest literal wins, and a
    match is never preceded by a word character (nor by "/" unless ``after_slash``) nor followed
    by a word character.
    """

    def __init__(
        self, folded: Iterable[str], exact: Iterable[str] = (), *, after_slash: bool = False
    ) -> None:
        self.after_slash = after_slash
        folded, exact = list(folded), list(exact)
        self.folded = frozenset(normal_key(s) for s in folded)
        self.exact = frozenset(re.sub(r"[\s\-'’‐–]+", "", s) for s in exact)
        self.folded_prefixes = frozenset(p for s in folded for p in _boundary_prefixes(s, True))
        self.exact_prefixes = frozenset(p for s in exact for p in _boundary_prefixes(s, False))
        # A cheap first test on each lower-cased word.
        self.first = self.folded_prefixes | {k.lower() for k in self.exact_prefixes}

    def find(self, text: str) -> list[tuple[int, int]]:
        """Return (start, end) of every literal in ``text``, leftmost-longest, not overlapping."""
        spans, _, lower, where, _ = word_spans(text)
        hits = self.first.intersection(where)
        if not hits:
            return []
        if len(hits) == 1:
            candidates = where[next(iter(hits))]
        else:
            candidates = sorted(i for word in hits for i in where[word])
        folded, exact = self.folded, self.exact
        folded_prefixes, exact_prefixes = self.folded_prefixes, self.exact_prefixes
        out: list[tuple[int, int]] = []
        taken_to = 0
        count = len(spans)
        length = len(text)
        for i in candidates:
            start, end = spans[i]
            if start < taken_to:
                continue
            if start > 0 and text[start - 1] == "/" and not self.after_slash:
                continue
            key, low = text[start:end], lower[start:end]
            best = end if low in folded or key in exact else -1
            j = i
            while True:
                nxt = spans[j + 1][0] if j + 1 < count else length
                stop = False
                for position in range(spans[j][1], nxt):
                    char = text[position]
                    if char in _SEP_CHARS:
                        continue
                    key += char
                    low += lower[position]
                    # A literal may end in punctuation ("K+") if no word follows at once.
                    if (position + 1 < nxt or nxt == length) and (low in folded or key in exact):
                        best = position + 1
                    if low not in folded_prefixes and key not in exact_prefixes:
                        stop = True
                        break
                if stop or j + 1 >= count:
                    break
                j += 1
                word_start, word_end = spans[j]
                key += text[word_start:word_end]
                low += lower[word_start:word_end]
                if low not in folded_prefixes and key not in exact_prefixes:
                    break
                if low in folded or key in exact:
                    best = word_end
            if best > 0:
                out.append((start, best))
                taken_to = best
        return out
