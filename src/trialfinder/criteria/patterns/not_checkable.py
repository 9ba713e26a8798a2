"""Rules for criteria a patient record cannot answer; ``label`` is the reason category."""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="consent",
        kind="not_checkable",
        label="consent",
        regex=r"""informed\s+consent|consent\s+form|\bsign(?:ed|s|ing)?\s+(?:an?\s+|the\s+)?(?:written\s+)?
        (?:informed\s+)?consent|\bassent\b|\bICF\b|(?:provide|give|obtain)\w*\s+(?:written\s+)?consent
        |consent\s+to\s+participate""",
        examples=(
            "Participants and their guardians sign the informed consent",
            "Able to provide written consent",
        ),
        non_examples=("consenting adults",),
        trigger=("consent", "assent", "icf"),
    ),
    Pattern(
        name="investigator_judgement",
        kind="not_checkable",
        label="investigator_judgement",
        regex=r"""(?:opinion|judg(?:e)?ment|discretion|assessment)\s+of\s+the\s+(?:treating\s+|principal\s+)?
        (?:investigators?|researchers?|physicians?|study\s+(?:doctor|physician|team)|PI|clinicians?)
        |(?:investigator|researcher|physician|doctor)(?:'s|s'|s)?\s+(?:opinion|judg(?:e)?ment|discretion)
        |(?:investigators?|researchers?|physicians?|doctors?)\s+(?:considers?|believes?|judges?
        |deems?|thinks?|feels?)|(?:considered|deemed|judged|assessed)\s+(?:by\s+the\s+
        (?:investigators?|researchers?|physicians?|study\s+team)|unsuitable|inappropriate
        |ineligible|not\s+suitable)|unsuitable\s+for\s+(?:inclusion|participation|the\s+study
        |enrol+ment)|(?:not\s+suitable|inappropriate)\s+for\s+(?:inclusion|participation|the\s+study
        |this\s+study|enrol+ment)|in\s+the\s+(?:opinion|judg(?:e)?ment)\s+of""",
        examples=(
            "Other situations that the researcher considers unsuitable for inclusion",
            "any condition which, in the opinion of the investigator, would interfere",
        ),
        non_examples=("investigator-initiated trial",),
        trigger=(
            "investigator",
            "researcher",
            "physician",
            "doctor",
            "clinician",
            "opinion",
            "judg",
            "discretion",
            "suitable",
            "inappropriate",
            "considered",
            "deemed",
            "assessed",
            "ineligible",
        ),
    ),
    Pattern(
        name="logistics",
        kind="not_checkable",
        label="logistics",
        regex=r"""\b(?:able|willing|unable|unwilling|capable|incapable|agree)s?\s+(?:and\s+(?:able|willing)\s+)?
        to\s+(?:comply|attend|complete|follow|return|participate|travel|adhere|understand|read
        |communicate|speak|undergo\s+all|perform\s+study|keep|use\s+(?:a|the)\s+(?:smartphone|app))
        |compliance\s+with|follow[\s-]up\s+(?:visits?|schedule|assessments)|study\s+(?:visits|procedures
        |schedule)|\b(?:live|lives|reside|resides|residing|living)\s+(?:in|within|near)\b
        |geographic\w*|access\s+to\s+(?:a\s+)?(?:telephone|phone|internet|smartphone|computer
        |transportation)|(?:speak|read|understand|write)\s+(?:and\s+(?:\w+\s+)?\w+\s+)?(?:English|Chinese
        |Spanish|French|German|Dutch|Italian|Japanese|Korean|Danish|Swedish|the\s+local\s+language)
        |fluent\s+in|\bliterate\b|\bliteracy\b|good\s+venous\s+access|transportation""",
        examples=(
            "Willing and able to comply with study procedures",
            "Able to read and understand English",
            "Lives within 50 miles of the study site",
        ),
        non_examples=("able to walk 100 meters",),
        trigger=(
            "able",
            "willing",
            "agree",
            "complian",
            "follow",
            "study visit",
            "study procedure",
            "study schedule",
            "live",
            "resid",
            "geograph",
            "access",
            "english",
            "chinese",
            "spanish",
            "french",
            "german",
            "dutch",
            "italian",
            "japanese",
            "korean",
            "danish",
            "swedish",
            "local language",
            "fluent",
            "litera",
            "transport",
        ),
    ),
    Pattern(
        name="other_trial",
        kind="not_checkable",
        label="other_trial",
        regex=r"""(?:participat\w*|enrol+(?:ed|ment)?|involved|taking\s+part|took\s+part)\s+in\s+
        (?:any\s+|an\s+|a\s+)?(?:another|other|concurrent|any\s+other|an?\s+other)?\s*
        (?:interventional\s+|investigational\s+|clinical\s+|drug\s+|research\s+|therapeutic\s+)*
        (?:trials?|stud(?:y|ies)|research)|investigational\s+(?:drug|agent|product|device
        |medicinal\s+product|therapy|treatment|medication|compound)s?|(?:another|other)\s+(?:clinical\s+)?
        (?:trials?|investigational\s+stud(?:y|ies))|previously\s+(?:enrolled|randomi[sz]ed|treated)\s+in
        \s+this\s+(?:study|trial)""",
        examples=(
            "Participated in other clinical trials within 3 months before enrollment",
            "Received an investigational drug within 30 days",
        ),
        non_examples=("study drug discontinuation",),
        trigger=("trial", "stud", "research", "investigational"),
    ),
    Pattern(
        name="study_staff",
        kind="not_checkable",
        label="study_staff",
        regex=r"""(?:employees?|staff|family\s+members?|relatives?)\s+(?:of|at)\s+(?:the\s+)?
        (?:sponsor|investigators?|study\s+sites?|site|research\s+team)|\bsite\s+staff
        |directly\s+involved\s+in\s+the\s+conduct""",
        examples=("Employees of the sponsor", "site staff directly involved in the study"),
        non_examples=("staff nurse",),
        trigger=("staff", "employee", "family member", "relative", "conduct"),
    ),
    Pattern(
        name="legal",
        kind="not_checkable",
        label="legal",
        regex=r"""\bprisoners?\b|\bincarcerated|legal(?:ly)?\s+(?:guardian|representative|incompetent
        |incapacitated|protection)|under\s+(?:guardianship|tutorship|curatorship)|involuntar(?:y|ily)
        \s+(?:committed|detained|hospitali[sz]ed|incarcerated)""",
        examples=("Prisoners", "under guardianship"),
        non_examples=("legal age",),
        trigger=(
            "prisoner",
            "incarcerat",
            "legal",
            "guardian",
            "tutorship",
            "curatorship",
            "involuntar",
        ),
    ),
)
