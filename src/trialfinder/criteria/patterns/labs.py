"""Lab and vital-sign rules: "<analyte> <comparator> <value> <unit>", ranges, × ULN, titres.

``{LAB}`` expands to every synonym in ``vocab/labs.tsv``; ``_GAP`` is what may stand between the
analyte and its value ("count", "(ANC)", "level at screening"), never a digit or a comparator.
It may open with the ")" that closes an abbreviation: "ejection fraction (LVEF) should exceed 40%".
"""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

_GAP = r"""(?P<gap>\)?(?:[^\d;.≥≤<>=()\n]|\([^()\n]{0,60}\)|\n(?!\s*\n)){0,60}?)"""
_ULN = r"""(?P<uln>(?:[x×*]|times|-?fold)\s*(?:the\s+)?(?:institutional\s+|upper\s+)?
    (?:ULN|IULN|ULRR|upper\s+limits?\s+(?:of\s+)?(?:the\s+)?(?:normal|reference)(?:\s+range)?
    |upper\s+normal\s+limits?|the\s+upper\s+limit))"""

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="lab_uln",
        kind="lab",
        regex=r"(?P<analyte>{LAB})" + _GAP + r"(?P<op>{CMP})\s*(?P<value>{NUM})\s*" + _ULN,
        examples=(
            "ALT/AST ≤ 2.5 × ULN",
            "Total bilirubin ≤ 1.5 times the upper limit of normal",
            "Aspartate aminotransferase (AST) less than 2 times upper limit of normal",
        ),
        non_examples=("ALT ≤ 40 U/L",),
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
        + r"""(?:between\s+|from\s+|of\s+)?(?P<low>{NUM})\s*(?P<lunit>{UNIT})?\s*
        (?:-|–|to|and)\s*(?P<high>{NUM})\s*(?P<unit>{UNIT})""",
        examples=("HbA1c between 7.0% and 10.5%", "hemoglobin A1c 7-10%"),
        non_examples=("HbA1c ≥ 7%",),
        confidence=0.85,
    ),
    Pattern(
        name="lab_comparator",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"(?:\(\s*)?(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})?",  # "blasts (>5%)"
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
        ),
        non_examples=("platelet transfusion within 7 days", "ECOG ≤ 1"),
    ),
    Pattern(
        name="lab_postfix",
        kind="lab",
        regex=r"(?P<analyte>{LAB})"
        + _GAP
        + r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})?\s*
        (?P<post>or\s+(?:more|greater|higher|above|less|lower|below)|and\s+(?:above|below))""",
        examples=("platelets 100,000/mm3 or greater", "creatinine 1.5 mg/dL or less"),
        non_examples=("creatinine ≤ 1.5 mg/dL",),
    ),
    Pattern(
        name="lab_chain",
        kind="lab_chain",
        regex=r"""\s*(?:\([^()]{0,40}\)\s*)?(?:,\s*)?(?:and|but|&|to)?\s*(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})?""",
        examples=(" and ≤10%", " and < 11 mg/dL", " (3.39 mg/mmol) and < 500 mg/g", " to ≤ 90%"),
        non_examples=(" and platelets",),
    ),
    # A second bound for a subgroup, read after the first: "≤ 1.5 × ULN or ≤ 3 × ULN for
    # Gilbert's syndrome", "(≤ 5 × ULN for patients with liver metastases)". The subgroup runs to
    # a bracket, comma, semicolon, full stop, blank line or the end, and holds no number or
    # comparator; the parser drops one that names a lab ("if alkaline phosphatase is normal").
    Pattern(
        name="lab_subgroup",
        kind="lab_subgroup",
        regex=r"""\s*(?:[(,;]\s*)?(?:or|and|but)?\s*                   # "or", "("
        (?P<op>{CMP})\s*(?P<value>{NUM})\s*(?:"""
        + _ULN
        + r"""|(?P<unit>{UNIT}))?\s*                                # "× ULN", "mg/dL"
        (?:for|in|if|when)\s+(?:case\s+of\s+|the\s+(?:presence|setting)\s+of\s+)?
        (?:(?:patients|subjects|participants|people|those|cases)\s+)?
        (?:(?:with|who\s+have|having)\s+)?
        (?:(?:known|documented|confirmed|presumed)\s+)?(?:due\s+to\s+)?
        (?P<subgroup>(?:[^()\n;,.\d≤≥<>=]|\n(?!\s*\n)){3,60}?)     # "Gilbert's syndrome"
        (?:\s+(?:is|are)\s+present)?\s*(?=[);,.]|\n\s*\n|$)""",
        examples=(
            " or ≤ 3 × ULN for Gilbert's syndrome",
            " (≤ 5 × ULN for patients with liver metastases)",
            " (< 5 x ULN if liver metastases are present)",
            " or ≤ 3.0 mg/dL in patients with documented Gilbert's syndrome",
            " (no greater than 5 times ULN in case of liver\n        metastases)",
        ),
        non_examples=(" and ≤ 10%", " or ≤ 3 × ULN", " and ≤ 5 × ULN for 2 weeks"),
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
    Pattern(
        name="lab_value_first_postfix",
        kind="lab_value_first",
        regex=r"""(?P<value>{NUM})\s*(?P<unit>{UNIT})\s*                    # "30%"
        (?P<post>or\s+(?:more|greater|higher|above|less|lower|below))\s+  # "or more"
        (?P<analyte>{LAB})""",
        examples=("30% or more blasts", "20 % or greater bone marrow blasts"),
        non_examples=("30% blasts", "2 or more platelet transfusions"),
        needs_number=True,
        confidence=0.8,
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
)
