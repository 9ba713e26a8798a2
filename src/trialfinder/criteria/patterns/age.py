"""Age rules: ranges, comparators and "or older" forms, with the unit written."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

# The word "age" and what may stand between it and the number; a gestational or bone age is not
# the patient's age in years ("gestational age of less than 33 weeks").
# The "age" of "18 years of age" ends that age, it does not begin the next one ("≥ 18 years of
# age, ≤ 80 years of age").
_AGE = r"""\b(?<!gestational\s)(?<!bone\s)(?<!years\sof\s)(?<!year\sof\s)(?<!months\sof\s)
    (?:age[ds]?|patient\s+age)\b
    (?:\s*(?:of|:|is|was|must\s+be|should\s+be|at\s+(?:screening|enrol+ment|inclusion|entry|
        randomi[sz]ation|the\s+time\s+of\s+\w+(?:\s+\w+)?)|\(years\)|range|between|from|ranging))*\s*"""

# Who may take part, as a criterion opens by naming them before an age with no word "age":
# "Adults ≥22 and ≤80 years", "Females, over 18 years", "Children 6 month to 14 years". Only at
# the start (a few words may come first: "Male or female", "Skeletally mature"): later in a
# criterion a person with an age is a subgroup ("SF > 35% for children < 3 years") or someone
# else ("avoid ... children under 3 years").
_PERSON = r"""^\W*(?:[^\W\d]+[\s,/-]+){0,5}?         # "Male or female", "Skeletally mature"
    (?:adults?|patients?|participants?|subjects?|volunteers?|individuals?|persons?|people
    |children|adolescents?|infants?|(?:wo)?men|males?|females?|boys?|girls?)\b"""

# What follows an age, never a duration: "≥ 5 years from diagnosis", "≥ 3 months post-transplant",
# "≥ 2 years of follow-up" are times, not the patient's age.
_NOT_A_DURATION = r"""(?![\s-]*(?:of\s+(?!age)|from|since|after|before|prior|post|ago|follow
    |duration|disease|in\s+remission|free|out\b|history|on\b|beyond|elapsed
    |must\s+have|should\s+have|may\b|need))                 # "Patients ≥ 70 years must have ..."
