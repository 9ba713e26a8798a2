"""Lab and vital-sign rules: "<analyte> <comparator> <value> <unit>", ranges, × ULN, titres.

``{LAB}`` expands to every synonym in ``vocab/labs.tsv``; ``_GAP`` is what may stand between the
analyte and its value ("count", "(ANC)", "level at screening"), never a digit or a comparator.
It may open with the ")" that closes an abbreviation: "ejection fraction (LVEF) should exceed 40%".
"""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

# A bracket may open on the sex a first bound is for: "QTc prolongation (male > 450 ms; female".
# A bracket opened before the name may close a few words before the comparator: "(AST or ALT)
# ≤ 3 × ULN", "(SGOT, and total bilirubin) should be less than 2X ULN", "Creatinine clearance
# [CrCl]) ≥ 50 mL/min"; the applier keeps a list of names in it only when the bracket opened just
# before the first.
# "i.e." may stand before the value: "creatinine clearance (CrCl), i.e. < 30 mL/min",
# "homocysteine levels i.e. > 10.9 µmol/L"; not "i.e.:", which opens a list of cases, each with
# its own subgroup ("Elevated WBC, i.e.: greater than 100,000 in patients aged 6 to 12 months").
_GAP = r"""(?P<gap>\)?(?:[^\d;.≥≤<>=()\n]|\([^()\n]{0,60}\)|\n(?!\s*\n)|\b[iI]\.\s?[eE]\.(?!\s*:)
    |\((?=\s*(?:fe)?males?\b|\s*(?:wo)?men\b)|\)(?=[^\d;.≥≤<>=()\n]{0,25}?(?:\(\s*)?{CMP})){0,60}?)"""
# The upper limit of normal, however written: "ULN", "UNL", "upper level of the normal value".
_ULN_NAME = r"""(?:the\s+)?(?:institutional\s+|upper\s+)?
    (?:ULN|IULN|ULRR|UNL|upper\s+(?:limits?|levels?)\s+(?:of\s+)?(?:the\s+)?(?:normal|reference)
    (?:\s+(?:range|values?))?|(?:upper\s+normal|normal\s+upper)\s+limits?|the\s+upper\s+limit)"""
