"""The API's page of studies: v2 documents of many trials in one batched read."""

from __future__ import annotations

import msgspec

from support import FIXTURES
from trialfinder.api._v2 import study_document, study_documents, trial_to_v2
from trialfinder.ingest import ingest
from trialfinder.store import Store

JSON_NCT = "NCT05397184"
XML_NCT = "NCT03204344"
MISSING = "NCT00000000"


def test_study_documents_are_raw_json_or_built_from_the_trial(store: Store) -> None:
    ingest(store, [FIXTURES / f"{JSON_NCT}.json", FIXTURES / f"{XML_NCT}.xml"])
    documents = study_documents(store, [XML_NCT, MISSING, JSON_NCT])
    assert list(documents) == [XML_NCT, JSON_NCT]
    assert documents[JSON_NCT] == msgspec.json.decode((FIXTURES / f"{JSON_NCT}.json").read_bytes())
    assert documents[XML_NCT] == trial_to_v2(store.get_trial(XML_NCT))
    assert study_document(store, XML_NCT) == documents[XML_NCT]
    assert study_document(store, MISSING) is None
    assert study_documents(store, []) == {}
