"""Sex and pregnancy rules; ``label`` is the sex or the pregnancy status asserted."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

# Words that may precede "women"/"men" when they are the subject of the criterion.
_PRE = r"""^\W*(?:(?:adult|healthy|ambulatory|postmenopausal|post-menopausal|premenopausal|
    pre-menopausal|non-pregnant|nonpregnant|young|older|elderly|hospitali[sz]ed|obese|overweight|
    sexually\s+active|all|the|must\s+be)\s+)*"""
# What disqualifies "women ..." as a sex constraint: "women of childbearing potential must ...".
_NOT_SUBJECT = r"""(?!\s*(?:participants?\s+|subjects?\s+|patients?\s+)?
    (?:of\s+(?:child|reproductive|non-child)|who\s+(?:are|is)\s+(?:pregnant|breast|nursing|lactating|of\s+child|able)|
    (?:must|should|need|will|agree|willing|capable|able)|partners?|and|or|/|with\s+partners))"""

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="sex_both",
        kind="sex",
        label="all",
        regex=r"""\b(?:males?\s*(?:and|or|&|and/or|/)\s*females?|females?\s*(?:and|or|&|and/or|/)\s*
        males?|men\s+(?:and|or)\s+women|women\s+(?:and|or)\s+men|both\s+(?:sexes|genders)
        |either\s+(?:sex|gender)|any\s+(?:sex|gender)|all\s+genders|regardless\s+of\s+(?:sex|gender)
        |no\s+limit\s+on\s+(?:the\s+)?(?:sex|gender)|no\s+(?:sex|gender)\s+limit
        |men\s*,\s*women|women\s*,\s*men)\b
        (?![^.;\n]{0,80}?(?:contracept|birth\s+control))   # who must use contraception""",
        examples=(
            "Male or female patients aged 18",
            "Men and women",
            "no limit on the gender",
            "14-70 years old, no gender limit;",
            "Men, women, and children in cardiac arrest",
        ),
        non_examples=(
            "Female patients",
            "Fertile men or women unwilling to use contraceptive techniques",
        ),
        trigger=("male", "men", "women", "sex", "gender"),
    ),
    Pattern(
        name="sex_female_subject",
        kind="sex",
        label="female",
        regex=_PRE + r"(?:females?|women|woman|girls?)\b" + _NOT_SUBJECT,
        examples=(
            "Female patients aged 18 to 50",
            "Postmenopausal women with osteoporosis",
            "Must be women aged 22-45 years",
        ),
        non_examples=(
            "Women of childbearing potential must use contraception",
            "Male or female",
            "Females who are pregnant",
            "A woman is considered to be of childbearing potential if she is postmenarchal",
        ),
        trigger=("female", "women", "woman", "girl"),
    ),
    Pattern(
        name="sex_male_subject",
        kind="sex",
        label="male",
        regex=_PRE + r"(?:males?|men|man|boys?)\b" + _NOT_SUBJECT,
        examples=("Men with prostate cancer", "Male subjects aged 18-45"),
        non_examples=("Male or female", "Males with partners of childbearing potential"),
        trigger=("male", "men", "man", "boy"),
    ),
    Pattern(
        name="sex_field",
        kind="sex",
        regex=r"""\b(?:sex|gender)\s*[:=]\s*(?P<sex>female|male|women|men)\b
        |\b(?P<sex2>female|male|women|men)\s+(?:patients\s+|subjects\s+|participants\s+)?only\b""",
        examples=("Sex: female", "Men only", "female patients only"),
        non_examples=("sex hormone therapy",),
        trigger=("sex", "gender", "only"),
    ),
    Pattern(
        name="sex_must_be",
        kind="sex",
        regex=r"""\b(?:patients?|participants?|subjects?|volunteers?|individuals?)\s+
        (?:must|should|will|need\s+to|have\s+to)\s+be\s+(?:an?\s+)?(?:adult\s+|healthy\s+)?
        (?P<sex>female|male|women|men)\b(?!\s*(?:or|and|/|&))""",
        examples=("Participants must be female", "Subjects should be healthy men aged 18-45"),
        non_examples=("Patients must be male or female", "Participants must be able to read"),
        trigger=("female", "male", "men", "women"),
    ),
    Pattern(
        name="sex_eligible_field",
        kind="sex",
        regex=r"""\bsex(?:es)?\s+eligible(?:\s+for\s+(?:the\s+)?study)?\s*:?\s*
        (?P<sex>female|male|all|both)\b""",
        examples=("Sexes Eligible for Study: Female", "Sexes eligible for study: All"),
        non_examples=("Sex: female",),
        trigger=("eligible",),
    ),
    Pattern(
        name="pregnancy_test",
        kind="pregnancy",
        label="pregnancy_test",
        regex=r"pregnancy\s+tests?|\b(?:serum|urine)\s+(?:beta[\s-]?)?h?CG\b|β-hCG",
        examples=("negative serum pregnancy test at screening",),
        non_examples=("pregnant women",),
        trigger=("pregnan", "hcg"),
    ),
    Pattern(
        name="pregnant",
        kind="pregnancy",
        label="pregnant",
        regex=r"\bpregnan(?:t|cy|cies)\b(?!\s+tests?)|\bexpecting\s+a\s+(?:child|baby)",
        examples=("Pregnant or breastfeeding women", "Pregnancy", "planning a pregnancy"),
        non_examples=("negative pregnancy test",),
        trigger=("pregnan", "expecting"),
    ),
    Pattern(
        name="breastfeeding",
        kind="pregnancy",
        label="breastfeeding",
        regex=r"""\bbreast[\s-]?feed\w*|\blactat(?:ing|ion)\b|\bnursing(?!\s+(?:home|facility|care|staff))
        |\bbreast[\s-]?milk""",
        examples=("Breastfeeding women", "lactating", "pregnant or nursing"),
        non_examples=("nursing home residents",),
        trigger=("breast", "lactat", "nursing"),
    ),
    Pattern(
        name="contraception",
        kind="pregnancy",
        label="contraception",
        regex=r"""\bcontracepti\w+|\bbirth\s+control|\babstinen\w+|\bbarrier\s+methods?
        |\bintrauterine\s+device""",
        examples=("must use effective contraception", "adequate birth control"),
        non_examples=("contraindication to MRI",),
        trigger=("contracep", "birth control", "abstinen", "barrier", "intrauterine"),
    ),
    Pattern(
        name="childbearing_potential",
        kind="pregnancy",
        label="childbearing_potential",
        regex=r"""child[\s-]?bearing\s+(?:potential|age)|\bWOCBP\b|reproductive\s+potential
        |\bpost-?menopausal|surgically\s+steril\w+""",
        examples=("Women of childbearing potential", "WOCBP must agree", "postmenopausal"),
        non_examples=("children",),
        trigger=("child", "wocbp", "reproductive", "menopaus", "steril"),
    ),
)
