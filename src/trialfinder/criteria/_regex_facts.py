"""Where a row's regex can match, read from the standard library's own parse tree.

``leading_strings`` gives the strings that every match begins with, so that a row is tried
only where one of them occurs. They are lower-case and hold in ASCII text, where a
case-insensitive literal matches exactly its two ASCII cases.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

__all__ = ["leading_strings"]

# The standard library's own regex parser (``sre_parse``): its trees are read, never built.
_REGEX_PARSER: Any = import_module("re._parser")
_ASCII = tuple(chr(i) for i in range(128))
_MAX_PREFIX = 4  # characters
_MAX_PREFIXES = 256
_MAX_CHOICES = 12  # characters one position may take before the prefix stops there
_Prefixes = tuple[frozenset[str], bool]  # the prefixes, and whether the part was read to its end


def _ascii_matching(code: int) -> frozenset[str]:
    """Return the lower-cased ASCII characters a case-insensitive literal ``chr(code)`` matches."""
    literal = re.compile(re.escape(chr(code)), re.IGNORECASE)
    return frozenset(c.lower() for c in _ASCII if literal.fullmatch(c))


_CATEGORIES = {
    "CATEGORY_DIGIT": frozenset("0123456789"),
    "CATEGORY_WORD": frozenset(c.lower() for c in _ASCII if re.fullmatch(r"\w", c)),
    "CATEGORY_SPACE": frozenset(c for c in _ASCII if re.fullmatch(r"\s", c)),
}


def _class_chars(items: Any) -> frozenset[str] | None:
    """Return the lower-cased ASCII characters a ``[...]`` class matches, or None if unsure."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out |= _ascii_matching(av)
        elif name == "RANGE":
            low, high = av
            if high >= 128:
                return None
            out |= {c.lower() for c in _ASCII if low <= ord(c.lower()) <= high}
            out |= {c.lower() for c in _ASCII if low <= ord(c.upper()) <= high}
        elif name == "CATEGORY" and str(av) in _CATEGORIES:
            out |= _CATEGORIES[str(av)]
        else:
            return None  # NEGATE, \D, \W, \S: give up rather than reason about them
    return frozenset(out)


def _extend(prefixes: frozenset[str], chars: frozenset[str]) -> _Prefixes:
    """Return every prefix followed by every character; incomplete when it grows too long."""
    if len(chars) > _MAX_CHOICES or len(prefixes) * len(chars) > _MAX_PREFIXES:
        return prefixes, False
    out = frozenset(p + c for p in prefixes for c in chars)
    return out, all(len(p) < _MAX_PREFIX for p in out)


def _walk(items: Any, prefixes: frozenset[str]) -> _Prefixes:
    """Return the prefixes that matches of ``items`` begin with, each after one of ``prefixes``.

    Read to the end (True) means every string is the whole of what the items can match; when
    unsure the walk stops and says so, and the strings are still prefixes of every match.
    Look-arounds and anchors match nothing, so they are stepped over.
    """
    for op, av in items:
        name = str(op)
        if name in {"AT", "ASSERT", "ASSERT_NOT"}:
            continue
        if name == "LITERAL":
            prefixes, complete = _extend(prefixes, _ascii_matching(av))
        elif name == "IN":
            chars = _class_chars(av)
            if chars is None:
                return prefixes, False
            prefixes, complete = _extend(prefixes, chars)
        elif name in {"SUBPATTERN", "ATOMIC_GROUP"}:
            body = av[-1] if name == "SUBPATTERN" else av  # (group, flags on, flags off, body)
            prefixes, complete = _walk(body, prefixes)
        elif name == "BRANCH":
            found: set[str] = set()
            complete = True
            for branch in av[1]:  # (None, [alternatives])
                more, whole = _walk(branch, prefixes)
                found |= more
                complete = complete and whole
            if len(found) > _MAX_PREFIXES:
                return prefixes, False
            prefixes = frozenset(found)
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            least, most, body = av
            more, whole = _walk(body, prefixes)
            if least == 0:
                more = prefixes | more
            if len(more) > _MAX_PREFIXES:
                return prefixes, False
            # Read to the end only when the part is taken at most once.
            prefixes, complete = more, whole and most == 1
        else:
            return prefixes, False
        if not complete:
            return prefixes, False
    return prefixes, True


def leading_strings(regex: str) -> frozenset[str] | None:
    """Return the strings that every match of ``regex`` (an expanded row regex, compiled
    case-insensitive and verbose) begins with, or None when none can be told."""
    try:
        parsed = _REGEX_PARSER.parse(regex, re.IGNORECASE | re.VERBOSE)
    except re.error:
        return None
    prefixes, _ = _walk(parsed, frozenset({""}))
    if not prefixes or "" in prefixes:
        return None
    return prefixes