"""

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
        \s*(?P<post>or\s+(?:older|over|above|greater|more)|and\s+(?:older|over|above|more)
        |(?:or|and)\s+(?:younger|less|under|below))""",
        examples=(
            "Only patients aged 18 or older",
            "Age 19 and more",
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
    # Two comparator bounds with no word "age" before them, the second ending like an age:
    # "Patients must be ≥ 11 and < 25 years of age", "≥ 6 and < 24 months old". The first bound
    # is read here, the second by ``age_chain``; the first has the second's unit (``next_unit``).
    Pattern(
        name="age_comparator_pair",
        kind="age",
        regex=r"""(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<lunit>{AGE_UNIT})?          # "≥ 11"
        (?=\s*,?\s*(?:and|&|to|-|–)\s*{CMP}\s*{NUM}\s*                  # "and < 25"
          (?P<next_unit>{AGE_UNIT})[\s-]*                                 # "years"
          (?:old|of\s+age|age\b))                                         # "of age"
        """,
        examples=(
            "Patients must be >= 11 and < 25 years of age at enrollment",
            "≥ 6 and < 24 months old",
            "Males and females > 40 and < 75 years of age",
        ),
        non_examples=("≥ 2 and ≤ 5 years of treatment", "≥ 3 lesions and < 5 years of age"),
        trigger=("age", "old"),
        needs_number=True,
        starts=("{CMP}",),
    ),
    # A person, then a comparator and an age with its unit: "Females, over 18 years",
    # "Participant must be ≥ 18 years at the time of screening", "Adults ≥22 and ≤80 years".
    Pattern(
        name="age_person_comparator",
        kind="age",
        regex=_PERSON
        + r"""(?:\s*,\s*|\s+(?:(?:must|should|shall|will|who|that|are|is|be|being|aged?)\s+){0,3})
        (?P<op>{CMP})\s*(?P<value>{NUM})\s*                             # "≥ 18"
        (?:(?P<unit>years?|yrs?|months?)\b"""
        + _NOT_A_DURATION
        + r"""|(?=\s*,?\s*(?:and|&|to|-|–)\s*{CMP}\s*{NUM}\s*(?P<next_unit>years?|yrs?|months?)\b))
        # or no unit yet, a second bound with one: "≥22 and ≤80 years"
        """,
        examples=(
            "Females, over 18 years, with histologically confirmed cancer",
            "Participant must be ≥ 18 years at the time of screening.",
            "Skeletally mature adults ≥22 and ≤80 years at the time of surgery",
            "Patients <18 years,",
            "Men and women older than 40 years",
        ),
        non_examples=(
            "Patients must be ≥ 5 years from diagnosis",
            "SF > 29% (> 35% for children < 3 years)",
            "Patients >= 70 years must have a performance status of 0-2",
            "patients who are ≥ 3 months post-transplant",
            "patients with ≥ 2 years of follow-up",
            "Patients must be disease free for at least 3 years",
            "patients ≥ 2 lesions",
        ),
        trigger=("year", "yr", "month"),
        needs_number=True,
    ),
    # A person, then an age range with its unit: "Children 6 month to 14 years", "women 18-45
    # years"; not a time ("patients 2 to 5 years after transplant").
    Pattern(
        name="age_person_range",
        kind="age",
        regex=_PERSON
        + r"""(?:\s*,\s*|\s+(?:(?:aged?|of|from|between|who\s+are|are)\s+)?)
        (?P<low>{NUM})\s*(?P<lunit>{AGE_UNIT})?\s*(?:-|–|to|and)\s*           # "6 month to"
        (?P<high>{NUM})\s*(?P<unit>years?|yrs?|months?)\b"""  # "14 years"
        + _NOT_A_DURATION,
        examples=(
            "Children 6 month to 14 years who will be presented to the emergency",
            "Healthy women 18-45 years",
            "Infants aged 2 to 12 months",
        ),
        non_examples=("patients 2 to 5 years after transplant", "patients 3-6 months post-op"),
        trigger=("year", "yr", "month"),
        needs_number=True,
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
    # The other side of an excluded middle after a one-sided age: "Age < 18 or > 70 years",
    # "age less than 18 or greater than 65"; the applier keeps it only beyond the first bound.
    Pattern(
        name="age_other_side",
        kind="age_chain",
        regex=r"""(?:\s*{AGE_UNIT})?(?:\s*(?:old|of\s+age))?\s*,?\s*or\s+    # "years or"
        (?P<op>{CMP})\s*(?P<value>{NUM})                            # the other bound
        (?:\s*(?P<unit>{AGE_UNIT})|(?=\s*(?:[,;.)]|$)))             # a unit, or nothing after""",
        examples=(" or > 70 years", " years or greater than 65", " or older than 80 years."),
        non_examples=(" or ≥ 2 lesions", " or 2 prior lines"),
    ),
    Pattern(
        name="age_chain",
        kind="age_chain",
        regex=r"""(?:\s*(?:old|of\s+age))?\s*,?\s*             # "years old", "years of age,"
        (?:(?:and|but|&|to|-|–)\s*)?                                # "and", or side by side
        (?P<op>{CMP})\s*(?P<value>{NUM})                            # the second bound
        (?:\s*(?P<unit>{AGE_UNIT})|(?=\s*(?:[,;.)]|$)))             # a unit, or nothing after""",
        examples=(" old and ≤75 years", " and ≤ 70 years", " and < 65", " of age < 75 years"),
        non_examples=(" and ≥ 2 lesions", " and 2 prior lines"),
    ),
)
