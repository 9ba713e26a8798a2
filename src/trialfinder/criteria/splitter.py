"""Split an eligibility-criteria text block into inclusion and exclusion criteria.

One module serves the engine and the web page alike. Every criterion keeps its span into the
original text (``text == source[start:end]``, the list marker left out), its nesting depth and the
index of its parent in the same list, so nothing is dropped or rewritten.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

Section = Literal["inclusion", "exclusion"]

__all__ = ["CriteriaLists", "CriterionText", "split_criteria", "unescape"]


class CriterionText(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion: its text, span in the source, nesting depth and parent index."""

    text: str
    start: int
    end: int
    depth: int = 0
    parent: int | None = None

    @property
    def display(self) -> str:
        """The text with wrapped lines and runs of blanks collapsed to single spaces."""
        return " ".join(unescape(self.text).split())


class CriteriaLists(msgspec.Struct, frozen=True, kw_only=True):
    """The inclusion and exclusion criteria of one trial, in source order."""

    inclusion: list[CriterionText]
    exclusion: list[CriterionText]


# ClinicalTrials.gov stores markdown: "\>", "\<", "\[", "1\." are escaped punctuation. Some
# records escape an HTML entity as well: "QTc \&gt; 450 ms", "INR \&lt; 1.2".
_ESCAPE = re.compile(r"\\(?=[^\w\s])")
_ENTITY = re.compile(r"\\?&(lt|gt|le|ge);")
_ENTITIES = {"lt": "<", "gt": ">", "le": "≤", "ge": "≥"}
# Older records keep a character their export could not encode as its code point, in R's
# "<U+2264>" form: "eGFR <U+2265> 60", "measuring the <U+0391><U+0392><U+0399>".
_CODE_POINT = re.compile(r"<U\+(?P<hex>[0-9A-Fa-f]{4,5})>")


def _entity(match: re.Match[str]) -> str:
    """Return the comparator an entity stands for, blank-padded to the entity's length."""
    return " " * (len(match.group()) - 1) + _ENTITIES[match.group(1)]


def _code_point(match: re.Match[str]) -> str:
    """Return the character a "<U+2264>" escape stands for, blank-padded to its length."""
    return " " * (len(match.group()) - 1) + chr(int(match.group("hex"), 16))


def unescape(text: str) -> str:
    """Return ``text`` with markdown backslash escapes blanked out, the comparator entities
    ("&gt;") and code-point escapes ("<U+2265>") read; the length is unchanged."""
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "<U+" in text:
        text = _CODE_POINT.sub(_code_point, text)
    return _ESCAPE.sub(" ", text) if "\\" in text else text


# A list marker at the start of a line: bullets, "1." "1)" "(1)" "a." "iv)" "A.".
_MARKER = re.compile(
    r"""^(?P<indent>[ \t]*)
    (?P<marker>
        [*\-•·●○■□▪◦–—o>+](?=\s)         # bullet characters ("o" is Word's hollow bullet)
      | \(?\d{1,3}(?:\\?[.)]\d{0,2})+    # 1.  1)  (1)  1.2.  1\.
      | \(?(?:[ivx]{1,4}|[IVX]{1,4})[.)]  # roman numerals i. iv)
      | \(?[a-zA-Z][.)]                    # letters a. b) (c)
    )
    (?P<gap>[ \t]+|$)""",
    re.VERBOSE,
)

# A line that opens a section: "Inclusion Criteria:", "KEY EXCLUSION CRITERIA", "Exclusion:".
_HEADER = re.compile(
    r"""^[ \t]*(?:[*\-•][ \t]*)?             # XML records put a bullet before the header
    (?P<label>
      (?:[\w/()&,'-]+[ \t]+){0,6}?           # "Key", "Patient", "Part 2 additional", ...
      (?P<section>inclusion|exclusion|include|exclude|eligibility|ineligibility|non-inclusion)
      (?:[ \t]+(?:criteria|criterion|requirements?|conditions?))?
      (?:[ \t]*\([^)\n]{0,60}\))?            # "(Parts 1 and 2)"
      (?:[ \t]+(?:for|specific|to|of|at|in|prior)[^:\n]{0,60})?
    )
    [ \t]*(?P<colon>:|-|\.)?[ \t]*(?P<rest>.*)$""",
    re.VERBOSE | re.IGNORECASE,
)

_TERMINATOR = (".", ";", ":", "?", "!")


class _Line(msgspec.Struct):
    start: int  # offset of the text (after the marker) in the source
    end: int  # offset of the last non-blank character + 1
    indent: int  # column of the marker, or of the text when there is no marker
    text_col: int  # column where the text starts
    marker: str  # "" when the line has no marker
    marker_kind: str


def _marker_kind(marker: str) -> str:
    core = marker.strip("()").rstrip(".)").replace("\\", "")
    if core.isdigit() or re.fullmatch(r"\d+(?:[.)]\d*)*", core):
        return "number"
    if marker[0] in "*-•·●○■□▪◦–—o>+" and len(marker) == 1:
        return "bullet:" + marker
    if re.fullmatch(r"[ivx]+", core):
        return "roman"
    if re.fullmatch(r"[IVX]+", core):
        return "ROMAN"
    if core.islower():
        return "letter"
    return "LETTER"


