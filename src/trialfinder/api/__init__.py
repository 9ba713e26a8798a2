"""The JSON API, shaped like ClinicalTrials.gov API v2; `create_app` builds it."""

from __future__ import annotations

from trialfinder.api._v2 import select_fields, study_document, trial_to_v2
from trialfinder.api.app import API_VERSION, create_app, error_response

__all__ = [
    "API_VERSION",
    "create_app",
    "error_response",
    "select_fields",
    "study_document",
    "trial_to_v2",
]
