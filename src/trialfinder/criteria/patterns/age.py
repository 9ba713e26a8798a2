"""Age rules: ranges, comparators and "or older" forms, with the unit written."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

# The word "age" and what may stand between it and the number; a gestational or bone age is not
# the patient's age in years ("gestational age of less than 33 weeks").
_AGE = r"""\b(?<!gestational\s)(?<!bone\s)(?:age[ds]?|patient\s+age)\b
    (?:\s*(?:of|:|is|was|must\s+be|should\s+be|at\s+(?:screening|enrol+ment|inclusion|entry|
        randomi[sz]ation|the\s+time\s+of\s+\w+(?:\s+\w+)?)|\(years\)|range|between|from|ranging))*\s*"""

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="age_range_keyword",
        kind="age",
        regex=_AGE
        + r"""(?P<low>{NUM})\s*(?P<lunit>{AGE_UNIT})?\s*(?:old\s*)?
        (?:-|–|—|~|to|and|through|until)\s*                 # range separator
        (?P<hop><=?|≤|less\s+than)?\s*(?P<high>{NUM})\s*(?P<unit>{AGE_UNIT})?""",
        examples=(
            "Age 6-18 years old (including critical value)",
            "aged 18 to 65 years",
            "Age: 18-75",
            "Patients aged between 40 and 80 years",
            "Children aged 2 to <12 years",
        ),
        non_examples=("stage 2-3 disease", "aged care facility"),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=("age", "aged", "ages", "patient"),
    ),
    Pattern(
        name="age_range_of_age",
        kind="age",
        regex=r"""(?:between\s+)?(?P<low>{NUM})\s*(?P<lunit>{AGE_UNIT})?\s*
        (?:-|–|—|to|and|through)\s*(?P<high>{NUM})\s*(?P<unit>{AGE_UNIT})[\s-]*
        (?:old|of\s+age|age\b|inclusive\s+of\s+age)""",
        examples=(
            "Males and females 18-45 years of age",
            "between 18 and 75 years of age",
            "18 to 70 years old",
        ),
        non_examples=("history of 5-10 years of smoking", "between 6 and 12 months after surgery"),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=("between", "{NUM}"),
    ),
    Pattern(
        name="age_comparator_keyword",
        kind="age",
        regex=_AGE
        + r"""(?:(?!\)?\s*(?:or|and)\b)[^\d.;]){0,12}?  # "aged (at enrolment)", not "age) or"
        (?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{AGE_UNIT})?""",
        examples=("Age ≥18 years", "aged at least 18", "Age >= 65 years", "age over 18 years"),
        non_examples=(
            "Page 18",
            "average at least 18 hours",
            "Premature infants with gestational age of less than 33 weeks",
            "(for participants >=16 years of age) or >=50 percent",
            "at least 21 years of age and no more than 80 years",
        ),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=("age", "aged", "ages", "patient"),
    ),
    Pattern(
        name="age_comparator_of_age",
        kind="age",
        regex=r"""(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{AGE_UNIT})[\s-]*
        (?:old|of\s+age|age\b)""",
        examples=("≥18 years of age", "at least 18 years old", "younger than 65 years of age"),
        non_examples=("at least 18 years of smoking", "more than 5 years ago"),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=("{CMP}",),
    ),
    # The comparator before "the age of": "over the age of 18", "under the age of 65 years".
    Pattern(
        name="age_comparator_the_age_of",
        kind="age",
        regex=r"""(?!up\s+to\b)(?P<op>{CMP})\s*(?:the\s+)?age\s+(?:of\s+)?(?P<value>{NUM})\s*
        (?P<unit>{AGE_UNIT})?""",
        examples=(
            "Subject must be over the age of 18 years old.",
            "under the age of 65",
            "Over age 18",
        ),
        non_examples=(
            "over the age-adjusted limit of 5",
            "at the age of 18",
            "women of childbearing potential (up to age 55)",
        ),
        trigger=("age",),
        needs_number=True,
        starts=("{CMP}",),
    ),
    Pattern(
        name="age_or_older",
        kind="age",
        regex=r"""(?<!within\s)(?<!\bfor\s)(?<!than\s)(?<!least\s)(?<!last\s)(?<!past\s)
        (?<![\d.,])(?<!expectancy\sof\s)                  # not "12" of "112", not a life expectancy
        (?P<value>{NUM})\s*
        (?!(?:months?|mos?|weeks?|wks?|days?)\b[\s-]*,?\s*  # "12 months or more": a duration
          (?:or|and)\s+(?:more|greater|less|above|below|under)\b)
        (?P<unit>{AGE_UNIT})[\s-]*(?:old\s*|of\s+age\s*|age\s*)?,?\s*
        (?P<post>or\s+(?:older|over|above|greater|more)|and\s+(?:older|over|above)|\+
        |or\s+(?:younger|less|under|below)|and\s+(?:younger|under|below))""",
        examples=(
            "18 years of age or older",
            "65 years and over",
            "aged 18 years or older",
            "Male and female patients, 8 months of age or older",
            "6 months and over",
        ),
        non_examples=(
            "within 5 years or more",
            "18 patients or more",
            "if they have been amenorrheic for 12 months or more",
            "Patients with predicted life expectancy of 12 months or more",
            "PSA values obtained 1 week or more apart",
        ),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=("{NUM}",),
    ),
    Pattern(
        name="age_keyword_or_older",
        kind="age",
        regex=r"""\bage[ds]?(?:\s*:\s*|\s+)(?P<value>{NUM})\s*(?P<unit>{AGE_UNIT})?[\s-]*(?:old\s*)?,?
        \s*(?P<post>or\s+(?:older|over|above|greater|more)|and\s+(?:older|over|above)
        |(?:or|and)\s+(?:younger|less|under|below))""",
        examples=(
            "Only patients aged 18 or older",
            "aged 65 and over",
            "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: ECOG 0-2",
            "Age: 30 and under",
        ),
        non_examples=("aged 18 years",),
        trigger=("age",),
        needs_number=True,
        starts=("age", "aged", "ages"),
    ),
    Pattern(
        name="age_older_than",
        kind="age",
        regex=r"""(?P<op>older\s+than|younger\s+than)\s*(?P<value>{NUM})\s*(?P<unit>{AGE_UNIT})?""",
        examples=("Patients older than 18 years", "younger than 65"),
        non_examples=("older patients",),
        trigger=("older", "young"),
        needs_number=True,
        starts=("older", "younger"),
    ),
    Pattern(
        name="age_adult_parenthesis",
        kind="age",
        regex=r"""\b(?:adults?|children|adolescents?|participants?|patients?|subjects?|
        (?:wo)?men|males?|females?)\s*\(\s*(?P<op>{CMP})\s*(?P<value>{NUM})\s*
        (?P<unit>{AGE_UNIT})?""",
        examples=("Adults (≥ 18 years)", "Women (> 45 years)"),
        non_examples=("Adults (see appendix)",),
        trigger=("age", "year", "yr", "old", "month", "y.o"),
        needs_number=True,
        starts=(
            "adult",
            "adults",
            "children",
            "adolescent",
            "adolescents",
            "participant",
            "participants",
            "patient",
            "patients",
            "subject",
            "subjects",
            "men",
            "women",
            "male",
            "males",
            "female",
            "females",
        ),
    ),
    Pattern(
        name="age_inclusive_note",
        kind="inclusive",
        regex=r"""including\s+(?:the\s+)?(?:critical|boundary|cut-?off|limit)\s+values?
        |\binclusive\b|both\s+inclusive""",
        examples=("Age 6-18 years old (including critical value)", "18 to 65 years inclusive"),
        non_examples=("including children",),
        trigger=("includ", "inclusive"),
    ),
    Pattern(
        name="age_chain",
        kind="age_chain",
        regex=r"""(?:\s*(?:old|of\s+age))?\s*,?\s*(?:and|but|&)\s*          # "years old and"
        (?P<op>{CMP})\s*(?P<value>{NUM})                            # the second bound
        (?:\s*(?P<unit>{AGE_UNIT})|(?=\s*(?:[,;.)]|$)))             # a unit, or nothing after""",
        examples=(" old and ≤75 years", " and ≤ 70 years", " and < 65"),
        non_examples=(" and ≥ 2 lesions", " and 2 prior lines"),
    ),
)
