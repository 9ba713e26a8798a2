"""Score rules: named scales from ``vocab/scores.tsv`` and the generic "<name> score ≥ N".

``_VALUES`` reads "0-2", "0, 1 or 2", "III or IV", "A"; the applier checks each value against
the scale of the score (numbers, roman numerals or letters).
"""

from __future__ import annotations

from trialfinder.criteria.patterns.labs import AND_BEYOND, ECHO, POST
from trialfinder.criteria.tables import Pattern

# A bracket may hold one more: "Zubrod (Eastern Cooperative Oncology Group (ECOG)) 0-2"; the gap
# may hold the ")" that closes a bracket opened before the name ("Oncology Group (ECOG)
# performance status 0-2", "status (Karnofsky scale) must be greater than 70"), a bracket that
# opens on the score ("(AUDIT) (score of 8 or higher)"), a wrapped line ("total\r\n score",
# "(ECOG)\r\n Performance Status"), unless the next line opens on a "Header:", a line wrapped
# before a range or list ("Karnofsky\r\n 70-100%", "(PS)\r\n 0, 1, or 2"), and the scale's
# version ("HAM-D 17 item score ≥ 18").
_GAP = r"""(?P<gap>(?:(?!,\s*(?:or|and)\b)[^\d;.≥≤<>=()\n]|\b\d{1,2}[\s-]*items?\b
    |\((?:[^()\n]|\([^()\n]{0,20}\)){0,60}\)|\)
    |\((?=\s*(?:a\s+)?(?:total\s+)?scores?\b)|\r?\n[ \t]*(?=[a-z](?![a-z]*:))
    |\r?\n[ \t]*(?=\d{1,3}\s*%?\s*(?:-|–|to|,|or)\s*\d)){0,45}?)"""
# A number with a decimal comma, as European records write it: "BMI > 18,5", "24,9 kg/m2". Two
# digits before the comma and one after, so "ECOG 0,1 or 2" stays a list, "Karnofsky 70,80" two
# values and "40,000" a count.
DECIMAL_COMMA = r"\d{2},\d(?![\d,])"
# A number: a decimal comma first, else digits with an optional decimal point.
_NUMBER = r"(?:" + DECIMAL_COMMA + r"|\d+(?:\.\d+)?)"
# A negative number: "-2.5", "−1" (a typographic minus).
_SIGNED_NUMBER = r"[-−]\d+(?:\.\d+)?"
# A value may run into its unit: "BMI > 40kg/m2", "VAS of at least 50mm"; a value in years is an
# age ("Lansky for patients < 16 years", "KPS > 12 y/o >= 50"), "4,000" is a count, and "17-item"
# names the version of the scale ("Hamilton Rating Scale for Depression, 17-item"), not a score.
# A roman numeral or class letter starts a word: the "I" of "PCI" is no class I.
_VALUE = (
    r"(?:" + DECIMAL_COMMA + r"|\d+(?:\.\d+)?|(?<![^\W\d_])(?:IV|VI|III|II|I|V|[ABC]))"
    r"(?!(?!kg\b|kg/|mm\b|cm\b)\w|\.\d|,\d{3})"
    r"(?!\s*(?:years?|yrs?|y/o|y\.o\.|months?)(?!\w)|[\s-]*items?\b)"
)
# The unit of a BMI, written after a value, spelled out or not, and perhaps repeated in a
# bracket: "30 kg/m2", "20-26 kg/m(2)", "18.0 kilograms per meter squared (kg/m\^2)",
# "23.0 kilogram per square metre".
_KG_PER_M2 = r"kg\s*/\s*m\s*(?:\\?\^\s*2|2|²|\(2\))"
BMI_UNIT = (
    r"(?:"
    + _KG_PER_M2
    + r"|kilo(?:gram)?s?\s+per\s+(?:square\s+)?met(?:er|re)s?(?:\s+squared?)?)"
    + r"(?:\s*\(\s*"
    + _KG_PER_M2
    + r"\s*\))?"
)
# "Karnofsky 60%-100%": a per cent sign may follow each value, a BMI's unit too ("between 23.0
# kg/m2 and 39.9 kg/m2"); "0, 1, or 2": a comma may come before the last "or".
# A number that names a question or an item of a scale, not its value: "Question #8", "item 10".
_NOT_AN_ITEM = r"(?<!\#)(?<!\#\s)(?<!\bquestion\s)(?<!\bquestions\s)(?<!\bitem\s)(?<!\bitems\s)"
# "ASA 1 & 2": an ampersand joins two values too; "grade III or grade IV": the class word may be
# written again before a roman numeral (not before a digit: "ECOG 0-1 and grade 2 neuropathy").
_CLASS_WORD_AGAIN = r"(?:(?:class|grade|stage)\s+(?=[IV]))?"
_VALUES = (
    r"(?P<values>"
    + _VALUE
    + r"(?:\s*(?:%|"
    + BMI_UNIT
    + r")?\s*(?:,\s*(?:or|and)?|or|and|&|-|–|~|to|through|/)\s*"
    + _CLASS_WORD_AGAIN
    + r"(?-i:"
    + _VALUE
    + r"))*)"
)

# A value of an unnamed performance status: one digit on the ECOG scale, not a per cent.
_PS_VALUE = r"[0-5](?![\d.,]\d|\d|\s*%)"
_PS_VALUES = (
    r"(?P<values>"
    + _PS_VALUE
    + r"(?:\s*(?:,\s*(?:or|and)?|or|and|-|–|to|through)\s*"
    + _PS_VALUE
    + r")*)"
)
# Groups whose performance status is the ECOG (Zubrod) scale, named in a PDQ field without the
# words "performance status": the NCI common toxicity criteria (CTC), the WHO, the Children's
# Cancer Group (CCG) and the Pediatric Oncology Group (POG). "WHO" alone is no scale's name
# elsewhere ("WHO grade II"), so these are read only where the field says what they rate.
_PS_GROUP_NAME = r"(?-i:WHO|CCG|POG)"
_PS_GROUP = r"(?:(?:NCI\s+)?CTC|" + _PS_GROUP_NAME + ")"

