"""Short forms and their long names: "Degenerative Disc Disease (DDD)", "ART (antiretroviral
therapy)", and a short form that a criterion defines as another concept than the word list's
("isolated myeloid sarcoma (MS)" is not multiple sclerosis)."""

from __future__ import annotations

import re
from functools import cache

from trialfinder.criteria import lexicon

__all__ = [
    "Mention",
    "abbreviates",
    "is_short_form",
    "merge_short_forms",
    "short_form_definitions",
    "without_redefined",
]

# A bracket that holds one short form: "(allo-SCT)", "(DDD)", "(ART)-naive", "(EGFR-TKI)".
_SHORT_FORM = re.compile(r"\s*\(\s*(?P<short>[A-Za-z0-9][\w+/.-]{0,11}?)\s*\)")
# The same bracket, searched for over a text ("... myeloid sarcoma (MS)"), and how far before it
# its long name may begin.
_BRACKET = re.compile(r"\(\s*(?P<short>[A-Za-z0-9][\w+/.-]{0,11}?)\s*\)")
_LONG_REACH = 200
_TOKEN_GAP = re.compile(r"[^\w+/.-]+")
# A bracket right after an abbreviation that holds its full name: "ART (antiretroviral therapy)".
_LONG_FORM = re.compile(r"\s*\(\s*(?P<long>[^()\n]{4,80}?)\s*\)")
Mention = tuple[int, int, lexicon.Term, str]


def is_short_form(word: str) -> bool:
    """Return True for an abbreviation-like token: two or more letters, one upper-case."""
    # Cheapest test first: most mentions are lower-case words.
    return " " not in word and word.lower() != word and sum(map(str.isalpha, word)) >= 2


def abbreviates(short: str, long: str) -> bool:
    """Return True when ``short`` abbreviates the end of ``long`` (Schwartz and Hearst, 2003).

    Each letter or digit of the short form appears in the long form in order, read from the
    right, and the first one begins a word: "allo-SCT" abbreviates "allogeneic haematopoietic
    stem cell transplantation", "DDD" "Degenerative Disc Disease", not "leg pain".
    """
    if re.search(rf"\b{re.escape(short)}\b", long, re.IGNORECASE):
        return False
    return _long_name_start(short, long) is not None


