"""Sex and pregnancy rules; ``label`` is the sex or the pregnancy status asserted."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

# Words that may precede "women"/"men" when they are the subject of the criterion, an age first
# among them ("20-40 years old women").
_PRE = r"""^\W*
    (?:(?=[\d<>≤≥=])(?:{CMP}\s*)?\d+(?:\s*(?:-|–|to)\s*\d+)?\s*(?:years?|yrs?)[\s-]*
      (?:old|of\s+age)?\s*,?\s*)?
    (?:(?:adult|healthy|ambulatory|postmenopausal|post-menopausal|premenopausal|
    pre-menopausal|non-pregnant|nonpregnant|young|older|elderly|hospitali[sz]ed|obese|overweight|
    sexually\s+active|all|the|must\s+be)\s+)*
    (?:(?!(?:no|not|non|without|pregnan\w*|lactating|nursing|breast|breast-?feeding|fertile|sexually
    |a|an|any|that|which|we|you|they|it|there|born
    |each|every|of|for|in|to|with|than|from|by|among|if|when|who|all|and|or
    |males?|females?|m[ae]n|wom[ae]n|boys?|girls?)\b)   # not a stop word nor a sex
    (?:[^\W\d]|&)[\w&\-]*\s*[,:\-–]?\s+          # a word: "obese", "Japanese", "parous &"
    (?:(?:and|or|&)\s+)?){0,3}?
