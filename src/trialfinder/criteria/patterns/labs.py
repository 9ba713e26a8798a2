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
        regex=r"""\s*(?:\([^()]{0,40}\)\s*)?(?:,\s*)?(?:and|but|&)?\s*(?P<op>{CMP})\s*(?P<value>{NUM})\s*(?P<unit>{UNIT})?""",
        examples=(" and ≤10%", " and < 11 mg/dL", " (3.39 mg/mmol) and < 500 mg/g"),
        non_examples=(" and platelets",),
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