# A Gleason score written as the sum of its two patterns: "4+3", "4 + 3 = 7".
_GLEASON_SUM = r"[1-5]\s*\+\s*[1-5](?:\s*=\s*\d{1,2})?(?!\s*\+|\d)"

# A HER2 immunohistochemistry (IHC) score: "3+" (or "+3"), "2+", "1+", "0" or "zero"; "0-2+" is
# a range.
_IHC_VALUE = r"(?<![\d.])(?:[0-3]\s?\+(?![+\d])|(?<![\w+])\+[1-3]\b|(?:0|zero)\b(?![.,]\d|\s*%))"
_IHC_VALUES = (
    r"(?P<plus>" + _IHC_VALUE + r"(?:\s*(?:,\s*(?:or|and)?|or|and|-|–|to)\s*" + _IHC_VALUE + r")*)"
)
_IHC = r"(?:IHC|immunohistochemi(?:stry|cal(?:ly)?)|immunocytochemi(?:stry|cal))"
_HER2 = r"(?:HER[-\s]?2(?:/neu)?|erbB[-\s]?2|c-erbB-2)"

# Pieces of the rows for unlisted scales named by a short form next to their long name: a word
# of the long name, not an article or a preposition ("an Oxygenation Index"); the long name's
# last word, which says it names a scale, and its version ("Test-10"); the short form, of two
# capitals or more ("HCT-CI", "PhGA"); and the bound after the names, a comparator before the
# value or a direction after it ("(score greater than 2)", "score 3 or greater").
_NAME_WORD = r"\b(?!(?:a|an|the|of|by|on|in|to|for|with|and|or|as|their|its)\b)[A-Za-z][\w'-]*"
_SCALE_WORD = (
    r"(?:index|score|scale|test|inventory|questionnaire|assessment|rating|tool)(?:[\s-]+\d{1,2})?"
)
_SCALE_TRIGGERS = (
    "index",
    "score",
    "scale",
    "test",
    "inventory",
    "questionnaire",
    "assessment",
    "rating",
    "tool",
)
_SHORT_FORM = r"(?-i:(?P<name>[A-Z][a-z]?[A-Z][A-Za-z0-9\-]{0,10}))"
# A word of a generic scale's name: up to 16 characters, or two eponyms joined by a hyphen whose
# whole runs longer ("Schwachman-Kulczycki", not its second half alone).
_GENERIC_WORD = r"[A-Z][A-Za-z0-9\-]{1,15}(?:-[A-Z][A-Za-z0-9]{1,15})?"
_GENERIC_BOUND = (
    r"(?:\(\s*)?(?:(?:total\s+)?scores?\s+)?(?:(?:must|should)\s+be\s+)?(?:of\s+|:\s*|(?:is|was)\s+)?"
    r"(?:(?P<op>{CMP})\s*"
    + ECHO
    + r")?(?P<value>\d+(?:\.\d+)?)(?!\d|\.\d)\s*(?:points?\s+)?(?:"
    + POST
    + r")?"
)

# A long name before the bracketed short form of a listed scale, after a value: "on the Patient
# Health Questionnaire (PHQ-9)"; the short form is read.
_LONG_NAME_BEFORE = r"(?:(?-i:[A-Z][\w'-]*)(?:\s+[\w'-]+){0,6}?\s*[(\[]\s*)?"

