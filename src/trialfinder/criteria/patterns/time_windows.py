"""Time-window rules: "within 6 months prior to screening", "at least 4 weeks before"."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

_ANCHOR = r"""(?:\s+(?:the\s+)?(?P<rel>prior\s+to|before|preceding|of|from|since|after|following)
    \s+(?P<anchor>(?:the\s+)?[^,;.()\n]{1,50}?)(?=[,;.()\n]|\s+(?:and|or|with|if|unless)\b|$))?"""

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="window_within",
        kind="time_window",
        label="within",
        regex=r"""\b(?:within|in|during|over)\s+(?:the\s+)?(?:last|past|previous|preceding|prior)?\s*
        (?P<value>{NUM})\s*(?P<unit>{TIME_UNIT})"""
        + _ANCHOR,
        examples=(
            "biopsy must be performed within 6 months prior to screening",
            "Diagnosed with malignant tumors in the last five years",
            "within 3 months before enrollment",
            "during the past 12 months",
        ),
        non_examples=("at least 4 weeks before", "in 2019"),
        trigger=("year", "month", "week", "day", "hour", "yr", "wk", "mo", "half"),
        needs_number=True,
        starts=("within", "in", "during", "over"),
    ),
    Pattern(
        name="window_last_unit",
        kind="time_window",
        label="within",
        regex=r"""\b(?:within|in|during|over)\s+the\s+(?:last|past|previous|preceding)\s+
        (?P<unit>year|month|week|day)\b"""
        + _ANCHOR,
        examples=("in the past year", "within the last month"),
        non_examples=("in the past",),
        trigger=("year", "month", "week", "day", "hour", "yr", "wk", "mo", "half"),
        starts=("within", "in", "during", "over"),
    ),
    Pattern(
        name="window_at_least",
        kind="time_window",
        label="at_least",
        regex=r"""(?:(?:at\s+least|a\s+minimum\s+of|minimum\s+of|more\s+than|greater\s+than|over|
        longer\s+than|≥|>=?)\s*)(?P<value>{NUM})\s*(?P<unit>{TIME_UNIT})\s+
        (?:have\s+(?:passed|elapsed)\s+)?(?P<rel>prior\s+to|before|since|from|after|following|ago)
        (?:\s+(?P<anchor>(?:the\s+)?[^,;.()\n]{1,50}?)(?=[,;.()\n]|\s+(?:and|or|with)\b|$))?""",
        examples=("at least 4 weeks before", "At least 5 years since prior chemotherapy"),
        non_examples=("within 4 weeks before",),
        trigger=("year", "month", "week", "day", "hour", "yr", "wk", "mo", "half"),
        needs_number=True,
        starts=("{CMP}", "longer", "longerthan"),
    ),
    Pattern(
        name="window_less_than_ago",
        kind="time_window",
        label="within",
        regex=r"""(?:less\s+than|fewer\s+than|<|≤|no\s+more\s+than|up\s+to)\s*(?P<value>{NUM})\s*
        (?P<unit>{TIME_UNIT})\s+(?P<rel>prior\s+to|before|ago|preceding|since|from)"""
        + r"""(?:\s+(?P<anchor>(?:the\s+)?[^,;.()\n]{1,50}?)(?=[,;.()\n]|\s+(?:and|or)\b|$))?""",
        examples=("less than 6 months before randomization", "< 3 months prior to screening"),
        non_examples=("at least 6 months before",),
        trigger=("year", "month", "week", "day", "hour", "yr", "wk", "mo", "half"),
        needs_number=True,
        starts=("{CMP}",),
    ),
    Pattern(
        name="window_bare_prior",
        kind="time_window",
        label="within",
        confidence=0.6,
        regex=r"""(?<![\w≥>])(?<!within\s)(?<!least\s)(?<!than\s)(?<!of\s)(?P<value>{NUM})\s*(?P<unit>{TIME_UNIT})\s+
        (?P<rel>prior\s+to|before|preceding)\s+(?P<anchor>(?:the\s+)?[^,;.()\n]{1,50}?)
        (?=[,;.()\n]|\s+(?:and|or)\b|$)""",
        examples=("used other anticancer drugs 4 weeks prior to the first administration",),
        non_examples=("within 4 weeks prior to dosing", "at least 4 weeks prior to dosing"),
        trigger=("year", "month", "week", "day", "hour", "yr", "wk", "mo", "half"),
        needs_number=True,
        starts=("{NUM}",),
    ),
)