"""
# What disqualifies "women ..." as a sex constraint: "women of childbearing potential must ...".
_NOT_SUBJECT = r"""(?!\s*(?:(?:participants?|subjects?|patients?)\b\s*)?
    (?:of\s+(?:child|reproductive|non-child)
    # pregnancy, plans and unwillingness: "currently pregnant", "contemplating pregnancy"
    |(?:(?:who|that|which)\s+(?:are|is)\s+)?(?:currently\s+|actively\s+|known\s+to\s+be\s+)?
      (?:pregnant|breast[\s-]?feed|nursing|lactating|contemplating|planning|intending|trying
      |unable|unwilling|not\s+willing)
    |(?:who|that)\s+(?:are|is)\s+(?:of\s+child|able|willing|sexually)
    |who\s+(?:agrees?|must|will|should)\b            # "Man who agrees to take precautions"
    |who\s+(?:have|has|engage\s+in)\s+(?:sex|sexual|intercourse)    # sexual activity
    |steril[iy]\w*                                   # "Female sterilization (…)"
    |,?\s*(?:unless|even\s+if)\b                     # "Female subjects, unless post-menopausal"
    # a definition: "Women ≥ 50 years old will be considered postmenopausal if"
    |[^.;\n]{0,40}?\b(?:will|would|shall)\s+be\s+consider\w*
    |
    (?:must|should|need|will|agree|willing|capable|able)|partners?|and|or|/|with\s+(?:an?\s+)?(?:\w+\s+)?partners?
    |(?:is|are)\s+(?:considered|defined|not)|:\s*\d
    # a threshold for one sex: "QTcF: males > 450 ms", "Hemoglobin: male < 13 g/dL"
    |:?\s*(?:{CMP})\s*{NUM}\s*(?:{UNIT})))"""

# Up to two words between "is a" and the sex, neither a sex, "or"/"and" nor a preposition:
# "Are an HIV-positive woman", not "Are born to women".
_BETWEEN = (
    r"(?:(?!(?:fe)?males?\b|m[ae]n\b|wom[ae]n\b|(?:or|and|to|of|for|by|from)\b)[\w-]+\s+){0,2}?"
)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="sex_both",
        kind="sex",
        label="all",
        # Not after "for" or "in both": "BMI < 20 for both sexes", "> 460 ms in both males and
        # females" qualify a threshold; they do not say who takes part.
        regex=r"""(?<!\bfor\s)(?<!\bin\sboth\s)(?<!\bfor\sboth\s)
        \b(?:males?\s*(?:and|or|&|and/or|/)\s*females?|females?\s*(?:and|or|&|and/or|/)\s*
        males?|men\s+(?:and|or)\s+women|women\s+(?:and|or)\s+men|both\s+(?:sexes|genders)
        |(?:either|any)\s+(?:sex|gender)(?!\s+(?:steroids?|hormones?|partners?|drive|life|organs?))
        |all\s+genders|regardless\s+of\s+(?:sex|gender)
        |no\s+limit\s+on\s+(?:the\s+)?(?:sex|gender)|no\s+(?:sex|gender)\s+limit
        |men\s*,\s*women|women\s*,\s*men|males?\s*,\s*females?|females?\s*,\s*males?
        |man\s+or\s+(?:woman|female)|woman\s+or\s+man|boys\s+(?:and|or)\s+girls|girls\s+(?:and|or)\s+boys
        |both\s+genders?|(?:regardless|irrespective)\s+of\s+(?:their\s+|the\s+)?(?:sex|gender)
        |(?:sex|gender)\s+(?:is\s+)?(?:not\s+limited|unlimited|unrestricted|not\s+restricted))\b
        (?![^.;\n]{0,80}?(?:contracept|birth\s+control))   # who must use contraception
        (?!\s+condoms?\b)                                   # not a "male or female condom"
        """,
        examples=(
            "Male or female patients aged 18",
            "Men and women",
            "no limit on the gender",
            "14-70 years old, no gender limit;",
            "Men, women, and children in cardiac arrest",
            "A man or woman, 30 years of age or above",
            "Gender unlimited, age from 2 years to 70 years.",
            "Adults (≥ 18 years of age) regardless of their gender",
            "Boys and girls who met the CDC criteria for Kawasaki Syndrome",
            "Male, females ages >= 18.",
        ),
        non_examples=(
            "Female patients",
            "Fertile men or women unwilling to use contraceptive techniques",
            "any double combination of male or female condom, spermicidal gel",
            "No current use of any sex steroid hormone replacement therapy",
            "QTcF > 460 ms in both males and females",
            "BMI < 20 for both sexes",
            "waist circumference ≥ 94 cm for men and women of South Asian origin",
        ),
        trigger=("male", "men", "woman", "women", "sex", "gender", "boy", "girl"),
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
            "Nulliparous women",
            "Japanese women between 30 and 60 years of age",
            "overweight and obese women with PCOS",
            "INCLUSION CRITERIA - DEPRESSED WOMEN:",
            "Women breast cancer survivors",
            "20-40 years old women",
        ),
        non_examples=(
            "Women of childbearing potential must use contraception",
            "Male or female",
            "Females who are pregnant",
            "A woman is considered to be of childbearing potential if she is postmenarchal",
            "No lactating females.",
            "Lactating women",
            "Partners of women in the study",
            "Waist circumference ≥80cm for women",
            "We recognize that women may become pregnant during the course of this study",
            "Pregnancy or women breastfeeding",
            "Breast feeding female patients",
            "Women who are actively breastfeeding",
            "Women currently pregnant or expecting to become pregnant",
            "Women contemplating pregnancy within the year",
            "Women ≥50 years old will be considered postmenopausal if they have been amenorrheic",
            "Female subjects, unless post-menopausal or surgically sterile, must use contraception",
            "Female sterilization (bilateral oophorectomy or tubal ligation)",
            "Women known to be pregnant or lactating.",
            "Hemoglobin: female < 12 g/dL",
            "Women that are pregnant or breastfeeding",
            "Females who are of childbearing potential and not using contraception",
        ),
        trigger=("female", "women", "woman", "girl"),
    ),
    Pattern(
        name="sex_male_subject",
        kind="sex",
        label="male",
        regex=_PRE + r"(?:males?|men|man|boys?)\b" + _NOT_SUBJECT,
        examples=(
            "Men with prostate cancer",
            "Male subjects aged 18-45",
            "Black, white and hispanic males between the ages of 20 to 70 years",
            "Male ≥ 18 years of age.",
        ),
        non_examples=(
            "Male or female",
            "Males with partners of childbearing potential",
            "Fertile men must use condoms",
            ">= 16 years male: 1.7 female: 1.4",
            "Males who are unwilling to use an acceptable method of birth control",
            "Men who have sexual intercourse unless they use a condom",
            "Man who agrees to take appropriate precautions to avoid fathering children",
            "Sexually active males unwilling to use a condom during intercourse",
            "QTcF: males > 450 ms, females > 470 ms",
        ),
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
        name="sex_is_a",
        kind="sex",
        regex=r"^\W*(?:be|being|is|are)\s+(?:an?\s+)?"
        + _BETWEEN
        + r"""(?P<sex>female|male|women|men)\b(?!\s*(?:or|/|&|and)\s*(?:fe)?males?)
        (?!\s*(?:of\s+(?:child|reproductive)|who\s+(?:are|is)\s+(?:pregnant|breast|nursing|lactating)))""",
        examples=("Be female and at least 18 years", "Are male and between 18 and 70 years old."),
        non_examples=(
            "Be male or female",
            "is a female or male patient",
            "Being a female of child-bearing age without adequate contraception",
            "Are born to women participating in this study.",
        ),
        trigger=("female", "male", "men", "women"),
    ),
    Pattern(
        name="sex_is_a_woman",
        kind="sex",
        label="female",
        regex=r"^\W*(?:be|being|is|are)\s+an?\s+" + _BETWEEN + r"(?:woman|girl)\b" + _NOT_SUBJECT,
        examples=("Is an HIV-positive woman.", "Are an HIV-positive pregnant woman."),
        non_examples=("Is a woman of childbearing potential", "Is a man or woman"),
        trigger=("woman", "girl"),
    ),
    Pattern(
        name="sex_is_a_man",
        kind="sex",
        label="male",
        regex=r"^\W*(?:be|being|is|are)\s+an?\s+" + _BETWEEN + r"(?:man|boy)\b" + _NOT_SUBJECT,
        examples=("Is a healthy man aged 20-45",),
        non_examples=("Is a man with a partner of childbearing potential", "is a manager"),
        trigger=("man", "boy"),
    ),
    Pattern(
        name="sex_eligible_woman",
        kind="sex",
        label="female",
        regex=r"""\b(?:females?|wom[ae]n|girls?)\s+                          # "A woman"
        (?:(?:will|may|shall|must)\s+be|is|are)\s+(?:eligible|included|enrolled|recruited)""",
        examples=(
            "A woman will be eligible for inclusion in this study if she meets all criteria",
            "Women are eligible",
        ),
        non_examples=("Women of childbearing potential are eligible if",),
        trigger=("eligible", "included", "enrolled", "recruited"),
    ),
    Pattern(
        name="sex_eligible_man",
        kind="sex",
        label="male",
        regex=r"""(?<!wo)\b(?:males?|m[ae]n|boys?)\s+                       # "Men", not "women"
        (?:(?:will|may|shall|must)\s+be|is|are)\s+(?:eligible|included|enrolled|recruited)""",
        examples=("Men are eligible", "Males will be enrolled"),
        non_examples=("Women are eligible",),
        trigger=("eligible", "included", "enrolled", "recruited"),
    ),
    Pattern(
        name="sex_study_subjects",
        kind="sex",
        regex=r"""\b(?:subjects|participants|patients)\s+(?:of|in|for)\s+(?:this|the)\s+(?:study|trial)\s+
        (?:will|must|should)\s+be\s+"""
        + _BETWEEN
        + r"(?P<sex>women|men|females|males)\b(?!\s*(?:or|and|/|&))",
        examples=("The subjects of this study will be women who meet the following criteria:",),
        non_examples=("The subjects of this study will be men and women",),
        trigger=("study", "trial"),
    ),
    Pattern(
        name="sex_both_apart",
        kind="sex",
        label="all",
        regex=r"""(?<!\bfor\s)(?<!\bin\sboth\s)(?<!\bfor\sboth\s)\b(?:men|males)\b[^.;\n\d]{0,10}
        (?:aged\s+[\d\s\-–to]{1,12})?                        # "men aged 18-65"
        \s*(?:and|or)\s+(?:[\w-]+\s+){0,2}?(?:women|females)\b
        (?![^.;\n]{0,80}?(?:contracept|birth\s+control))""",
        examples=(
            "Patients must be hospitalized men aged 18-65 and postmenopausal women to age 65",
        ),
        non_examples=(
            "for men and for women who use contraception",
            "≥90cm for men and women with diabetes must use contraception",
            "QTcF > 460 ms in both males and females",
        ),
        trigger=("men", "males"),
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