# The multiple may go unwritten before a limit named outright: "AST/ALT < 2.5 ULN", "bilirubin
# ≤ 1.5 upper limit of normal" are multiples of the limit, not 2.5 U/L.
_ULN = (
    r"""(?P<uln>(?:[x×*]|times|-?fold)\s*"""
    + _ULN_NAME
    + r"""|(?:institutional\s+)?(?:ULN|IULN|ULRR|UNL)\b
    |upper\s+limits?\s+of\s+(?:the\s+)?normal\b)"""
)
# A comparator's sign repeated in brackets after its words: "greater than or equal to (≥) 27".
ECHO = r"(?:\(\s*\\?[≥≤<>=]{1,2}\s*\)\s*)?"  # "(\<=)": an escaped sign
# A bound written after its value: "2 or less", "30 and below", "50,000/mm3 and above"; not
# the top of a range ("between 40% and less than 50%", "and below 50%").
AND_BEYOND = (
    r"and\s+(?:above|over|higher|greater|more|below|under|lower|less)\b(?!\s*(?:than\b|\d))"
)
POST = r"(?P<post>or\s+(?:more|greater|higher|above|less|lower|below)|" + AND_BEYOND + ")"

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="lab_uln",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"(?:\(\s*)?(?:(?P<op>{CMP})|(?P<within>within|up\s+to))\s*(?P<value>{NUM})\s*"
        + _ULN,
        examples=(
            "ALT/AST ≤ 2.5 × ULN",
            "Total bilirubin ≤ 1.5 times the upper limit of normal",
            "Aspartate aminotransferase (AST) less than 2 times upper limit of normal",
            "ALT (more than 3.5 times the upper level of the normal value)",
            "serum transaminases levels <3 times UNL",
            "aspartate aminotransferase within 2 times the upper limit of normal range",
            "Transaminases (SGOT and/or SGPT) may be up to 2.5 X institutional ULN",
            "AST/ALT < 2.5 ULN",
            "total bilirubin ≤ 1.5ULN",
            "Creatinine < 1.5 upper limit of normal",
        ),
        non_examples=("ALT ≤ 40 U/L", "ALT ≤ 40 U/L (ULN 40)"),
    ),
    # The comparator after the multiple: "AST or ALT is five times higher than the upper limit".
    Pattern(
        name="lab_uln_above",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"""(?:is\s+|are\s+)?(?P<value>{NUM})\s*(?P<uln>(?:[x×*]|times|-?fold)\s*
        (?P<op>higher\s+than|greater\s+than|more\s+than|above)\s*"""
        + _ULN_NAME
        + ")",
        examples=(
            "AST or ALT is 5 times higher than the upper limit of normal range",
            "transaminases 3 times above ULN",
        ),
        non_examples=("ALT ≤ 3 × ULN", "ALT 3 times higher than baseline"),
    ),
    # The limit itself, no multiple written: "Bilirubin must be < institutional upper limit of
    # normal", "creatinine no greater than ULN"; the applier reads it as 1 × ULN.
    Pattern(
        name="lab_uln_implied",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"(?:\(\s*)?(?P<op>{CMP})\s*(?P<value>)(?P<uln>"
        + _ULN_NAME
        + r")(?!\s*[+-]\s*\d)",
        examples=(
            "Bilirubin must be < institutional upper limit of normal (ULN)",
            "BUN no greater than ULN",
            "serum creatinine exceeding the upper limit of normal",
        ),
        non_examples=("ALT ≤ 2.5 × ULN", "creatinine within normal limits", "PT > ULN + 4 seconds"),
    ),
    Pattern(
        name="lab_titre",
        kind="lab",
        regex=r"(?P<analyte>{LAB})" + _GAP + r"(?:(?P<op>{CMP})\s*)?1\s*:\s*(?P<titre>\d+)",
        examples=("Anti-nuclear antibody (ANA) ≥1:80", "ANA titre of 1:160"),
        non_examples=("ANA positive",),
    ),
    Pattern(
        name="lab_range",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"""(?:between\s+|from\s+|of\s+|=\s*)?(?P<low>{NUM})\s*(?P<lunit>{UNIT})?\s*
        (?:(?:-|–|to)\s*(?P<hop>{CMP})\s*|(?:-|–|to|and)\s*)(?P<high>{NUM})\s*(?P<unit>{UNIT})""",
        # the top may carry its own upper sign: "HbA1c 7% to <8%", "hemoglobin 9 - < 11 g/dL"
        examples=(
            "HbA1c between 7.0% and 10.5%",
            "hemoglobin A1c 7-10%",
            "HbA1c 7% to <8%",
            "HbA1c of 7.0% to less than 10.5%",
            "PaCO2=30-45 mmHg",
        ),
        non_examples=("HbA1c ≥ 7%",),
        confidence=0.85,
    ),
    Pattern(
        name="lab_comparator",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"(?:\(\s*)?(?P<op>{CMP})\s*"  # "blasts (>5%)"
        + ECHO
        + r"(?P<value>{NUM})\s*(?P<unit>{UNIT})?",
        examples=(
            "eGFR ≥30 ml/(min.1.73m2)",
            "leukemic blasts in the bone marrow (>5%)",
            "Diffusion capacity of carbon monoxide (DLCO) less than 40% predicted",
            "umbilical artery pH < 7.0",
            "IOP at preoperative visit of ≥ 18mmHg",
            "left ventricular ejection fraction (LVEF) should exceed 40%",
            "Platelet count at least 100,000/mm^3",
            "Hemoglobin ≥ 9 g/dL",
            "absolute neutrophil count (ANC) ≥1.5 × 10^9/L",
            "serum creatinine \\> 1.5 mg/dL",
            "hemoglobin greater than or equal to (≥) 9 g/dL",
            "Temperature > 101.5 F",
        ),
        non_examples=("platelet transfusion within 7 days", "ECOG ≤ 1"),
    ),
    Pattern(
        name="lab_postfix",
        kind="lab",
        regex=r"(?P<analyte>{LAB})" + _GAP + r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})?\s*""" + POST,
        examples=("platelets 100,000/mm3 or greater", "creatinine 1.5 mg/dL or less"),
        non_examples=("creatinine ≤ 1.5 mg/dL",),
    ),
    # Visual acuity as a Snellen fraction: "20/40 or better", "BCVA 20/40 to 20/200", "worse
    # than 20/80". The applier turns each fraction into logMAR (log10 of denominator over
    # numerator), where a smaller value is the better sight, so "or better" and "better than"
    # bound it from above and a comparator written on the fraction ("< 20/200") turns round.
    # Visual acuity is read only by this row, and this row reads nothing else: the other numbers
    # of acuity are letters, lines or decimals.
    Pattern(
        name="lab_snellen",
        kind="lab",
        label="snellen",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"""(?:of\s+|is\s+|:\s*)?
        (?:(?P<op>{CMP})\s*|(?P<equal>equal\s+(?:to\s+)?or\s+)?(?P<quality>better|worse)\s+than
        \s+(?P<or_equal>or\s+equal\s+to\s+)?)?
        (?P<snellen>(?:20|6|[1-9])/\d{1,3})(?![\d/])                      # "20/40"
        (?:\s*(?:-|–|to|through)\s*(?P<snellen_to>(?:20|6|[1-9])/\d{1,3})(?![\d/]))?
        (?:\s*\((?:20|6)/\d{1,3}\))?                                    # "6/6 (20/20)"
        (?:\s*(?P<post>or\s+(?:better|worse)))?""",
        examples=(
            "Vision in each eye must measure 20/40 or better",
            "best-corrected visual acuity (BCVA) 20/40 to 20/200 inclusive",
            "Visual acuity must be worse than 20/40",
            "Fellow eye visual acuity <20/200",
            "corrected visual acuity of 6/6 (20/20) or better",
            "best corrected visual acuity equal or better than 20/20",
        ),
        non_examples=("Best corrected visual acuity 0.7 or better", "BCVA ≥ 73 letters"),
    ),
    Pattern(
        name="lab_chain",
        kind="lab_chain",
        regex=r"""\s*(?:\([^()]{0,40}\)\s*)?(?:,\s*)?(?:and|but|&|to)?\s*(?P<op>{CMP})\s*"""
        + ECHO
        + r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})?""",
        examples=(
            " and ≤10%",
            " and < 11 mg/dL",
            " (3.39 mg/mmol) and < 500 mg/g",
            " to ≤ 90%",
            " and less than (\\<) 90 mL/min/1.73 m\\^2",
        ),
        non_examples=(" and platelets",),
    ),
    # The other side of an excluded middle, read after a lab's one-sided bound: "potassium less
    # than 3.0 or greater than 5.4 mEq/L", "TSH < 0.45 mIU/L or > 10 mIU/L", "WBC greater than
    # 12,000/mm3 or less than 4,000/mm3"; the applier keeps it only when it limits the other
    # side beyond the first bound, as a second constraint (the two cannot hold at once).
    Pattern(
        name="lab_other_side",
        kind="lab_chain",
        regex=r"""(?:\s*\(\s*{NUM}\s*{UNIT}\s*\))?          # the first bound in another unit
        \s*(?:,\s*)?or\b\s*(?:either\s+)?(?P<op>{CMP})\s*"""
        + ECHO
        + r"""(?P<value>{NUM})
        (?![^;,()\n]{0,25}?\b(?:for|in|if|when)\s)    # "or ≥ 3 mg/dL for Gilbert's": a subgroup's
        \s*(?P<unit>{UNIT})?
        (?!\s*(?:years?|yrs?|months?|weeks?|days?|hours?)\b)      # "or > 65 years": an age""",
        examples=(
            " or greater than 5.4 mEq/L",
            " or >10 mIU/L",
            " or less than 4,000/mm3",
            ", or>5.5mmol/L",
            " (2.00 mmol/L) or ≥ 12.0 mg/dl",
        ),
        non_examples=(
            " and ≤ 10%",
            " or ECOG 2",
            " or > 65 years",
            " or ≥ 3 mg/dL for Gilbert's syndrome",
        ),
    ),
    # A second value given with "=" after a first one, in old records whose "≥" and "≤" were
    # lost as "=": "Hgb =8.5 g/dL and =11.5 g/dL", "body weight = 55 kg and = 140 kg". The
    # applier reads each as written, one equality per value, both for the first's analyte.
    Pattern(
        name="lab_equal_again",
        kind="lab_chain",
        regex=r"""\s*(?:,\s*)?(?:and|or)\s*=\s*(?P<op>)(?P<value>{NUM})
        (?![^;,()\n]{0,25}?\b(?:for|in|if|when)\s)
        \s*(?P<unit>{UNIT})?
        (?!\s*(?:years?|yrs?|months?|weeks?|days?|hours?)\b)""",
        examples=(" and =11.5 g/dL", " and = 140 kg"),
        non_examples=(" and < 60 mL/min", " and = 65 years", " or = 3 mg/dL for Gilbert's"),
    ),
    # A second bound for a subgroup, read after the first: "≤ 1.5 × ULN or ≤ 3 × ULN for
    # Gilbert's syndrome", "(≤ 5 × ULN for patients with liver metastases)". The subgroup runs to
    # a bracket, comma, semicolon, full stop, blank line or the end, and holds no number or
    # comparator; the parser drops one that names a lab ("if alkaline phosphatase is normal").
    # The specimen written after the value: "M-protein ≥ 200 milligrams (mg) per 24-hour urine
    # collection" is the urine M-protein, not the serum one. The applier moves an analyte to its
    # "<name>_urine" twin in vocab/labs.tsv when one exists and a row matches after the value.
    Pattern(
        name="specimen_urine_after_value",
        kind="lab_specimen",
        label="urine",
        regex=r"""[^;.\n]{0,30}?                          # "milligrams (mg)"
        (?:(?:per|/|in\s+(?:a\s+)?)\s*24[\s-]*(?:h|hrs?|hours?)\b[\s-]*(?:urine|collection)?
        |\burin(?:e|ary)\s+(?:collection|protein\s+electrophoresis|excretion))""",
        examples=(
            " milligrams (mg) per 24-hour urine collection",
            " mg/24 h",
            " (mg)/24-hour urine collection by urine protein electrophoresis",
        ),
        non_examples=(" g/dL by serum protein electrophoresis", " mg/dL; urine protein < 1+"),
    ),
    Pattern(
        name="lab_subgroup",
        kind="lab_subgroup",
        regex=r"""\s*(?:\([^()\d]{0,20}\)\s*)?                             # "(ULN)"
        # the first bound's subgroup: "for men", "if no liver metastases"
        (?:(?:for|in|if)\s+(?P<first>(?:(?!\b(?:or|and)\b)[^()\n;,.\d≤≥<>=:]){3,40}?)\s*)?
        (?:[(,;]\s*)?(?:or|and|but)?\s*                                  # "or", "("
        (?:(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?:"""
        + _ULN
        + r"""|(?P<unit>{UNIT}))?                                   # "≤ 3 × ULN", "≤ 3 mg/dL"
        |(?<=\()\s*(?P<value_only>{NUM})\s*"""
        + _ULN.replace("?P<uln>", "?P<uln_only>")
        + r""")\s*                                                  # "(5 times ULN"
        (?:for|in|if|when)\s+(?:case\s+of\s+|the\s+(?:presence|setting)\s+of\s+)?
        (?:(?:patients|subjects|participants|people|those|cases)\s+)?
        (?:(?:with|who\s+have|having)\s+)?
        (?:(?:known|documented|confirmed|presumed)\s+)?(?:due\s+to\s+)?
        (?P<subgroup>(?:[^()\n;,.\d≤≥<>=]|\n(?!\s*\n)){3,60}?)     # "Gilbert's syndrome"
        (?:\s+(?:is|are)\s+present)?\s*(?=[();,.]|\n\s*\n|$)""",
        examples=(
            " or ≤ 3 × ULN for Gilbert's syndrome",
            " (≤ 5 × ULN for patients with liver metastases)",
            " (< 5 x ULN if liver metastases are present)",
            " or ≤ 3.0 mg/dL in patients with documented Gilbert's syndrome",
            " (no greater than 5 times ULN in case of liver\n        metastases)",
            " (ULN) or ≤3 x ULN for patients with Gilbert's disease (see below)",
            " for men and ≥470 ms for women",
            " (5 times ULN if liver involvement)",
            " if no liver metastases or ≤ 3 × ULN in the presence of liver metastases",
        ),
        non_examples=(" and ≤ 10%", " or ≤ 3 × ULN", " and ≤ 5 × ULN for 2 weeks"),
        confidence=0.8,
    ),
    # The subgroup named before its bound: "≥ 450 msec for males or for females ≥ 470 msec",
    # "≤ 1.5 × ULN (patients with Gilbert's syndrome: ≤ 3 × ULN)". A subgroup must open with
    # "for", "in" or "patients", so "and ECOG ≤ 2" and "NOTE: ≤ 5 × ULN" are no subgroups.
    Pattern(
        name="lab_subgroup_first",
        kind="lab_subgroup",
        regex=r"""\s*(?:\([^()\d]{0,20}\)\s*)?(?:[(,;]\s*)?(?:(?:or|and|but)\s+)?  # "(msec) or"
        (?:(?:for|in)\s+(?:(?:patients|subjects|participants|those)\s+)?
          |(?:patients|subjects|participants|those)\s+
          |(?=(?:fe)?males?\b|(?:wo)?men\b))                               # "; female > 470"
        (?:(?:with|who\s+have|having)\s+)?(?:(?:known|documented|confirmed)\s+)?
        (?P<subgroup>(?:(?!\b(?:or|and)\b)[^()\n;,.\d≤≥<>=:\\]){3,60}?)  # "females"
        \s*:?\s*\\?                                                    # "Female: \>"
        (?P<op>{CMP})\s*(?P<value>{NUM})\s*(?:"""
        + _ULN
        + r"""|(?P<unit>{UNIT}))?""",
        examples=(
            " or for females ≥ 470 msec",
            " (msec) or for females >= 470 msec",
            " (patients with Gilbert's syndrome: ≤ 3 × ULN)",
            "; female > 470 ms",
            ", Female: \\>470ms",
        ),
        non_examples=(
            " and ECOG ≤ 2",
            " and ≤ 10%",
            " or ≤ 3 × ULN for Gilbert's syndrome",
            " NOTE: ≤5x ULN is acceptable",
            " in at least one eye",
        ),
        confidence=0.8,
    ),
    # A second bound for another occasion of the same reading, after the first: "LVOT gradient
    # ≥ 30 mm Hg at rest or ≥ 50 mm Hg following isoproterenol infusion", "SBP ≥ 130 mmHg at
    # screening and ≥ 120 mmHg at the randomisation visit". The second bound needs its own unit
    # and an occasion ("following", "after", "with", "during", "at" and up to three words), which
    # is kept as its subgroup; the first bound keeps no subgroup. A bracket without a comparator
    # may stand between ("(the most recent value within 4 weeks)").
    Pattern(
        name="lab_occasion_second",
        kind="lab_subgroup",
        regex=r"""(?:\s*at\s+(?:rest|screening|baseline)\b)?
        \s*(?:\([^()≤≥<>=\n]{0,120}\)\s*)?(?:,\s*)?(?:and/or|and|or)\s+
        (?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})\s+
        (?P<subgroup>(?:following|after|with|during|at)\s+(?:the\s+)?[A-Za-z][\w-]*
          (?:\s+(?!(?:to|and|or|of|in|for)\b)[A-Za-z][\w-]*){0,2})""",
        examples=(
            " at rest or greater than or equal to 50 mm Hg following isoproterenol infusion",
            " at screening and ≥ 120 mmHg at the randomisation visit",
            " (the most recent value within 4 weeks) and ≥ 120 mmHg at the Randomisation Visit",
            " at rest and/or > 50 mmHg with provocation",
        ),
        non_examples=(
            " and ≤ 10%",
            " or ≥ 3 mg/dL for Gilbert's syndrome",
            " or ≥ 50 mm Hg",
            " and > 100 bpm",
        ),
        confidence=0.8,
    ),
    # A value written before its analyte (each row ends with it; the parser tries them only
    # before the names the lab index finds); read only where no analyte-first row took the value,
    # and only with a unit: "2 platelet transfusions" has none. A change ("10% weight loss",
    # "50% increase in IgM") is not a level: the parser drops a match followed by one.
    Pattern(
        name="lab_value_first",
        kind="lab_value_first",
        regex=r"""(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})\s*  # "≥ 1.5 mg/dL"
        (?P<analyte>{LAB})""",
        examples=("≥ 20% blasts", "> 1.5 mg/dL serum creatinine"),
        non_examples=("≥ 2 platelet transfusions", "> 95% of blasts"),
        needs_number=True,
        confidence=0.8,
    ),
    # A count whose unit follows the cells it counts: "≥ 500 CD4+ cells/mm(3)", "lower than
    # 40000 platelets/mm3"; the applier takes the unit after the name and needs one.
    Pattern(
        name="lab_value_first_unit_after",
        kind="lab_value_first",
        label="unit_after",
        regex=r"""(?P<op>{CMP})\s*(?P<value>{NUM})\s*                    # "≥ 500"
        (?P<analyte>{LAB})""",
        examples=("≥ 500 CD4+ cells", "lower than 40000 platelets"),
        non_examples=("≥ 2.5 × ULN", "platelets ≥ 100"),
        needs_number=True,
        confidence=0.75,
    ),
    Pattern(
        name="lab_value_first_postfix",
        kind="lab_value_first",
        regex=r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})\s*                    # "30%"
