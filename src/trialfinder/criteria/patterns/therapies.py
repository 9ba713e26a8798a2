"""Therapy rules beyond the names in ``vocab/therapies.tsv``: drug-name stems, "X therapy", and
radiation that is an exposure, not a therapy.

``label`` is the therapy class a therapy row implies; on the mention-modifier row it says which
mentions the row applies to, as in ``negation.py``.
"""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern, trie_regex

# Words of the sentence around a class name ("no", "prior", "patients receiving"), as one trie.
_STOP = (
    "(?:"
    + trie_regex(
        [
            "no",
            "not",
            "or",
            "and",
            "to",
            "of",
            "with",
            "for",
            "the",
            "a",
            "an",
            "any",
            "other",
            "prior",
            "previous",
            "concurrent",
            "received",
            "receiving",
            "receive",
            "requiring",
            "require",
            "treatment",
            "treated",
            "use",
            "patient",
            "patients",
            "history",
            "on",
            "in",
            "as",
            "that",
            "than",
            "be",
            "have",
            "has",
            "had",
            "must",
            "are",
            "is",
            "was",
            "allowed",
            "including",
            "except",
            "currently",
            "approved",
            "eligible",
            "candidate",
            "exposure",
            "initiation",
            "line",
            "lines",
            # words that say how or when a therapy is given, not which one: "as continuous
            # therapy", "standard therapy", "further treatment"
            "continuous",
            "current",
            "ongoing",
            "standard",
            "initial",
            "further",
            "additional",
            "subsequent",
            "alternative",
            "this",
            "such",
            "same",
            "study",
            # words that say a therapy is over, not which one: "have completed therapy"
            "completed",
            "completing",
            "completion",
            "finished",
        ]
    )
    + r"|\d+)"
)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="therapy_drug_stem",
        kind="therapy",
        label="drug",
        confidence=0.7,
        regex=r"""\b(?P<therapy>[a-z][a-z]{2,}(?:mab|tinib|rasib|ciclib|parib|rafenib|zomib|limus|statin|sartan|pril|olol|gliptin|gliflozin|glutide|vir|navir|previr|asvir|mycin|cillin|floxacin|azole|platin|taxel|rubicin|citabine|trexate|lukast|setron|prazole|dronate|parin|xaban|gatran|grel|dipine|semide|thiazide|oxetine|triptan|zepam|zolam|peridol|apine|idone|profen|coxib|codone|morphone|fentanil|caine|olone|lizumab|kinra|prost)s?)\b""",
        examples=(
            "treatment with pembrolizumab",
            "prior sotorasib or adagrasib",
            "osimertinib",
            "has used Latanoprost within two weeks",
        ),
        non_examples=("tablet", "examination", "baseline", "prostate cancer"),
        trigger=(
            "mab",
            "tinib",
            "rasib",
            "ciclib",
            "parib",
            "rafenib",
            "zomib",
            "limus",
            "statin",
            "sartan",
            "pril",
            "olol",
            "gliptin",
            "gliflozin",
            "glutide",
            "vir",
            "navir",
            "previr",
            "asvir",
            "mycin",
            "cillin",
            "floxacin",
            "azole",
            "platin",
            "taxel",
            "rubicin",
            "citabine",
            "trexate",
            "lukast",
            "setron",
            "prazole",
            "dronate",
            "parin",
            "xaban",
            "gatran",
            "grel",
            "dipine",
            "semide",
            "thiazide",
            "oxetine",
            "triptan",
            "zepam",
            "zolam",
            "peridol",
            "apine",
            "idone",
            "profen",
            "coxib",
            "codone",
            "morphone",
            "fentanil",
            "caine",
            "olone",
            "lizumab",
            "kinra",
            "prost",
        ),
    ),
    Pattern(
        name="therapy_named_class",
        kind="therapy",
        label="unspecified",
        confidence=0.6,
        regex=r"""\b
        (?=(?:[\w/-]+\s+){0,2}[\w/-]+[\s-]+_HEAD\b)           # a class name ends within 3 words
        (?P<therapy>
        (?:(?![\w/-]*therap|_STOP\b)[A-Za-z0-9][\w/-]*\s+){0,2}?  # no therapy, no stop word
        (?!_STOP\b)[A-Za-z0-9][\w/-]*[\s-]+_HEAD)\b""".replace(
            "_HEAD", r"(?:therapy|therapies|inhibitors?|antagonists?|agonists?|blockers?)"
        ).replace("_STOP", _STOP),
        examples=(
            "prior anti-PD-1 therapy",
            "treated with a BRAF inhibitor",
            "no hormone replacement therapy",
        ),
        non_examples=(
            "therapy",
            "no therapy",
            "prior treatment therapy",
            "previously untreated patients as continuous therapy",
            "have completed therapy and are in remission",
        ),
        trigger=("therap", "inhibitor", "antagonist", "agonist", "blocker"),
    ),
    # Radiation named as what the study's own imaging exposes a participant to, not as a
    # therapy: "excluded due to radiation risk", "No radiation imaging studies", "the
    # radiation exposure involved in this protocol". The lookbehind sees the mention's end.
    Pattern(
        name="therapy_as_exposure",
        kind="mention_modifier",
        label="therapy",
        regex=r"""(?<=radiation)\s+(?:exposures?|risks?|imaging|hazards?|protection|safety)\b""",
        examples=(
            "radiation risk on the developing visual system",
            "No radiation imaging studies",
            "the radiation exposure involved in this protocol",
        ),
        non_examples=(
            "radiation therapy",
            "radiation doses to the spinal cord",
            "steroid exposure",
        ),
        trigger=("exposure", "risk", "imaging", "hazard", "protection", "safety"),
    ),
    # "Surgically" next to a word of resectability or curability describes the disease, not an
    # operation: "surgically unresectable", "metastatic or incurable surgically". "Surgically
    # removed" and "surgically treated" stay a treatment history.
    Pattern(
        name="surgery_as_disease_descriptor",
        kind="mention_modifier",
        label="not_therapy",
        regex=r"""\b(?P<scope>surgically[\s-]+(?:not\s+)?_NOT_CURABLE|_NOT_CURABLE\s+surgically)\b""".replace(
            "_NOT_CURABLE", r"(?:un|in|non-?)(?:resectable|curable|operable|treatable|correctable)"
        ),
        examples=(
            "locally advanced (surgically unresectable) or metastatic",
            "metastatic or incurable surgically",
            "disease surgically incurable",
            "surgically inoperable tumour",
        ),
        non_examples=(
            "surgically removed tumor",
            "surgically treated fracture",
            "unresectable disease treated surgically before",
        ),
        trigger=("surgically",),
    ),
)