def _may_be_header(text: str) -> bool:
    """Return False when ``_HEADER`` cannot match: a cheap screen run on every line first."""
    if not text.isascii():
        return True  # case-insensitive matching of non-ASCII letters is left to the regex
    # Every section word of _HEADER holds one of these; most lines hold none of them.
    lower = text.lower()
    return "inclu" in lower or "exclu" in lower or "eligib" in lower


def _section_of(text: str) -> tuple[Section, str] | None:
    """Return the section a header line opens and the text after the header, or None."""
    if len(text) > 140:
        return None
    if not _may_be_header(text):
        return None
    match = _HEADER.match(text)
    if match is None:
        return None
    word = match["section"].lower()
    label = match["label"].lower()
    rest = match["rest"]
    if rest and match["colon"] != ":":
        return None  # "Include patients who ..." is a criterion, not a header
    if match["colon"] != ":" and "criteri" not in label and len(label.split()) > 1:
        return None  # "Exclusion of pregnancy" is a criterion too
    excluding = word in {"exclusion", "exclude", "ineligibility", "non-inclusion"}
    return ("exclusion" if excluding else "inclusion"), rest


def _scan(text: str) -> list[_Line | None]:
    """Cut ``text`` into lines; blank lines become None."""
    lines: list[_Line | None] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.rstrip()
        if not stripped.strip():
            lines.append(None)
        else:
            match = _MARKER.match(stripped)
            indent = len(body) - len(body.lstrip(" \t"))
            if match and match.end() < len(stripped):
                text_col = match.end()
                marker = match["marker"]
                lines.append(
                    _Line(
                        offset + text_col,
                        offset + len(stripped),
                        indent,
                        text_col,
                        marker,
                        _marker_kind(marker),
                    )
                )
            else:
                lines.append(_Line(offset + indent, offset + len(stripped), indent, indent, "", ""))
        offset += len(raw)
    return lines


class _Open(msgspec.Struct):
    """An item being built: where it starts and ends, and how it was introduced."""

    start: int
    end: int
    indent: int
    text_col: int
    marker_kind: str
    is_heading: bool
    depth: int
    parent: int | None


def split_criteria(text: str) -> CriteriaLists:
    """Return the inclusion and exclusion criteria of an eligibility text, with spans.

    Text before any header, and text with no header at all, counts as inclusion.
    """
    lists: dict[Section, list[CriterionText]] = {"inclusion": [], "exclusion": []}
    section: Section = "inclusion"
    items: list[_Open] = []  # items of the current section, in order
    stack: list[int] = []  # indices into items: the open ancestors of the next item
    previous: _Line | None = None
    blank_before = True

    def flush() -> None:
        for item in items:
            lists[section].append(
                CriterionText(
                    text=text[item.start : item.end],
                    start=item.start,
                    end=item.end,
                    depth=item.depth,
                    parent=item.parent,
                )
            )
        items.clear()
        stack.clear()

    def open_item(line: _Line, start: int, is_heading: bool) -> None:
        # Pop ancestors that this line does not sit inside.
        while stack:
            top = items[stack[-1]]
            if line.indent > top.indent and (line.marker or line.indent >= top.text_col):
                break
            if line.indent == top.indent and top.is_heading and line.marker and not top.marker_kind:
                break  # "Hepatic:" then "* Bilirubin ..." at the same column
            if (
                line.indent == top.indent
                and line.marker
                and top.marker_kind
                and line.marker_kind != top.marker_kind
                and not top.marker_kind.startswith("bullet")
                and line.marker_kind in {"letter", "roman", "LETTER"}
                and all(items[i].marker_kind != line.marker_kind for i in stack)
            ):
                break  # "1." then "a." at the same column: a sub-list
            stack.pop()
        parent = stack[-1] if stack else None
        depth = items[parent].depth + 1 if parent is not None else 0
        items.append(
            _Open(
                start,
                line.end,
                line.indent,
                line.text_col,
                line.marker_kind,
                is_heading,
                depth,
                parent,
            )
        )
        stack.append(len(items) - 1)

    for line in _scan(text):
        if line is None:
            blank_before = True
            continue
        body = text[line.start : line.end]
        header = _section_of(text[line.start - (line.text_col - line.indent) : line.end])
        if header is not None:
            flush()
            section = header[0]
            rest = header[1]
            if rest:
                rest_start = line.end - len(rest)
                nested = _MARKER.match(rest)
                if nested and nested.end() < len(rest):
                    rest_start += nested.end()
                open_item(
                    _Line(rest_start, line.end, line.indent + 1, line.indent + 1, "", ""),
                    rest_start,
                    rest.endswith(":"),
                )
            previous, blank_before = None, False
            continue
        if not line.marker and items and previous is not None:
            last = items[-1]
            wraps = not blank_before and (
                line.indent >= last.text_col > last.indent
                or (
                    not body.startswith(("(", "["))
                    and not text[previous.start : previous.end].endswith(_TERMINATOR)
                    and (
                        body[:1].islower()
                        or previous.end - previous.start + previous.text_col >= 60
                    )
                )
            )
            inside = blank_before and last.marker_kind and line.indent >= last.text_col
            if wraps or inside:
                last.end = line.end
                previous, blank_before = line, False
                continue
        is_heading = body.endswith(":") and not line.marker
        open_item(line, line.start, is_heading or body.endswith(":"))
        previous, blank_before = line, False
    flush()
    return CriteriaLists(inclusion=lists["inclusion"], exclusion=lists["exclusion"])
