"""Stenosis rules: the share of a vessel's lumen lost, in per cent ("≥ 70% stenosis of a major
coronary artery", "left main stenosis of 50% or more", "residual stenosis < 30%").

Rows of kind ``stenosis`` read the bound; rows of kind ``stenosis_vessel`` name the vessel, and
their ``label`` is the analyte of ``vocab/labs.tsv`` that the bound measures. The applier
(``_stenosis.py``) tries the vessel rows in table order, the most specific first, on the clause
that holds the bound; with no vessel named it reads nothing (a spinal canal, a valve, a
peripheral artery: no analyte of ours).
"""

from __future__ import annotations

from trialfinder.criteria.patterns.labs import POST
from trialfinder.criteria.tables import Pattern

# The word for the lumen lost: "stenosis", "stenoses", "luminal narrowing".
_STENOSIS = r"(?P<word>stenos[ie]s|narrowing)\b"
_OP = r"(?P<op>{CMP})"

PATTERNS: tuple[Pattern, ...] = (
    # A range before the word, the unit written once: "greater than 50 and less than 100%
    # stenosis", "50-99% stenosis".
    Pattern(
        name="stenosis_range_first",
        kind="stenosis",
        regex=r"""(?:(?P<low_op>{CMP})\s*)?(?P<low>{NUM})\s*%?\s*
        (?:-|–|to|and)\s*(?:(?P<op>{CMP})\s*)?(?P<value>{NUM})\s*%\s*
        (?:(?!(?:of|in|and|or|with|than)\b)[A-Za-z-]+\s+){0,3}?"""
        + _STENOSIS,
        examples=(
            "greater than 50 and less than 100% stenosis",
            "50-99% stenosis",
            "70 to 99% diameter stenosis",
        ),
        non_examples=("greater than 50% stenosis",),
        trigger=("stenos", "narrowing"),
        needs_number=True,
    ),
    # The bound before the word: "greater than 50% stenosis", "70% or greater stenosis", "at
    # least a 50% stenosis", "<50% luminal diameter narrowing"; up to three words between
    # ("luminal diameter", "arterial luminal").
    Pattern(
        name="stenosis_value_first",
        kind="stenosis",
        regex=r"""(?:"""
        + _OP
        + r"""\s*(?:an?\s+)?)?(?P<value>{NUM})\s*%\s*                  # "≥ 70%", "a 50%"
        (?:"""
        + POST
        + r"""\s+)?                                                  # "or greater"
        (?:(?!(?:of|in|and|or|with|than)\b)[A-Za-z-]+\s+){0,3}?      # "luminal diameter"
        """
        + _STENOSIS,
        examples=(
            "greater than 50% stenosis",
            "70% or greater stenosis",
            "at least a 50% stenosis",
            "<50% luminal diameter narrowing",
            "≥50% stenosis",
            "greater than 50% arterial luminal narrowing",
        ),
        non_examples=("50% of stenosis", "stenosis > 50%", "25% to 50% reduction"),
        trigger=("stenos", "narrowing"),
        needs_number=True,
    ),
    # The word before the bound: "stenosis greater than 50%", "stenosis of more than 50% in
    # luminal diameter", "left main stenosis of 50% or more", "stenosis of renal artery (> 75%)",
    # "diameter stenosis = 50%"; no number, sign or clause end between.
    Pattern(
        name="stenosis_name_first",
        kind="stenosis",
        regex=_STENOSIS
        + r"""(?P<gap>[^\d;.≥≤<>=%\n]{0,40}?)                          # "of renal artery ("
        (?:"""
        + _OP
        + r"""\s*(?P<value>{NUM})\s*%(?:\s*"""
        + POST
        + r""")?
        |(?P<value_post>{NUM})\s*%\s*"""
        + POST.replace("?P<post>", "?P<post_only>")
        + r""")""",
        examples=(
            "stenosis greater than 50%",
            "stenosis of more than 50%",
            "stenosis of 50% or more",
            "stenosis of renal artery (> 75%)",
            "stenosis = 50%",
            "stenosis exceeding 70%",
            "stenosis < 30%",
        ),
        non_examples=("stenosis of 50%", "stenosis in 2 vessels > 50%", "stenosis; EF < 40%"),
        trigger=("stenos", "narrowing"),
        needs_number=True,
    ),
    # A second bound for the same stenosis after "or", for another case: "residual diameter
    # stenosis < 20% in patients with stent implantation or < 50% in those with balloon
    # angioplasty". It must bound the same side as the first.
    Pattern(
        name="stenosis_or_second",
        kind="stenosis_chain",
        regex=r"""[^\d;.≥≤<>=%\n]{0,60}?\bor\s+(?P<op>{CMP})\s*(?P<value>{NUM})\s*%""",
        examples=(" in patients with stent implantation or < 50%", " or > 70%"),
        non_examples=(" and < 50%", " or 50%"),
        needs_number=True,
    ),
    # The vessels, most specific first: the vessel named nearest the bound in its clause names
    # the analyte; a row's match hides the later rows' matches inside it ("left main coronary
    # artery" is the left main). "residual" must stand just before the word: "successful
    # angioplasty (residual stenosis < 30%) on a ... stenosis > 70%" leaves the second alone.
    Pattern(
        name="stenosis_vessel_residual",
        kind="stenosis_vessel",
        label="residual_stenosis",
        regex=r"\bresidual\s+(?:(?:diameter|luminal|angiographic)\s+)?(?=stenos|narrowing)",
        examples=("residual stenosis", "residual diameter stenosis"),
        non_examples=("residual disease with stenosis",),
    ),
    Pattern(
        name="stenosis_vessel_left_main",
        kind="stenosis_vessel",
        label="left_main_stenosis",
        regex=r"\bleft[\s-]+main(?:\s+coronary)?(?:\s+arter(?:y|ies))?\b|\bLMCA\b",
        examples=("left main stenosis", "unprotected left main coronary artery disease", "LMCA"),
        non_examples=("left anterior descending",),
    ),
    Pattern(
        name="stenosis_vessel_carotid",
        kind="stenosis_vessel",
        label="carotid_stenosis",
        regex=r"\bcarotids?\b",
        examples=("internal carotid artery", "carotid stenosis"),
        non_examples=("coronary artery",),
    ),
    Pattern(
        name="stenosis_vessel_renal_artery",
        kind="stenosis_vessel",
        label="renal_artery_stenosis",
        regex=r"\brenal\s+arter(?:y|ies)\b",
        examples=("stenosis of renal artery", "renal arteries"),
        non_examples=("renal failure",),
    ),
    # The heart's arteries, named or implied by the procedure that sees them: "coronary",
    # "epicardial", "CAD", "PCI", "QCA" (quantitative coronary angiography), "major vessel".
    Pattern(
        name="stenosis_vessel_coronary",
        kind="stenosis_vessel",
        label="coronary_stenosis",
        regex=r"""\bcoronar(?:y|ies)\b|\bepicardial\b|\bCAD\b|\bPCI\b|\bPTCA\b|\bQCA\b|\bSTEMI\b
        |\bmajor\s+(?:\w+\s+)?(?:vessels?|arter(?:y|ies))\b|\bany\s+vessel\b""",
        examples=(
            "coronary arteries",
            "major epicardial vessel",
            "Significant CAD",
            "in one major vessel",
            "preferably by QCA",
        ),
        non_examples=("peripheral arterial stenosis", "spinal canal"),
    ),
    # Other vessels and narrowed places, which name no analyte of ours: the nearest vessel being
    # one of them, the bound is left unread ("> 50% peripheral arterial stenosis ... or > 50%
    # carotid stenosis" gives only the carotid one).
    Pattern(
        name="stenosis_vessel_other",
        kind="stenosis_vessel",
        regex=r"""\b(?:peripheral|femoral|iliac|popliteal|tibial|subclavian|vertebral|basilar
        |intracranial|cerebral|mesenteric|celiac|venous|veins?|anastomos[ie]s|access|fistula|graft
        |spinal|canal|foram\w*|lumbar|cervical|disc|valv\w*|aortic|mitral|tricuspid|pulmonary
        |pulmonic|tracheal|airway|bronch\w*|urethral|ureteral|biliary|bile|pyloric|esophag\w*
        |intestinal|bowel|colonic|anal|stent)\b""",
        examples=("peripheral arterial stenosis", "spinal canal", "aortic valve", "in-stent"),
        non_examples=("coronary artery",),
    ),
)