def _long_name_start(short: str, long: str) -> int | None:
    """Return where the shortest end of ``long`` that ``short`` abbreviates begins, or None.

    Matching each letter as far right as it goes finds the latest possible start.
    """
    letters = [c.lower() for c in short if c.isalnum()]
    if not letters:
        return None
    at = len(long) - 1
    for index in range(len(letters) - 1, -1, -1):
        char = letters[index]
        while at >= 0 and (
            long[at].lower() != char or (index == 0 and at > 0 and long[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    return at + 1


def _words_before(text: str, end: int, count: int) -> str:
    """Return up to ``count`` words of ``text`` that end at ``end``, within the clause."""
    words = re.split(r"(?<=\s)(?=\S)", text[:end])
    before = "".join(words[-count:])
    return re.split(r"[;:.,()\[\]](?:\s|$)|[()\[\]]", before)[-1]


def _bracket_partner(text: str, start: int, end: int) -> tuple[int, int, int, bool] | None:
    """Return the bracket after a mention that names it again, or None.

    The result is the bracket's content span, the bracket's end and whether the content is the
    full name (the mention being its short form).
    """
    short_match = _SHORT_FORM.match(text, end)
    if short_match is not None:
        short = short_match.group("short")
        long = _words_before(text, end, min(len(short) + 5, 2 * len(short)))
        if (
            is_short_form(short)
            # The full name ends with the mention: "NSCLC (EGFR)" is not one.
            and [c for c in short if c.isalnum()][-1].lower() in text[start:end].lower()
            and abbreviates(short, long)
        ):
            return (*short_match.span("short"), short_match.end(), False)
        return None
    long_match = _LONG_FORM.match(text, end)
    if (
        long_match is not None
        and is_short_form(text[start:end])
        # The full name opens the bracket: "ART (antiretroviral therapy)", not "AS (> 17 on
        # the Anxiety Sensitivity Index)".
        and long_match.group("long")[0].lower() == text[start].lower()
        and abbreviates(text[start:end], long_match.group("long"))
    ):
        return (*long_match.span("long"), long_match.end(), True)
    return None


@cache
def _listed_short_forms() -> frozenset[str]:
    """Return the short forms of the condition and therapy lists, as written there."""
    terms = (*lexicon.conditions(), *lexicon.therapies())
    return frozenset(
        name for term in terms for name in (term.concept, *term.synonyms) if is_short_form(name)
    )


def short_form_definitions(text: str) -> dict[str, str]:
    """Return each listed short form that ``text`` defines as "long name (ABBR)", with its
    long name.

    Only short forms of the condition and therapy lists are looked for: they are the ones a
    definition can contradict. The long name is the fewest words before the bracket that the
    short form abbreviates: "isolated myeloid sarcoma (MS)" defines MS as "myeloid sarcoma".
    The first definition of a short form wins.
    """
    found: dict[str, str] = {}
    if "(" not in text:
        return found
    listed = _listed_short_forms()
    for match in _BRACKET.finditer(text):
        short = match.group("short")
        if short in found or short not in listed:
            continue
        # A window before the bracket is enough for the long name and keeps a trial's whole
        # text from being split once per bracket.
        start = max(0, match.start() - _LONG_REACH)
        before = text[start : match.start()]
        words = " ".join(
            _words_before(before, len(before), min(len(short) + 5, 2 * len(short))).split()
        )
        at = _long_name_start(short, words)
        # Not the short form itself among the words ("MS (MS)"); a token test spares
        # ``abbreviates`` a regex compiled for each short form.
        if at is not None and short.lower() not in _TOKEN_GAP.split(words[at:].lower()):
            found[short] = words[at:]
    return found


# Head words that many concepts share, so sharing one says nothing: "progressive disease"
# (PD) is not "Parkinson disease", "concentrated ascites reinfusion therapy" (CART) is not
# "CAR-T cell therapy".
_SHARED_HEADS = frozenset(
    {"disease", "diseases", "disorder", "disorders", "syndrome", "syndromes", "therapy"}
    | {"therapies", "treatment", "treatments"}
)
_PREFIX = 4


def _stems(phrase: str) -> set[str]:
    """Return the first letters of the telling words of ``phrase`` ("systemic" -> "syst")."""
    words = re.findall(r"[a-z]{4,}", phrase.lower())
    return {w[:_PREFIX] for w in words if w not in _SHARED_HEADS}


def _names_concept(long: str, term: lexicon.Term, index: lexicon.TermIndex) -> bool:
    """Return True when a defined long name may be ``term``'s concept.

    It is when the word list finds the concept in it, or when a telling word of it begins as
    a word of one of the concept's names does ("Systematic Sclerosis (SSc)", "Tumor Necrosis
    Factor inhibitor (TNFi)" for "TNF inhibitor"): "myeloid sarcoma" is not "multiple
    sclerosis".
    """
    if any(found.concept == term.concept for _, _, found in index.find(long)):
        return True
    stems = _stems(long)
    return any(not stems.isdisjoint(_stems(name)) for name in (term.concept, *term.synonyms))


def without_redefined(
    text: str,
    mentions: list[Mention],
    index: lexicon.TermIndex,
    definitions: dict[str, str],
) -> list[Mention]:
    """Return ``mentions`` with each short form that the text defines as another concept read
    as that concept (the last one the word list finds in the long name), or dropped."""
    out: list[Mention] = []
    for start, end, term, source in mentions:
        long = definitions.get(text[start:end])
        if long is None or _names_concept(long, term, index):
            out.append((start, end, term, source))
            continue
        inside = index.find(long)
        if inside:
            out.append((start, end, max(inside, key=lambda m: (m[1], m[1] - m[0]))[2], source))
    return out


def merge_short_forms(
    text: str, first: list[Mention], second: list[Mention]
) -> tuple[list[Mention], list[Mention]]:
    """Return both mention lists with a full name and its bracketed short form as one mention.

    "Degenerative Disc Disease (DDD)" is one condition, spanning both, with the full name's
    concept; the short form's own mention (of either list) is dropped. So is the other order,
    "ART (antiretroviral therapy)".
    """
    if "(" not in text or len(first) + len(second) < 2:
        return first, second
    mentions = [(m, 0) for m in first] + [(m, 1) for m in second]
    dropped: set[int] = set()
    grown: dict[int, Mention] = {}
    for index, ((start, end, term, source), _) in enumerate(mentions):
        partner = _bracket_partner(text, start, end)
        if partner is None:
            continue
        inside_start, inside_end, bracket_end, long_inside = partner
        inside = [
            other
            for other, (m, _) in enumerate(mentions)
            if other != index and inside_start <= m[0] and m[1] <= inside_end
        ]
        if not inside:
            continue
        dropped.update(inside)
        if long_inside:
            # The full name is in the bracket: keep its concept, over the whole span.
            longest = max(inside, key=lambda other: mentions[other][0][1] - mentions[other][0][0])
            term, source = mentions[longest][0][2:]
        grown[index] = (start, bracket_end, term, source)
    lists: tuple[list[Mention], list[Mention]] = ([], [])
    for index, (mention, which) in enumerate(mentions):
        if index not in dropped:
            lists[which].append(grown.get(index, mention))
    return lists
