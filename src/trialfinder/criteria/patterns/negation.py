"""ConText rules around the cue list in ``vocab/context_cues.tsv``.

The cue literals (category, literal, direction) live in the word list; these rows hold the few
forms that are not a fixed literal, each with its examples.
"""

from __future__ import annotations

from trialfinder.criteria.tables import Pattern

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="negation_except_clause",
        kind="negation",
        label="TERMINATE",
        regex=r"""\((?:\s*(?:except|excluding|other\s+than|unless|apart\s+from|with\s+the\s+exception
        \s+of|but\s+not)\b)""",
        examples=("any other malignancy (except adequately treated basal cell carcinoma)",),
        non_examples=("(ANC)",),
        trigger=("(",),
    ),
    Pattern(
        name="negation_no_prior_list",
        kind="negation",
        label="NEGATED_EXISTENCE",
        regex=r"""^\W*(?:no|not|never|without)\b""",
        examples=("No prior chemotherapy for current lung cancer", "Not pregnant or nursing"),
        non_examples=("Nodular disease",),
        trigger=("no", "not", "never", "without"),
    ),
    Pattern(
        name="qualifier_with_or_without",
        kind="qualifier",
        regex=r"""\bwith\s+or\s+without\s+(?:an?\s+|the\s+)?[^,;.()\n]{1,40}?(?=[,;.()\n]|\s+and\b|$)""",
        examples=("Class III or IV LN, with or without a membranous component and the biopsy",),
        non_examples=("with a membranous component",),
        trigger=("without",),
    ),
    Pattern(
        name="qualifier_stage",
        kind="qualifier",
        regex=r"""\bstages?\s+(?:(?:{CMP})\s*)?(?:[0IV]{1,4}[ABC]?\d?|[0-4][ABC]?)\b
        (?:\s*(?:,|or|and|-|–|to|through)\s*(?:[0IV]{1,4}[ABC]?\d?|[0-4][ABC]?)\b)*""",
        examples=("unresectable stage IIIB non-small cell lung cancer", "stage III or IV"),
        non_examples=("staged surgery",),
        trigger=("stage",),
    ),
    Pattern(
        name="qualifier_class",
        kind="qualifier",
        regex=r"""\b(?:class|grade|type)\s+(?:(?:{CMP})\s*)?(?:IV|III|II|I|[0-5])\b
        (?:\s*(?:,|or|and|-|–|to)\s*(?:IV|III|II|I|[0-5])\b)*""",
        examples=("active Class III or IV LN", "grade ≥ 2 neuropathy"),
        non_examples=("classic",),
        trigger=("class", "grade", "type"),
    ),
    Pattern(
        name="qualifier_course",
        kind="qualifier",
        regex=r"""\b(?:refractory|relapsed|recurrent|relapsing|active|severe|moderate(?:\s+to\s+severe)?
        |mild|uncontrolled|poorly\s+controlled|unstable|stable|symptomatic|asymptomatic|metastatic
        |locally\s+advanced|advanced|unresectable|resectable|chronic|acute|newly\s+diagnosed
        |histologically\s+(?:or\s+cytologically\s+)?(?:confirmed|documented|proven)
        |biopsy[\s-]proven|untreated|treated|clinically\s+significant|significant|known|confirmed
        |suspected|primary|secondary|persistent|early|progressive|end[\s-]stage)\b""",
        examples=("refractory lupus nephritis", "moderate to severe plaque psoriasis"),
        non_examples=("activity",),
        starts=(
            "refractory",
            "relapsed",
            "recurrent",
            "relapsing",
            "active",
            "severe",
            "moderate",
            "mild",
            "uncontrolled",
            "poorly",
            "unstable",
            "stable",
            "symptomatic",
            "asymptomatic",
            "metastatic",
            "locally",
            "advanced",
            "unresectable",
            "resectable",
            "chronic",
            "acute",
            "newly",
            "histologically",
            "biopsy",
            "untreated",
            "treated",
            "clinically",
            "significant",
            "known",
            "confirmed",
            "suspected",
            "primary",
            "secondary",
            "persistent",
            "early",
            "progressive",
            "end",
        ),
    ),
    Pattern(
        name="mention_as_modifier",
        kind="mention_modifier",
        label="any",
        regex=r"""(?:-\w+)?\)?\s*                              # "PD-L1", "(PD-L1)"
        (?-i:[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\s+)?                  # an acronym between: "tumor PD-L1"
        (?:kinases?|genes?|receptors?|proteins?|ligands?|expression|efficacy
        |evaluation|(?:diagnostic\s+)?criteria|staging|classification|TNM|tissues?|specimens?
        |samples?|equation|formula|Epidemiology
        |levels?|concentrations?|antigenic|assays?               # "lithium level": a lab
        |slides?|blocks?|material
        |for\s+(?:biomarker|molecular|genetic|genomic|central|pathology|histolog)\w*
        )\b                                                     # where a sample came from
        |-L\d\b                                                  # "PD" of "PD-L1"
        |(?:-|\s+)proven\b|-(?:documented|confirmed|verified)\b    # biopsy-proven: evidence
        |(?-i:(?<=ICD))[-\s]?(?:9|10|11)\b                      # ICD-10, a code book
        """,
        examples=(
            " kinase (ALK) negative",
            "-L1 expression is positive",
            " PD-L1 expression",
            " Efficacy Evaluation Criteria",
            " TNM staging",
            " receptor (EGFR) gene mutation",
            "-L1 TPS ≥ 1%",
            " Epidemiology Collaboration (CKD-EPI) equation",
            "-EPI) equation",
            " diagnostic criteria in the fifth edition",
            " (C1INH) antigenic level",
            " levels within the therapeutic range",
            " for biomarker analysis from an archival sample",
            "-documented myocarditis",
            " proven regional nodal involvement",
            "ICD-10 diagnosis Z73",
        ),
        non_examples=(
            " with measurable lesions",
            "-1 infection",
            " antigen positive",
            " confirmed by ELISA",
            " performed within 4 weeks",
        ),
    ),
    # "surgically sterile" says the patient cannot bear children, not that surgery is a criterion.
    Pattern(
        name="mention_in_sterility",
        kind="mention_modifier",
        label="any",
        regex=r"""\s+steril\w*\b""",
        examples=(" sterile.", " sterilized"),
        non_examples=(" resected", " treated"),
        trigger=("steril",),
    ),
    # NCI PDQ records list prior therapy under fixed headings ("Biologic therapy: Not
    # specified Chemotherapy: At least 4 weeks since chemotherapy"): the heading names the
    # topic of what follows, not a therapy the patient had. The lookbehinds (fixed width, case
    # kept) see the capitalised heading word at the mention's end; "prior chemotherapy: ..."
    # in running text is not a heading.
    Pattern(
        name="therapy_pdq_heading",
        kind="mention_modifier",
        label="any",
        regex=r"""(?-i:(?<=Biologic\stherapy)|(?<=Endocrine\stherapy)|(?<=Chemotherapy)
        |(?<=Radiotherapy)|(?<=Immunotherapy)|(?<=Surgery)|(?<=Transplantation))
        \s*:""",
        examples=(
            "Biologic therapy: Not specified",
            "Chemotherapy: At least 4 weeks since chemotherapy",
            "Endocrine therapy: No concurrent hormone therapy",
            "Surgery: See Disease Characteristics",
        ),
        non_examples=(
            "prior chemotherapy: at least 4 weeks",
            "Renal insufficiency: urine protein ≥ 1.0 g",
            "Surgery within 4 weeks",
        ),
        trigger=(":",),
    ),
    Pattern(
        name="condition_before_therapy",
        kind="mention_modifier",
        label="condition",
        regex=r"""-\w+(?:/\w+(?:-\w+)?)*\)?\s*                   # "PD-1 ...", "PD-1/L1 ..."
        (?:antibod(?:y|ies)|monoclonal|inhibitors?|blockade)\b
        |(?:-\w+)?\)?\s*(?-i:[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\s+)?                  # "cancer therapy"
        (?:(?:chemo|radio|immuno)?(?:therapy|therapies)(?![\s-]*na[iï]ve)  # cancer chemotherapy
        |treatments?|drugs?|investigational|regimens?|setting|vaccines?|vaccination
        |(?:controller\s+)?medications?               # "asthma controller medications"
        |(?:hyper)?immune\s+globulins?                # "CMV immune globulin": a drug
        |(?-i:surgery|surgeries|resection)(?!\s*:))\b    # lung cancer surgery, not a heading
        """,
        examples=(
            "-1 monoclonal antibody",
            "-1/L1 inhibitor",
            "-1/PD-L1 blockade",
            " therapy/ any cancer investigational drug",
            " setting.",
            " surgery.",
            " chemotherapy regimens including cisplatin",
            " vaccine will be given",
            " controller medications according to standard practice",
            " medication doses within 3 months",
            " immune globulin (CMVIG)",
            " hyperimmune globulin within 30 days",
        ),
        non_examples=(
            " Surgery: Not specified",
            " chemotherapy-naive",
            " with measurable lesions",
            "-1 infection",
            "-1/2 infection",
            " antibody positive",
        ),
    ),
    # A drug named after an allergy word is the allergen, not a treatment the patient had:
    # "allergic to penicillin" is a condition (labelling conventions of ctgov_dev.json).
    Pattern(
        name="therapy_before_allergy",
        kind="mention_modifier",
        label="therapy",
        regex=r"""[\s-]+(?:allerg(?:y|ies|ic)|hypersensitivit(?:y|ies)|anaphylaxis)\b""",
        examples=(" allergy", "-allergic patients", " hypersensitivity reactions"),
        non_examples=(" within 4 weeks", " allergen immunotherapy"),
        trigger=("allerg", "hypersensitiv", "anaphyla"),
    ),
    # A condition named after the drug or therapy that caused it: "radiation pneumonitis",
    # "opioid overdose", "cannabis use disorder". Looser links ("chemotherapy-related
    # toxicity") still name a therapy the patient had, and "insulin dependent" one he needs.
    Pattern(
        name="therapy_naming_a_condition",
        kind="mention_modifier",
        label="therapy",
        regex=r"""[\s-]+(?:pneumonitis|pneumonia|necrosis|dermatitis|proctitis|cystitis|enteritis
        |recall|addiction|abuse|misuse|overdose|poisoning|intoxication
        |withdrawal|use\s+disorders?)\b""",
        examples=(" pneumonitis", " misuse without treatment", " use disorder", "-recall"),
        non_examples=(
            " within 4 weeks",
            "-related toxicity",
            " use within 14 days",
            " dependent (needs insulin)",
        ),
        trigger=(
            "pneumon",
            "necrosis",
            "dermatitis",
            "proctitis",
            "cystitis",
            "enteritis",
            "recall",
            "addiction",
            "abuse",
            "misuse",
            "overdose",
            "poisoning",
            "intoxication",
            "withdrawal",
            "disorder",
        ),
    ),
    # A therapy's short form that begins the name of a lab method: "RT-PCR" and "RT-qPCR" are
    # reverse transcription PCR, not radiotherapy.
    Pattern(
        name="therapy_in_a_lab_method",
        kind="mention_modifier",
        label="therapy",
        regex=r"""(?-i:-(?:q|RT-|qRT-)?PCR)\b""",
        examples=("-PCR test for SARS-CoV-2", "-qPCR", "-PCR, Amplicor test kit"),
        non_examples=("-induced pneumonitis", " PCR"),
        trigger=("pcr",),
    ),
    # A therapy word that names a scale, a specialist or a service: "HCT comorbidity index",
    # "radiation oncologist", "transplant unit".
    Pattern(
        name="therapy_naming_a_scale_or_service",
        kind="mention_modifier",
        label="therapy",
        regex=r"""\s+(?:comorbidity\s+)?(?:index|indices|scales?|questionnaires?|inventory
        |oncologists?|physicians?|surgeons?|specialists?|nurses?|departments?|clinics?
        |services?)\b""",
        examples=(" comorbidity index (HCT-CI) < 5", " oncologist", " department"),
        non_examples=(" within 4 weeks", " units/day"),
        trigger=(
            "index",
            "indices",
            "scale",
            "questionnaire",
            "inventory",
            "oncologist",
            "physician",
            "surgeon",
            "specialist",
            "nurse",
            "department",
            "clinic",
            "service",
        ),
    ),
    # A heading in capitals: "RADIOTHERAPY: Radiotherapy within 21 days", "MONOCLONAL
    # ANTIBODIES AND INVESTIGATIONAL DRUGS: At least 21 days". The lookbehind (case kept) sees
    # the mention's last four letters; what follows it up to the colon is in capitals too.
    Pattern(
        name="therapy_heading_in_capitals",
        kind="mention_modifier",
        label="therapy",
        regex=r"""(?-i:(?<=[A-Z]{4})(?:\s+(?:AND|OR|&)\s+[A-Z][A-Z/ -]*)?\s*:)""",
        examples=("RADIOTHERAPY: Radiotherapy within 21 days", "ANTIBODIES AND DRUGS: At least"),
        non_examples=("Radiotherapy: within 21 days", "RT: 60 Gy", "CHEMOTHERAPY or surgery:"),
        trigger=(":",),
    ),
    # An app or program named by a therapy's short form: "participate in the CBT application".
    # The lookbehind keeps "steroid application" (applying a steroid) a treatment.
    Pattern(
        name="therapy_as_app",
        kind="mention_modifier",
        label="therapy",
        regex=r"""(?-i:(?<=[A-Z][A-Z]))\s+(?:apps?|applications?|software|platform|website)\b
        |\s+(?:apps?|software|platform|website)\b""",
        examples=("CBT application", " app on a smartphone", " software"),
        non_examples=("steroid application within 2 weeks", " therapy"),
        trigger=("app", "software", "platform", "website"),
    ),
    # A condition named as a risk the patient may carry, not one he has: "Breast Cancer Risk
    # Assessment Profile", "bleeding risk", "CAD risk factors", "fracture risk of 3% or more".
    Pattern(
        name="condition_as_risk",
        kind="mention_modifier",
        label="condition",
        regex=r"""[\s-]+risks?\b""",
        examples=(" Risk Assessment Profile", " risk factors", "-risk"),
        non_examples=(" within 4 weeks", " requiring treatment", " (risky)"),
        trigger=("risk",),
    ),
    # Rows labelled "not_therapy" / "not_procedure" are searched over the whole criterion; a
    # therapy (or procedure) mention inside their ``scope`` group is no treatment. The scope of
    # a list runs to the clause's end or to words that turn to what the patient had or needs.
    Pattern(
        name="therapy_as_allergen",
        kind="mention_modifier",
        label="not_therapy",
        regex=r"""\b(?:allerg(?:y|ies|ic)|hypersensitivit(?:y|ies)|anaphyla(?:xis|ctic))
        (?:\s+(?:reactions?|responses?))?                 # "allergic reaction"
        (?:\s+or\s+[a-z]+(?:\s+reactions?)?)?             # "hypersensitivity or anaphylaxis"
        \s+(?:to|against|towards?)\s+
        (?P<scope>(?:(?!\b(?:or|and|nor)\s+(?:any\s+)?(?:prior|previous|current|concurrent
          |concomitant|ongoing|recent|treat|therap|use|using|receiv|tak(?:e|ing)|need(?:s|ed|ing)?\b|requir
          |history|patients?|subjects?|participants?|active|known)
          |\b(?:who|which|that|requiring|needing|receiving|treated|within)\b)(?!\n\s*\n)[^.;:]){1,150})
        """,
        examples=(
            "patients allergic to penicillin",
            "Known allergy to contrast media",
            "hypersensitivity to any component of pembrolizumab",
            "Allergic reaction against steroids or local anaesthetic",
        ),
        non_examples=(
            "intolerant to imatinib",
            "platinum sensitivity",
            "allergic rhinitis treated with steroids",
        ),
        trigger=("allerg", "hypersensitiv", "anaphyla"),
    ),
    # A procedure named as the way a diagnosis was made is no treatment history: "NSCLC proven
    # by mediastinoscopy or needle biopsy", "chronic hepatitis on liver biopsy". Words of
    # progression or time between keep "progression on prior surgery" what it was.
    Pattern(
        name="procedure_as_diagnostic_means",
        kind="mention_modifier",
        label="not_procedure",
        regex=r"""\b(?:confirm|prov[ei]|document|diagnos|establish|verifi|demonstrat|evidence
        |detect|identifi)\w*
        (?:(?!\b(?:progress|relaps|recurr|fail|respon|resist|refractor|intoleran|after|following
          |since|prior|before|previous|steril|menopaus)\w*)(?!\n\s*\n)[^.;:]){0,80}?
        \b(?:by|on|via|through|using)\s+
        (?P<scope>(?:(?!\b(?:prior|previous\w*|after|following|since|history|underg\w*|underw\w*
          |receiv\w*|treat\w*|therap\w*|requir\w*|need(?:s|ed|ing)?|indicat\w*|scheduled|planned|will
          |candidates?|eligible|who|as|and\s+ha[sdv]e?)\b
          |\()(?!\n\s*\n)[^.;:]){1,200})""",
        examples=(
            "primary unresectable NSCLC proven by mediastinoscopy or needle biopsy",
            "Evidence of chronic hepatitis on liver biopsy done within 12 months",
            "diagnosis confirmed by bone marrow biopsy",
        ),
        non_examples=(
            "documented progression on prior surgery",
            "Histologically confirmed cancer, scheduled for surgery",
            "Diagnosis of radiculopathy at C5 requiring discectomy",
            "Documentation of surgical sterilisation by hysterectomy",
        ),
        trigger=(
            "confirm",
            "prov",
            "document",
            "diagnos",
            "establish",
            "verifi",
            "demonstrat",
            "evidence",
            "detect",
            "identifi",
        ),
    ),
    # A biopsy named as where a sample comes from: "archival or newly obtained biopsy".
    Pattern(
        name="procedure_as_sample",
        kind="mention_modifier",
        label="not_procedure",
        regex=r"""\b(?:archival|archived|fresh|freshly|newly|obtained|available|evaluable
        |adequate|sufficient)
        (?:\s*(?:or|and|/)\s*[a-z]+(?:\s+obtained)?)?    # "archival or newly obtained"
        \s+(?P<scope>(?:[\w-]+\s+){0,3}?biops(?:y|ies))\b""",
        examples=("an archival or newly obtained biopsy", "fresh tumor biopsy or archival tissue"),
        non_examples=("willing to undergo a tumor biopsy",),
        trigger=("biops",),
    ),
    # A biopsy followed by what it showed is how a diagnosis was made, not a procedure the
    # criterion asks about: "Lip biopsy showing focal sialadenitis", "liver biopsy
    # demonstrating cirrhosis", "a kidney biopsy consistent with IgA nephropathy".
    Pattern(
        name="procedure_as_finding_source",
        kind="mention_modifier",
        label="not_procedure",
        regex=r"""(?P<scope>(?:(?!(?:and|or|nor|with|after|following|before|plus)\b)[\w-]+\s+){0,3}?
          (?<![\w-])biops(?:y|ies))                  # "renal biopsy", not "mastectomy and a"
        (?=\s+(?:(?:done|performed|obtained)\s+(?:[\w-]+\s+){0,3}?)?  # "biopsy done ... showing"
        (?:show(?:s|ed|ing|n)?|demonstrat(?:es|ed|ing)|reveal(?:s|ed|ing)|confirm(?:s|ed|ing)
        |document(?:s|ed|ing)|(?:consistent|compatible)\s+with|diagnostic\s+of|positive\s+for
        |proving|indicating)\b)""",
        examples=(
            "Lip biopsy showing focal lymphocytic sialadenitis",
            "liver biopsy demonstrating cirrhosis",
            "a kidney biopsy consistent with IgA nephropathy",
            "a bone marrow biopsy done within 4 weeks showing less than 5% blasts",
            "prostate biopsies revealing Gleason 7 adenocarcinoma",
        ),
        non_examples=(
            "willing to undergo a tumor biopsy",
            "prior liver biopsy within 6 months",
            "biopsy and resection of the tumour",
        ),
        trigger=("biops",),
    ),
    # A bronchodilator named as the condition of a lung-function test is no treatment:
    # "post-bronchodilator FEV1/FVC < 0.7", "(with or without bronchodilator)", "at least 6
    # hours after bronchodilator use". "Use of a long-acting bronchodilator" stays one.
    Pattern(
        name="therapy_as_test_condition",
        kind="mention_modifier",
        label="not_therapy",
        regex=r"""(?:\b(?:pre|post)[\s-]*|\b(?:with\s+or\s+without|after|following)\s+(?:a\s+)?)
        (?P<scope>bronchodilators?)
        (?=[\s-]*(?:FEV|FVC|forced|spirometr|PEF|test|use|administration|inhalation|\)|,|;|$))""",
        examples=(
            "post-bronchodilator FEV1/FVC ratio <0.60",
            "post bronchodilator forced expiratory volume in one second",
            "FEV1/FVC >0.7 (with or without bronchodilator)",
            "(at least 6 hours after bronchodilator use)",
        ),
        non_examples=(
            "use of a long-acting bronchodilator",
            "on inhaled bronchodilator therapy",
            "relapse after bronchodilator withdrawal",
        ),
        trigger=("bronchodilat",),
    ),
    # A biopsy paired with cytology, histology or an aspirate is the sample a diagnosis or
    # count comes from, not a procedure the patient had: "Histologically proven
    # (biopsy/cytology)", "bone marrow involvement on aspiration and biopsy".
    Pattern(
        name="procedure_as_sample_pair",
        kind="mention_modifier",
        label="not_procedure",
        regex=r"""(?P<pair>\b(?:cytolog\w*|histolog\w*|aspirat\w*)\s*(?:/|\bor\b|\band\b)\s*
          (?:[\w-]+\s+){0,2}?)?                          # "aspiration and (core) biopsy"
        (?P<scope>(?<![\w-])biops(?:y|ies))
        (?(pair)|(?=\s*(?:/|\bor\b|\band\b)\s*(?:cytolog|histolog|aspirat)))  # or "biopsy/cytology"
        """,
        examples=(
            "Histologically proven (biopsy/cytology) adenocarcinoma",
            "Less than 30% bone marrow involvement on aspiration and biopsy",
            "confirmed by biopsy or cytology",
        ),
        non_examples=(
            "Re-biopsy (histology or cytology) after treatment failure",
            "willing to undergo a tumor biopsy",
            "biopsy and resection of the tumour",
        ),
        trigger=("biops",),
    ),
    # A tumour word inside the name of a response or classification standard: "Response
    # Evaluation Criteria in Solid Tumors", "WHO classification of tumours of haematopoietic
    # and lymphoid tissues". Rows labelled "name" drop the mentions they cover.
    Pattern(
        name="name_of_a_tumour_standard",
        kind="mention_modifier",
        label="name",
        regex=r"""\b(?:Criteria\s+(?:in|for)\s+Solid\s+Tumou?rs?
        |classification\s+of\s+(?:[\w-]+\s+){0,2}?tumou?rs(?:\s+of\s+[\w\s,-]{1,60}?\btissues?)?)\b""",
        examples=(
            "per Response Evaluation Criteria in Solid Tumors (RECIST) 1.1",
            "WHO classification of tumours of haematopoietic and lymphoid tissues",
            "Response Evaluation Criteria for Solid Tumours",
        ),
        non_examples=("solid tumors that progressed", "classification of the tumor as stage II"),
        trigger=("tumor", "tumour"),
    ),
    # A therapy's short form inside a hyphenated product name: "the NOVO-CART® Disc study".
    Pattern(
        name="therapy_in_product_name",
        kind="mention_modifier",
        label="not_therapy",
        regex=r"""(?P<scope>\b[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)\s*[®™]""",
        examples=("enrollment in the NOVO-CART® Disc study", "Dexa-C™ system"),
        non_examples=("CAR-T cell therapy", "Humira®"),
        trigger=("®", "™"),
    ),
    # Names of organisations, trials and reference books: a condition or therapy inside one is
    # part of the name, not the patient's ("National Comprehensive Cancer Network"). Rows with
    # label "name" are searched over the whole criterion; mentions inside a match are dropped.
    Pattern(
        name="name_ends_with_organisation",
        kind="mention_modifier",
        label="name",
        regex=r"""(?-i:
        (?:[A-Z][\w'’-]*\s+(?:(?:and|&)\s+)?){1,5}        # "American Diabetes", "Cancer and"
        (?:Association|Society|Network|Foundation|Institute|Consortium|Federation|Alliance
        |Committee|Council|Cent(?:er|re)|Program(?:me)?|Guidelines|Initiative|Outcomes
        |Group(?!\s*(?:\d|[IVX]+\b|[A-E]\b))              # not "PAH Group 1", "Group A"
        |(?:Study|Trial)(?!\s+(?i:drugs?|treatments?|medications?|products?|interventions?
          |agents?|visits?|entry|period|procedures?|participation|site|staff|doctor|team))
        ))\b""",
        examples=(
            "according to the American Diabetes Association criteria",
            "guidelines of the National Comprehensive Cancer Network (NCCN)",
            "using the Modification of Diet in Renal Disease Study equation",
            "response per International Myeloma Working Group",
            "treated at the Princess Margaret Cancer Centre",
            "Myasthenia Gravis Foundation of America class II",
            "Breast Cancer Prevention Trial",
            "eGFR < 40 (as defined by Kidney Disease Improving Global Outcomes guidelines)",
            "the National Asthma Education and Prevention Program (NAEPP) guidelines",
        ),
        non_examples=(
            "Diagnosis of PAH Group 1",
            "WHO Group I pulmonary hypertension",
            "the diabetes association with obesity",
            "Cancer Study Drug given",
            "Lung Cancer Trial Participation",
        ),
        trigger=(
            "association",
            "society",
            "network",
            "foundation",
            "institute",
            "consortium",
            "federation",
            "alliance",
            "committee",
            "council",
            "center",
            "centre",
            "program",
            "guidelines",
            "group",
            "study",
            "trial",
            "initiative",
            "outcomes",
        ),
    ),
    # A cooperative group whose name ends in a letter: "Cancer and Leukemia Group B (CALGB)".
    # Two capitalised words at least before "Group", so "PAH Group A" or "Group B" stay.
    Pattern(
        name="name_of_a_lettered_group",
        kind="mention_modifier",
        label="name",
        regex=r"""(?-i:(?:[A-Z][\w'’-]*\s+(?:(?:and|&)\s+)?){2,5}Group\s+[A-E])\b""",
        examples=("Cancer and Leukemia Group B (CALGB) Performance Status 0-2",),
        non_examples=("Diagnosis of PAH Group A", "Excluded for Group A:", "the Group B protocol"),
        trigger=("group",),
    ),
    Pattern(
        name="name_of_a_field",
        kind="mention_modifier",
        label="name",
        regex=r"""(?-i:
        (?:Manual|(?:International|WHO)\s+Classification|Committee|Association|Society
        |Cent(?:er|re)|Union|Foundation|Institute|College|Academy|Federation|Council|Alliance
        |Consortium|Organi[sz]ation|Department|Division|School|Faculty|Journal|Initiative)
        \s+(?:for|of|on|against)\s+                        # "Association for", "Manual of"
        (?:the\s+)?(?:Study\s+of\s+|Research\s+(?:on|in|of)\s+)?
        (?:(?:[A-Z][\w'’-]*|and|of)\s+){0,4}[A-Z][\w'’-]*  # "Lung Cancer", "Mental Disorders"
        )""",
        examples=(
            "International Association for the Study of Lung Cancer",
            "Diagnostic and Statistical Manual of Mental Disorders, 5th edition",
            "American Joint Committee on Cancer (AJCC) staging",
            "International Classification of Headache Disorders (ICHD-3)",
            "Union for International Cancer Control",
            "according to the Global Initiative for Asthma (GINA) 2021",
            "performed within the Department of Neurological Surgery",
        ),
        non_examples=(
            "meets the ACR Criteria for the Classification of RA",
            "Association of lung cancer with smoking",
            "a committee of investigators",
        ),
        trigger=(
            "manual",
            "classification",
            "committee",
            "association",
            "society",
            "center",
            "centre",
            "union",
            "foundation",
            "institute",
            "college",
            "academy",
            "federation",
            "council",
            "alliance",
            "consortium",
            "organization",
            "organisation",
            "department",
            "division",
            "school",
            "faculty",
            "journal",
            "initiative",
        ),
    ),
)
