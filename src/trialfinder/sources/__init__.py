"""Readers of ClinicalTrials.gov formats.

Each reader yields `RawRecord`s, and `parse_record` turns one into a `Trial`.
"""

from __future__ import annotations

from trialfinder.model import Trial
from trialfinder.sources.base import RawRecord
from trialfinder.sources.ctgov_json import parse_study
from trialfinder.sources.files import read_source


def parse_record(record: RawRecord) -> Trial:
    """Parse a raw record in whatever format it came, or raise `RecordError`."""
    where = f"{record.origin} {record.position}".strip()
    if record.format == "ctgov_xml":
        from trialfinder.sources.ctgov_xml import parse_clinical_study

        return parse_clinical_study(record.data, where)
    return parse_study(record.data, where)


__all__ = ["RawRecord", "parse_record", "read_source"]