"""
        + POST
        + r"""\s+(?P<analyte>{LAB})""",
        examples=(
            "30% or more blasts",
            "20 % or greater bone marrow blasts",
            "20% and above bone marrow blasts",
        ),
        non_examples=("30% blasts", "2 or more platelet transfusions"),
        needs_number=True,
        confidence=0.8,
    ),
    # A range written before its analyte: "15-29% blasts", "between 10 and 60% bone marrow
    # plasma cells"; the unit may stand after both ends or only after the second.
    Pattern(
        name="lab_value_first_range",
        kind="lab_value_first",
        label="range",
        regex=r"""(?:between\s+|from\s+)?(?P<low>{NUM})\s*(?P<lunit>{UNIT})?\s*  # "15", "15%"
        (?:-|–|to|and)\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})\s*           # "- 29%"
        (?P<analyte>{LAB})""",
        examples=("15-29% blasts", "between 10% and 60% bone marrow plasma cells"),
        non_examples=("≥ 20% blasts", "2-3 platelet transfusions"),
        needs_number=True,
        confidence=0.8,
    ),
    # A urine dipstick grade before its analyte: "less than or equal to 2+ proteinuria"; the
    # applier keeps it for proteinuria only, with no unit and no canonical value.
    Pattern(
        name="lab_value_first_dipstick",
        kind="lab_value_first",
        label="dipstick",
        regex=r"""(?P<op>{CMP})\s*(?P<value>{NUM})\s*\+\s*     # "≤ 2+"
        (?:(?:on\s+)?(?:urine\s+)?dipstick\s+)?                  # "on dipstick"
        (?P<analyte>{LAB})""",
        examples=("less than or equal to 3+ proteinuria", "≥2+ proteinuria"),
        non_examples=("≥ 2 proteinuria", "proteinuria ≤ 2+"),
        needs_number=True,
        confidence=0.75,
    ),
    # "3.1 pmol/L ≤ FT3 ≤ 6.8 pmol/L": the comparator reads from the value to the analyte, so
    # the parser turns it round (FT3 ≥ 3.1); a second bound after the analyte is a chain.
    Pattern(
        name="lab_value_compared",
        kind="lab_value_first",
        label="reversed",
        regex=r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})\s*   # "3.1 pmol/L"
        (?P<op>[<>≤≥]=?)\s*                                  # "≤", turned round
        (?P<analyte>{LAB})""",
        examples=("3.1 pmol/L ≤ FT3", "100 mg/dL < glucose"),
        non_examples=("FT3 ≤ 3.1 pmol/L",),
        needs_number=True,
        confidence=0.8,
    ),
    # A glucose value read two hours into a glucose tolerance test: the 2-hour OGTT glucose
    # ("2-hour plasma glucose ≥ 200 mg/dL", "a 2-hour postload value in the oral glucose tolerance
    # test of greater than 200 mg/dl"); ``_lab_context.py`` renames the glucose reading the cue
    # stands before. "24 h" and "12 hours" are no cue.
    Pattern(
        name="lab_context_ogtt_2h",
        kind="lab_context",
        label="ogtt_2h_glucose",
        regex=r"""\b(?:2|two)[\s-]*(?:h|hrs?|hours?)\b(?![\s-]*(?:urine|collection|fast))
        |\bpost[\s-]?load\b""",
        examples=(
            "2-hour plasma glucose",
            "at 2 hours after an oral glucose tolerance test",
            "a 2-hour postload value",
            "2hr plasma glucose",
            "OGTT 2 h glucose",
        ),
        non_examples=("24 h urine", "12 hours", "2 hours fasting"),
        trigger=("hour", "hr", "2h", "2 h", "2-h", "two h", "load"),
    ),
    Pattern(
        name="formula_schwartz",
        kind="formula",
        label="Schwartz",
        regex=r"\b(?:bedside\s+)?Schwartz\b",
        examples=("(Schwartz formula)",),
        non_examples=("Schwarz",),
        trigger=("schwartz",),
    ),
    Pattern(
        name="formula_ckd_epi",
        kind="formula",
        label="CKD-EPI",
        regex=r"\bCKD[\s-]?EPI\b",
        examples=("eGFR (CKD-EPI) ≥ 60", "CKD EPI equation"),
        non_examples=("CKD stage 3",),
        trigger=("ckd",),
    ),
    Pattern(
        name="formula_cockcroft_gault",
        kind="formula",
        label="Cockcroft-Gault",
        regex=r"\bCock(?:c)?roft[\s-]*(?:and\s+)?Gault\b|\bC-G\s+(?:formula|equation)",
        examples=("by the Cockcroft-Gault formula", "Cockroft Gault"),
        non_examples=("Gault",),
        trigger=("cock", "gault", "c-g"),
    ),
    Pattern(
        name="formula_mdrd",
        kind="formula",
        label="MDRD",
        regex=r"\bMDRD\b|Modification\s+of\s+Diet\s+in\s+Renal\s+Disease",
        examples=("eGFR (MDRD) > 30",),
        non_examples=("diet",),
        trigger=("mdrd", "modification"),
    ),
    Pattern(
        name="blood_pressure_pair",
        kind="pressure_pair",
        regex=r"""\b(?:blood\s+pressure|BP)\b(?:\s*\(BP\))?[^\d;]{0,30}?   # the name, a gap
        (?P<op>{CMP})\s*(?P<sbp>\d{2,3})\s*/\s*(?P<dbp>\d{2,3})               # systolic/diastolic
        \s*(?P<unit>mm\s*Hg)?""",
        examples=("resting blood pressure (BP, <160/100 mmHg)", "BP ≥ 140/90 mmHg", "BP>150/95"),
        non_examples=("BP 140/90 mmHg", "blood pressure ≥ 140 mmHg"),
        trigger=("blood pressure", "bp"),
    ),
    Pattern(
        name="blood_pressure_named_pair",
        kind="pressure_pair",
        regex=r"""\b(?:blood\s+pressure|BP)\b(?:\s*\(BP\))?[^\d;]{0,30}?      # the name, a gap
        (?P<op>{CMP})\s*(?P<sbp>\d{2,3})\s*(?P<unit>mm\s*Hg)?\s*           # "≥ 160 mmHg"
        \(?\s*systolic\s*\)?\s*(?:,|and/or|or|and)\s*                    # "(systolic) or"
        (?P<dop>{CMP})?\s*(?P<dbp>\d{2,3})\s*(?:mm\s*Hg)?\s*\(?\s*diastolic\b""",
        examples=(
            "blood pressure ≥ 160 mmHg (systolic) or ≥ 100 mmHg (diastolic)",
            "BP > 140 mm Hg systolic or > 90 mm Hg diastolic",
        ),
        non_examples=("blood pressure ≥ 140 mmHg", "BP ≥ 140/90 mmHg"),
        trigger=("blood pressure", "bp"),
    ),
)
