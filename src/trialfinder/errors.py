"""Every error trialfinder raises on purpose.

TrialfinderError
├── SourceError   – a source cannot be read at all (missing file, unreachable API)
├── RecordError   – one record is bad; it is quarantined with `code`, the ingest goes on
├── StoreError    – the database cannot be opened, migrated or written
└── QueryError    – the caller asked for something invalid (an HTTP 4xx)

Interfaces translate these in one place each: the CLI prints one line and exits non-zero,
the API answers ``{"ok": false, "error": ..., "status": ...}``.
"""

from __future__ import annotations


class TrialfinderError(Exception):
    """Base class of all errors trialfinder raises on purpose."""


class SourceError(TrialfinderError):
    """A source (file, archive, URL) cannot be read at all."""


class RecordError(TrialfinderError):
    """One record is invalid; it goes to quarantine with a stable reason code.

    Codes: invalid_json, invalid_xml, invalid_utf8, missing_nct_id, bad_nct_id, wrong_type,
    bad_age, bad_date, absurd_value, too_large.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StoreError(TrialfinderError):
    """The store cannot be opened, migrated or written."""


class QueryError(TrialfinderError):
    """The caller's request is invalid; `parameter` names what to fix."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
