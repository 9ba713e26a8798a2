"""trialfinder: find clinical trials you can actually join.

The public surface of the library; everything named in `__all__` is stable. Implementation lives
in the subpackages (`sources`, `store`, `search`, `criteria`, `match`, `api`, `web`, `cli`).
"""

from trialfinder.errors import QueryError, RecordError, SourceError, StoreError, TrialfinderError
from trialfinder.ingest import IngestReport, ingest, ingest_records
from trialfinder.model import Trial
from trialfinder.search import SearchQuery, count_studies, facet_studies, search_studies
from trialfinder.sources import RawRecord, parse_record, read_source
from trialfinder.store import Store, open_store
from trialfinder.sync import sync

__version__ = "0.1.0"

__all__ = [
    "IngestReport",
    "QueryError",
    "RawRecord",
    "RecordError",
    "SearchQuery",
    "SourceError",
    "Store",
    "StoreError",
    "Trial",
    "TrialfinderError",
    "__version__",
    "count_studies",
    "facet_studies",
    "ingest",
    "ingest_records",
    "open_store",
    "parse_record",
    "read_source",
    "search_studies",
    "sync",
]
