"""What every reader yields: the raw bytes of one record and where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecordFormat = Literal["ctgov_json", "ctgov_xml"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a source, not yet parsed.

    `origin` names the file, archive or URL; `position` says where inside it (``studies[3]``,
    ``line 12``, an archive member name), so a quarantined record can be found again.
    """

    origin: str
    position: str
    data: bytes
    format: RecordFormat