PATTERNS: tuple[Pattern, ...] = (
    # A Gleason score as pattern sums, read as their totals: "Gleason score 5+4 or 5+5" is 9-10,
    # "Gleason ≥ 4+3" at least 7. Before the named rows, which would read the first pattern.
    Pattern(
        name="score_gleason_sum",
        kind="score",
        regex=r"""\bGleason(?:\s+(?:score|sum|grade))?\s*(?:of\s+|:\s*|=\s*|\(\s*)?
        (?:(?P<op>{CMP})\s*)?(?P<sums>"""
        + _GLEASON_SUM
        + r"(?:\s*(?:,\s*(?:or|and)?|or|and|/)\s*"
        + _GLEASON_SUM
        + ")*)",
        examples=(
            "Gleason score 5+4 or 5+5",
            "Gleason 3 + 4 = 7",
            "Gleason score ≥ 4+3",
            "Gleason sum 4+4, 4+5 or 5+4",
        ),
        non_examples=("Gleason score 7 (4+3)", "Gleason score ≥ 7", "Gleason 4+3+2"),
        label="Gleason",
        trigger=("gleason",),
        confidence=0.85,
    ),
    # HER2 by immunohistochemistry, scored 0 to 3+, in a criterion that names HER2 (the same
    # "IHC 3+" of another marker, "MET (IHC) expression of 1+", is not this score): "HER2 IHC
    # 3+", "defined as IHC 3+, or IHC 2+ with FISH" (two readings), "IHC 2+/ISH+" (2+).
    Pattern(
        name="score_her2_ihc",
        kind="score",
        regex=r"(?:\b"
        + _HER2
        + r"\s+(?:status\s+)?(?:(?:of|by)\s+)?)?\b"
        + _IHC
        + r"""(?:\s*\(IHC\))?\s*(?:assay\s+|score\s+|staining\s+)?(?:of\s+|:\s*|=\s*)?
        (?:\(\s*)?(?:(?P<op>{CMP})\s*)?"""
        + _IHC_VALUES,
        examples=(
            "HER2 IHC 3+",
            "HER2 IHC 2+ or 1+",
            "HER2-positive (IHC 3+ or IHC 2+ with ISH positive)",
            "HER2-negative (IHC zero, 1+, 2+/ISH-)",
            "HER2+ (IHC staining of 3+ [uniform, intense membrane staining])",
            "Strong overexpression of HER-2 by immunohistochemistry (3+)",
            "erbB-2 overexpression by IHC (defined as IHC3+, or IHC2+ with FISH)",
        ),
        non_examples=("HER2 IHC 3", "HER2 IHC 22C3 assay", "HER2 IHC 2+3"),
        label="HER2 IHC",
        trigger=("her2", "her-2", "her 2", "erbb"),
        confidence=0.8,
    ),
    # The same score written before "by IHC" or "staining": "3+ by IHC", "HER2 overexpression of
    # 2+ or 3+ by immunohistochemistry", "≥ 2+ immunohistochemical staining", "a strongly
    # positive (3+) staining intensity score".
    Pattern(
        name="score_her2_ihc_value_first",
        kind="score",
        regex=r"(?:(?P<op>{CMP})\s*)?(?:\(\s*)?"
        + _IHC_VALUES
        + r"""\s*\)?\s*(?:"""
        + _HER2
        + r"""\s+)?(?:over\s*expression\s+|expression\s+)?
        (?:staining\b|(?:(?:by|on|with)\s+)?"""
        + _IHC
        + r"\b)",
        examples=(
            "HER2 positive: 3+ by IHC",
            "HER2 overexpression of 2+ or 3+ by immunohistochemistry",
            "HER2 greater than or equal to 2+ immunohistochemical staining",
            "HER2-positive: a strongly positive (3+) staining intensity score",
            "Expression of +1 to 3+ HER2/neu on immunohistochemical staining",
        ),
        non_examples=("HER2: 3 by IHC", "HER2: 20 by IHC"),
        label="HER2 IHC",
        trigger=("her2", "her-2", "her 2", "erbb"),
        confidence=0.8,
    ),
    # A range whose upper end has its own comparator: "BMI from 18.5 to less than 25.0"; the
    # lower end is inclusive. Before score_comparator, which would read only "less than 25".
    Pattern(
        name="score_range_open",
        kind="score",
        regex=r"(?P<score>{SCORE})"
        + _GAP
        + r"""(?:of\s+|from\s+)?(?P<low>\d+(?:\.\d+)?)\s*(?:kg/m\s*(?:2|²|\^2)\s*)?  # "18.5"
        (?:over\s+)?(?:to|-|–)\s*(?P<op>{CMP})\s*(?P<value>\d+(?:\.\d+)?)         # "to < 25"
        """,
        examples=(
            "body Mass Index (BMI) from 18.5 to less than 25.0",
            "Body mass index (BMI) 18.5 over to less than 30",
        ),
        non_examples=("BMI 18.5 to 25", "BMI less than 25"),
    ),
    Pattern(
        name="score_comparator",
        kind="score",
        regex=r"(?P<score>{SCORE})"
        + _GAP
        + r"(?:\(\s*)?(?P<op>{CMP})\s*"  # "IPSS-R (>3.5)"
        + ECHO
        + r"(?P<value>[-−]?"  # "T-score ≤ -2.5"
        + _VALUE
        + r")(?!\s*(?:SD|standard\s+deviations?)\b)\s*%?",
        examples=(
            "SLEDAI-2000 score ≥8 points",
            "Karnofsky performance status ≥ 70%",
            "BMI ≥25 kilograms per square meter",
            "ECOG ≤ 1",
            "KPS < 50.",
            "DXA T-score of less than -2.0 at the index level",
            "histology activity index of at least 6",
            "Body Mass Index (BMI) greater than 40kg/m2.",
            "Performance status (Karnofsky scale) must be greater than 70.",
            "Alcohol Use Disorders Identification Test (AUDIT) (score of ≥ 8)",
            "BMI greater than or equal to (≥) 27.0 kilogram per square metre",
            "IPSS-R (>3.5)",
            "HAM-D 17 item score ≥ 18",
        ),
        non_examples=(
            "ECOG performance status 0-1",
            "T-score greater than or equal to 2.5 SD below the mean",
            "use Karnofsky for patients > 16 years of age",
        ),
    ),
    # A range with a negative end, on a scale that has them (T-score, Z-score): "T score
    # between -1 and -2.49", "T-score -1.0 to -2.5", "z-score range (-2 to +1)". Before
    # score_values, whose list splits at each "-" and would read "1" of "-1 and -2.49"; the
    # applier keeps the range only where both ends fit the scale.
    Pattern(
        name="score_signed_range",
        kind="score",
        regex=r"(?P<score>{SCORE})"
        + _GAP
        + r"""(?:range\s*)?(?:of\s+|between\s+|from\s+|:\s*|\(\s*)?
        (?P<signed>"""
        + _SIGNED_NUMBER
        + r"\s*(?:and|to|-|–)\s*[-−+]?\d+(?:\.\d+)?"  # "-1 and -2.49", "-2 to +1"
        + r"|\d+(?:\.\d+)?\s*(?:and|to|–)\s*"  # "0 to -2"
        + _SIGNED_NUMBER
        + r")(?![\d.]\d|\d)",
        examples=(
            "T score between -1 and -2.49 at the femoral neck",
            "BMD T-score between -1.0 and -2.5",
            "T-score -1.0 to -2.5",
            "height Z-score from -2 to +2",
            "Z-score range (-2 to +1)",
        ),
        non_examples=("T-score between 1 and 2", "ECOG 0-2", "T-score ≤ -2.5", "ECOG 0 - 1"),
        confidence=0.85,
    ),
    # Before score_values, which would read "2" of "2 or less" as exactly 2. A minus after a
    # blank or bracket signs the value ("T-score of -1.0 or lower"); the applier drops a value
    # off the scale ("ECOG -2 or less" has no reading).
    Pattern(
        name="score_postfix",
        kind="score",
        regex=r"(?P<score>{SCORE})"
        + _GAP
        + r"(?P<value>(?:(?<=[\s(:])[-−](?=\d))?"
        + _VALUE
        + r""")\s*(?:%|percent|"""
        + BMI_UNIT
        + r""")?\s*                                              # "70% or greater"
        (?P<post>or\s+(?:less|lower|below|better|more|greater|higher|above|worse)|"""
        + AND_BEYOND
        + ")",
        examples=(
            "ECOG performance status 2 or less",
            "BMI 30 or greater",
            "Lansky score must be 50 percent or greater",
            "NYHA II and above heart failure",
        ),
        non_examples=("ECOG 0-2",),
    ),
    Pattern(
        name="score_values",
        kind="score",
        regex=r"(?P<score>{SCORE})"
        + _GAP
        + r"(?:of\s+|between\s+|from\s+|:\s*|=\s*)?"  # "ECOG=0-1": "=" before a range
        + _NOT_AN_ITEM
        + _VALUES
        + r"(?!\s*(?:SD|standard\s+deviations?)\b)",
        examples=(
            "Eastern Cancer Cooperation Group (ECOG) physical status score 0 to 2",
            "ECOG performance status of 0 or 1",
            "NYHA class III or IV heart failure",
            "Zubrod 0-1",
            "Child-Pugh class A",
            "Zubrod (Eastern Cooperative Oncology Group (ECOG)) 0-2",
            "ECOG score 0~1",
            "Easter Cooperative Oncology Group (ECOG) performance status 0-2",
            "WHO physical status score is 0~1",
            "Mini-Mental State Examination total\r\n         score between 12 and 26",
            "Karnofsky 60%-100%",
            "Eastern Cooperative Oncology Group (ECOG)\r\n  Performance Status of 0-1",
            "Fitzpatrick Skin Type I to VI",
            "ECOG performance score (PS) of 0, 1, or 2.",
            "ECOG performance status of 0,1, or 2",
            "ECOG=0-1",
            "ASA 1 & 2",
            "New York Heart Association grade III or grade IV congestive heart failure",
        ),
        non_examples=(
            "ECOG performance status",
            'Epworth Sleepiness Scale (ESS): Question #8 score above "0"',
            "MADRS item 10 rated 4 or more",
            "T-score greater than or equal to 2.5 SD below the mean",
            "ECOG performance status (see Appendix 2)",
            "Karnofsky\r\n        Hematopoietic: 3",
            "HAM-D, or history of suicide attempt(s) in the past 12 months",
            "Hamilton Rating Scale for Depression, 17-item",
        ),
        confidence=0.85,
    ),
    # The scale named after the values (or a comparator and a value) of an unnamed performance
    # status, in a bracket or after a linking word: "Performance status 0-2 (ECOG)", "PS 0-2 (WHO
    # scale)", "performance status of less than or equal to 2 (Zubrod Scale)", "performance status
    # of 0 to 2 according to the Eastern Cooperative Oncology Group". A bracket must close on the
    # name, so "0-2 (Karnofsky ≥ 50%)" (another scale's bound) is not read. "WHO" alone names the
    # WHO performance status, the ECOG scale (the row's label); "PS" is read in capitals only.
    Pattern(
        name="score_values_named_after",
        kind="score",
        regex=r"""\b(?:performance\s+status|(?-i:PS))\s*(?:\(\s*PS\s*\)\s*)?(?:of\s+|:\s*|-\s*)?"""
        + r"(?:(?P<op>{CMP})\s*(?P<value>"
        + _VALUE
        + r")|"
        + _VALUES
        + r""")\s*(?:(?P<open>\()\s*|,?\s+(?:on|according\s+to|per|using)\s+(?:the\s+)?)"""
        + r"""(?:(?P<score>{SCORE})|(?-i:WHO)\b)"""
        + r"""(?:\s+(?:PS|scale|score|criteria|performance\s+status))?(?(open)\s*\)|(?![\w-]))""",
        examples=(
            "Performance status 0-2 (ECOG)",
            "performance status of 0-1 (ECOG PS)",
            "PS 0-2 (WHO scale)",
            "Performance status 0-1 (WHO)",
            "performance status of 0,1,2 (ECOG Criteria)",
            "performance status of 0 to 2 according to the Eastern Cooperative Oncology Group",
            "performance status 0-2 on the ECOG Performance Status (see Appendix B)",
            "Performance Status of 0 or 1 on the Zubrod scale",
            "performance status of less than or equal to 2 (Zubrod Scale)",
        ),
        non_examples=(
            "performance status 0-2 (Karnofsky ≥ 50%)",
            "Performance status 0-2",
            "ps 0-2 (WHO)",
            "performance status 0-2 on the day of enrolment",
            "performance status 0-1 (WHO classification 2016)",
        ),
        trigger=("performance", "ps"),
        label="ECOG",
        confidence=0.85,
    ),
    # An unnamed performance status in the PDQ layout, read as ECOG (the written labelling guide
    # of rounds 3-5): the field "Performance status:" or "Performance status -" with values on
    # the ECOG scale (one digit 0-5), the NCI "CTC" scale too, or a cooperative group's name
    # (_PS_GROUP). "performance status of 0-2" in running text, "Performance status: 60-100%" (a
    # Karnofsky or Lansky range), "2 or less" (a direction this row does not read) and a
    # comparator before a range ("=< 0-2") are not read.
    Pattern(
        name="score_unnamed_performance_status_pdq",
        kind="score",
        regex=r"""\bperformance\s+status\s*(?::|-)\s*"""  # the PDQ field
        + r"(?:"
        + _PS_GROUP
        + r"\s+)?(?:(?P<op>{CMP})\s*(?P<value>"
        + _PS_VALUE
        + r")(?!\s*(?:-|–|to)\s*\d)|"  # "=< 0-2": a comparator before a range, not read
        + _PS_VALUES
        + r""")(?!\s*or\s+(?:less|lower|more|greater|higher|better|worse|above|below)\b)""",
        examples=(
            "Performance status: 0-2",
            "Performance status - 0-2",
            "Performance status - CTC 0-2",
            "Performance status: WHO 0-2",
            "Performance status: CCG 0-1",
            "Age: Any age Performance status: WHO 0 or 1 Life expectancy: Not specified",
            "Performance status: < 2 (Karnofsky > 70%)",
            "Age: 18 and over Performance status: 0 or 1 Life expectancy: 12 weeks",
        ),
        non_examples=(
            "Performance status: 60-100%",
            "Performance status: Karnofsky 70-100%",
            "Performance status: ≥ 70%",
            "patients with a performance status of 0-2",
            "Performance status: Not specified",
            "Performance status: 2 or less",
            "Performance status of =< 0-2",
            "Performance status: WHO grade 2",
            "Performance status: who 0-2",
        ),
        label="ECOG",
        trigger=("performance",),
        confidence=0.8,
    ),
    # A PDQ performance status field written as a list splits into one criterion per bullet
    # ("Performance status:\r\n - WHO 0-2\r\n Life expectancy: ..."), so a criterion that is
    # nothing but a group's name and ECOG values is that field's value, read as ECOG. Not "CTC"
    # alone, which also names circulating tumour cells.
    Pattern(
        name="score_performance_status_bullet",
        kind="score",
        regex=r"\A\s*"
        + _PS_GROUP_NAME
        + r"\s+(?:PS\s+)?"
        + _PS_VALUES
        + r"\s*(?:or\s*)?[.;]?\s*\Z",
        examples=("WHO 0-2", "WHO 0-1 OR", "CCG 0, 1, or 2", "POG 0-1."),
        non_examples=(
            "WHO grade 0-2",
            "WHO 0-2 and Karnofsky 70-100%",
            "No WHO 0-2",
            "WHO 60-100%",
            "CTC 0-4",
        ),
        label="ECOG",
        trigger=("who", "ccg", "pog"),
        confidence=0.8,
    ),
    # Pain rated on an unnamed 0-10 scale is the pain NRS: "Worst pain score of at least 5 on a
    # scale of 10", "pain intensity ≥ 4 on an 11-point scale", "average pain of ≥ 4 on a 0-10
    # scale". A visual analogue scale (VAS) is another scale, left to its own rows.
    Pattern(
        name="score_pain_on_ten_point_scale",
        kind="score",
        regex=r"""\bpain\b(?:\s+(?:intensity|severity|score|rating|level)){0,2}\s*
        (?:of\s+|is\s+|was\s+)?(?P<op>{CMP})\s*(?P<value>\d+(?:\.\d+)?)\s*(?:/\s*10\b\s*)?
        (?:on|using|by)\s+(?:an?\s+|the\s+)?
        (?:0\s*(?:-|–|to)\s*10\b|1[01][\s-]*points?\b
          |scale\s+(?:of|from)\s+(?:0\s*(?:-|–|to)\s*)?10\b)
        (?![^.;\n]{0,30}\b(?:VAS|visual))""",
        examples=(
            "Worst pain score of at least 5 on a scale of 10",
            "pain intensity ≥ 4 on an 11-point numeric rating scale",
            "average pain of ≥ 4 on a 0-10 scale",
            "pain intensity score greater than 4 on a 11 points NRS",
        ),
        non_examples=(
            "pain ≥ 4 on a 0-10 VAS",
            "pain ≥ 40 mm on a 100 mm visual analogue scale",
            "pain for at least 3 months",
        ),
        label="NRS",  # the pain NRS of vocab/scores.tsv
        trigger=("pain",),
        confidence=0.8,
    ),
    # Pain rated out of 10, written as a fraction, is the pain NRS too: "pain score 5/10 or
    # less", "pain intensity ≥ 4/10", "average pain of at least 6/10". A comparator before the
    # value or a direction after it is needed ("pain 5/10" alone is no bound), and a VAS named
    # next to it is another scale, left to its own rows.
    Pattern(
        name="score_pain_out_of_ten",
        kind="score",
        regex=r"""\bpain\b(?:\s+(?:intensity|severity|score|rating|level)){0,2}\s*
        (?:of\s+|is\s+|was\s+|:\s*)?(?:(?P<op>{CMP})\s*)?
        (?P<value>(?:10|\d)(?:\.\d+)?)\s*/\s*10\b(?!\.\d|\s*(?:cm|mm)\b)\s*
        (?(op)|(?=(?:or|and)\s))  # no comparator before: a direction after ("5/10 or less")
        """
        + POST
        + r"""?(?![^.;\n]{0,30}\b(?:VAS|visual))""",
        examples=(
            "Patient not requiring IV morphine (pain score 5/10 or less)",
            "pain intensity ≥ 4/10",
            "average pain of at least 6/10 over the past week",
            "worst pain rating > 3/10",
        ),
        non_examples=(
            "pain 5/10 at rest",
            "pain ≥ 4/10 on the visual analogue scale",
            "pain score of 40/100",
            "pain ≥ 4/10 cm",
        ),
        label="NRS",  # the pain NRS of vocab/scores.tsv
        trigger=("pain",),
        confidence=0.8,
    ),
    # The value before the scale's name: "at least grade 3 according to the Guillain-Barre
    # Study Group grading scale", "≥ 20 on the MADRS"; a lower bound may come first ("at least
    # 40mm and not more than 90mm of 100mm on low back pain visual analogue scale", "≥ 40 to ≤
    # 90 mm on the VAS"), and the pain rated may stand before the scale's name.
    Pattern(
        name="score_value_first",
        kind="score",
        regex=r"(?:(?P<low_op>{CMP})\s*(?P<low>"
        + _VALUE
        + r")\s*(?:%|mm\b)?\s*(?:,\s*)?(?:and|to|but)\s*)?"  # "at least 40mm and"
        + r"(?P<op>{CMP})\s*(?:(?:grade|class|stage|score)\s+(?:of\s+)?)?(?P<value>"
        + _VALUE
        + r""")\s*(?:%|mm\b)?\s+(?:points?\s+)?             # "≥ 20 points", "≥ 40%", "≥ 40 mm"
        (?:(?:of|out\s+of)\s+(?:a\s+|the\s+)?\d{1,3}\s*mm\s+)?              # "of 100mm"
        (?:according\s+to|on|by|per|using|as\s+(?:measured|assessed)\s+by)\s+
        (?:the\s+|an?\s+)?(?:\d{1,2}[-\s]item\s+)?                    # "the 17-item"
        (?:0\s*(?:-\s*to\s*-|-|–|to)\s*10\s+(?!(?:pain\s+)?(?:VAS|visual)))?  # "the 0-to-10"
        (?:\d{1,3}[\s-]*(?:mm|points?)\s+)?                                 # "a 100-mm VAS"
        (?:(?:low\s+)?(?:back\s+|leg\s+)?pain\s+)?                  # "(low back) pain VAS"
        """
        + _LONG_NAME_BEFORE
        + r"(?P<score>{SCORE})",  # the scale's name
        examples=(
            "at least grade 3 according to Guillain-Barre Study Group grading scale",
            "≥ 20 on the MADRS",
            "greater than 2 points on the Expanded Disability Status Scale",
            "score > 16 on the 17-item HRSD",
            "Pre-operative score ≥ 40% on Oswestry Disability Index",
            "pain of at least 30 mm on a 100 mm visual analogue scale",
            "pain ≥ 40 mm on a 100-mm VAS",
            "a score of ≥ 10 on the Patient Health Questionnaire (PHQ-9)",
            "at least 40 on a 100-point pain visual analog scale",
            "greater than 4 on the 0-to-10 numerical pain rating scale",
            "≥ 5 on a 0 to 10 numeric rating scale",
            "at least 40mm and not more than 90mm of 100mm on low back pain visual analogue scale",
            "≥ 40 mm and ≤ 80 mm on low back pain visual analog scale",
            "≥ 40 to ≤ 90 mm on the VAS",
        ),
        # A VAS rated 0-10 is not on the shipped 0-100 VAS scale.
        non_examples=(
            "≥ 20 on the day of screening",
            "ECOG ≤ 1",
            "≥ 4 on a 0-10 scale",
            "≥ 4 on a 0-10 VAS",
        ),
        trigger=("according", " on ", " by ", " per ", "using"),
    ),
    # A range before the scale's name: "between 40 and 80 point on 100mm pain visual analogue
    # scale", "a score of 15 to 25 on the MADRS".
    Pattern(
        name="score_value_first_range",
        kind="score",
        regex=r"""(?:\bbetween\s+|\bscores?\s+(?:of\s+)?)(?P<values>\d+(?:\.\d+)?\s*
        (?:-|–|to|and)\s*\d+(?:\.\d+)?)(?![\d.])\s*(?:mm\b|points?\b)?\s+
        (?:according\s+to|on|by|per|using)\s+(?:the\s+|an?\s+)?
        (?:\d{1,3}[\s-]*(?:mm|points?)\s+(?:pain\s+)?)?"""
        + _LONG_NAME_BEFORE
        + r"(?P<score>{SCORE})",
        examples=(
            "low back pain between 40 and 80 point on 100mm pain visual analogue scale",
            "a score of 15 to 25 on the MADRS",
            "scores between 10 and 20 on the Hamilton Depression Scale",
        ),
        non_examples=("between 40 and 80 years on the VAS", "a score of 15 on the MADRS"),
        trigger=("between", "score"),
    ),
    # Classes, grades or stages written before the scale's name and "according to", "by" or
    # "per" (a noun and a bracket may stand between): "class III-IV according to NYHA", "Class
    # II and III by the New York Heart Association (NYHA)", "COPD stage III or IV according to
    # GOLD criteria", "class IV cardiovascular disease (according to the New York Heart
    # Association, 1964)". A roman numeral after the class word is its number on any scale.
    Pattern(
        name="score_value_first_classes",
        kind="score",
        regex=r"""\b(?P<classed>class|grade|stage)\s+(?:of\s+)?"""
        + _VALUES
        + r"(?!\s*"  # "class III or higher": a direction, read by score_value_first_postfix
        + POST
        + r""")(?:\s+(?![IV]+\b)[a-z][\w-]*){0,3}?               # "cardiovascular disease"
        \s*,?\s*(?:\(\s*)?(?:according\s+to|by|per|as\s+defined\s+by)\s+(?:the\s+)?"""
        + _LONG_NAME_BEFORE
        + r"(?P<score>{SCORE})",
        examples=(
            "cardiac function class III-IV according to NYHA cardiac function classification",
            "heart failure (CHF) Class III/IV according to the New York Heart Association (NYHA)",
            "Functional class II, III or IV by the New York Heart Association (NYHA)",
            "COPD stage III or IV according to GOLD criteria",
            "class IV cardiovascular disease (according to the New York Heart Association, 1964)",
        ),
        non_examples=(
            "grade 3 or 4 neutropenia according to the investigator",
            "class III or IV",
            "grade 2 or higher by CTCAE",
            "heart failure class III or higher according to NYHA",
        ),
        trigger=("according", " by ", " per ", "defined"),
    ),
    Pattern(
        name="score_value_first_postfix",
        kind="score",
        regex=r"(?P<value>"
        + _VALUE
        + r""")\s+(?:points?\s+)?"""  # "60"
        + POST
        + r"""\s+(?:according\s+to|on|by|per|using)\s+(?:the\s+)?"""
        + _LONG_NAME_BEFORE
        + r"(?P<score>{SCORE})",
        examples=(
            "60 or more on the Karnofsky scale",
            "10 or higher on the Hamilton Depression Scale",
            "30 and below on the PCL-5",
            "score 9 or above on the Patient Health Questionnaire (PHQ-9)",
        ),
        non_examples=("1 or less by the time of enrollment", "10 or greater on a scale of 0 to"),
        trigger=("according", " on ", " by ", " per ", "using"),
    ),
    Pattern(
        name="score_chain",
        kind="score_chain",
        regex=r"""\s*(?:kg/m\s*(?:2|²|\^2)\s*)?(?:,\s*)?(?:and|but|&)?\s*(?P<op>{CMP})\s*
        (?P<value>"""
        + _NUMBER
        + ")",
        examples=(" and ≤ 35", " kg/m2 and < 40", " <30", " and < 24,9"),
        non_examples=(" and ECOG",),
    ),
    # The top of a range written after a lower bound, with no comparator or with the lower one
    # written again: "BMI >25 kg/m² to >40 kg/m²", "BMI- >23- 35Kg/m2", "BMI > 25 to < 40". The
    # applier keeps it only after a lower bound alone, and only above that bound.
    Pattern(
        name="score_range_end",
        kind="score_chain",
        regex=r"""\s*(?:kg\s*/\s*m\s*(?:2|²|\^2)\s*)?(?:-|–|to)\s*(?:(?P<op>{CMP})\s*)?
        (?P<value>"""
        + _NUMBER
        + r""")(?![\d.]|\s*(?:years?|yrs?|months?|weeks?|days?)\b)""",
        examples=(" kg/m² to >40", "- 35", " to < 40", " Kg/m2 – 35", " - 100%", " - 24,9"),
        non_examples=(" and ≤ 35", " to 30 days", " and 30"),
    ),
    # The other side of an excluded middle, read after a score's bound: "BMI less than 20 or
    # greater than 50", "AUDIT score of < 5 or > 26", "BMI <18 and >35" (no BMI is both: the
    # two sides of an exclusion); the applier keeps it only when it limits the other side, as a
    # second constraint (the two cannot hold at once). A bound for a group named in a bracket may
    # be on the same side: "Karnofsky ≥70% (MAC) or ≥60% (RIC)", "BMI > 30 kg/m2 or > 27.5
    # kg/m2 (South Asian)".
    Pattern(
        name="score_other_side",
        kind="score_chain",
        regex=r"""\s*%?\s*(?:kg\s*/\s*m\s*(?:2|²|\^2)\s*)?(?P<group_before>\([^()\n]{1,40}\)\s*)?
        (?:,\s*)?(?P<join>or|and)\s*(?P<op>{CMP})\s*
        (?P<value>"""
        + _NUMBER
        + r""")(?!\d|\.\d|\s*(?:years?|yrs?|months?)\b)                  # "50." ends a sentence
        (?:\s*(?:%|kg\s*/\s*m\s*(?:2|²|\^2)))?(?P<group_after>\s*\([^()\n]{1,40}\))?
        (?!\s*(?:mm\s+|points?\s+)?(?:on|according\s+to|per|using)\s)  # another scale's value""",
        examples=(
            " or greater than 50",
            " or > 26",
            " kg/m2 or > 40",
            " or > 29,9",
            " and> 35",
            "% (MAC) or ≥60% (RIC)",
            "Kg/m2 or > 27.5 Kg/m2 (South Asian)",
        ),
        non_examples=(" or ECOG 2", " or > 65 years", " and ECOG 2", " and < 10 on the YMRS"),
    ),
    Pattern(
        name="score_generic",
        kind="score",
        regex=r"""(?-i:\b(?P<name>"""
        + _GENERIC_WORD
        + r"""(?:\s+"""
        + _GENERIC_WORD
        + r"""){0,3}))
        \)?\s+(?:total\s+)?scores?\s*(?:of\s*)?(?P<op>{CMP})\s*(?P<value>\d+(?:\.\d+)?)""",
        examples=(
            "FACIT-Fatigue score ≥ 30",
            "Schwachman-Kulczycki score at least 65",
            "ASI-3 scores above 24",
            "Total UPDRS score of at least 20",
            "Concentration Test (SOMC) score ≥ 20",
        ),
        non_examples=("a score ≥ 30", "score of 12"),
        confidence=0.7,
        trigger=("score",),
    ),
    Pattern(
        name="score_generic_postfix",
        kind="score",
        regex=r"""(?-i:\b(?P<name>[A-Z][A-Z0-9\-]{1,11}))\s+         # an acronym: "SANS", "HAM-D"
        (?:total\s+)?(?:score|rating)s?\s*(?:of\s+)?(?P<value>\d+(?:\.\d+)?)\s*"""
        + POST,
        examples=(
            "SANS rating of 2 or higher",
            "MADRS total score of 20 or more",
            "PHQ-9 score of 10 and above",
        ),
        non_examples=("a score of 10 or more", "Total rating of 3 or higher"),
        confidence=0.7,
        trigger=("score", "rating"),
    ),
    Pattern(
        name="score_generic_on_scale",
        kind="score",
        regex=r"""\bscores?\s+(?:of\s+)?(?P<value>\d+(?:\.\d+)?)\s*"""  # "scores of 19"
        + POST  # "or higher"
        + r"""[^;.]{0,60}?\bon\s+the\s+(?:self[\s-]reported\s+|clinician[\s-]rated\s+)?
        (?-i:(?P<name>[A-Z][A-Z0-9\-]{1,11}))\b                          # "on the SDQ"
        """,
        examples=(
            "scores of 2 or higher) on the self-reported SDQ Impact Supplement",
            "a score of 10 or more on the PHQ-9",
        ),
        non_examples=("a score of 10 or more on the day of", "score of 3 or higher"),
        confidence=0.7,
        trigger=("score",),
    ),
    # An unlisted scale whose short form follows its long name in a bracket, then a bound; the
    # short form names it: "HCT comorbidity index (HCT-CI) <5", "Drug Abuse Screening Test-10
    # (DAST-10) (score greater than 2)", "Birmingham Vasculitis Activity Score (BVAS) score 3 or
    # greater". The long name must be three words or more and end on a word that names a scale
    # (a two-word "Oxygenation Index (OI)" or "Cardiac Index (CI)" is a measurement), and the
    # short form must hold two capitals, so "(ANC) ≥ 1500" after a lab's name is not read; a
    # lab's short form is dropped by the applier.
    Pattern(
        name="score_generic_short_form",
        kind="score",
        regex=_NAME_WORD
        + r"\s+"
        + _NAME_WORD
        + r"\s+"
        + _SCALE_WORD
        + r"\s*[(\[]"
        + _SHORT_FORM
        + r"[)\]]\s*"
        + _GENERIC_BOUND,
        examples=(
            "HCT comorbidity index (HCT-CI) <5",
            "Drug Abuse Screening Test-10 (DAST-10) (score greater than 2)",
            "Birmingham Vasculitis Activity Score (BVAS) score 3 or greater",
            "Nottingham Prognostic Index (NPI) of > 5.4",
            "Widespread pain index (WPI) ≥7",
            "a Gastroparesis Cardinal Symptom Index (GCSI) of >2",
        ),
        non_examples=(
            "absolute neutrophil count (ANC) ≥ 1500",
            "Glasgow Outcome Scale (GOS)",
            "Quality of life questionnaire (QLQ-C30) at baseline",
            "Oxygenation Index (OI) greater than 15",
            "have an oxygenation index (OI) > 15",
        ),
        confidence=0.7,
        trigger=_SCALE_TRIGGERS,
    ),
    # The same with the long name in the bracket: "MDAS [Memorial Delirium Assessment Scale] <
    # 13", "GCSI (Gastroparesis Cardinal Symptom Index) of 2 or more".
    Pattern(
        name="score_generic_short_form_first",
        kind="score",
        regex=r"\b"
        + _SHORT_FORM
        + r"\s*[(\[]\s*"
        + _NAME_WORD
        + r"(?:\s+[\w'-]+){1,6}?\s+"
        + _SCALE_WORD
        + r"\s*[)\]]\s*"
        + _GENERIC_BOUND,
        examples=(
            "MDAS [Memorial Delirium Assessment Scale] < 13",
            "GCSI (Gastroparesis Cardinal Symptom Index) of 2 or more",
        ),
        non_examples=(
            "OI (oxygenation index) > 15",
            "ANC (absolute neutrophil count) ≥ 1500",
            "MDAS [Memorial Delirium Assessment Scale] at baseline",
        ),
        confidence=0.7,
        trigger=_SCALE_TRIGGERS,
    ),
    # An unlisted scale named in full, in capitals, with no short form, then a bound: "Vasculitis
    # Disease Activity Index of greater than or equal to 3", "Zurich Claudication Questionnaire
    # score of at least 2". The long name, three words or more ending on Index, Scale,
    # Inventory, Questionnaire or Test, names it.
    Pattern(
        name="score_generic_long_name",
        kind="score",
        regex=r"""(?-i:\b(?P<name>[A-Z][\w'-]*(?:\s+(?:(?:of|for|and|in|on|the)\s+)?[A-Z][\w'-]*){1,6}
        \s+(?:Index|Scale|Inventory|Questionnaire|Test)))(?!\s*[(\[])\s*"""
        + _GENERIC_BOUND,
        examples=(
            "Vasculitis Disease Activity Index of greater than or equal to 3",
            "a history of a Vasculitis\r\n Disease Activity Index greater than or equal to 3",
            "Zurich Claudication Questionnaire score of at least 2",
            "Edinburgh Postnatal Depression Scale score must be greater than 12",
        ),
        non_examples=(
            "Oxygenation Index greater than 15",
            "Hospital Anxiety and Depression Scale (HADS) score ≥ 8",
            "Vasculitis Disease Activity Index at baseline",
            "a vasculitis disease activity index of 3 or more",
        ),
        confidence=0.7,
        trigger=("index", "scale", "inventory", "questionnaire", "test"),
    ),
)
