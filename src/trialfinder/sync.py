"""Sync: fill the store from the live ClinicalTrials.gov API v2, incrementally and resumably.

Progress lives in the store, keyed by the query: after each page is committed the next page token is
saved, so a sync that is interrupted (or killed) resumes at that page. A sync that reaches the end
records the date it started; the next sync of the same query asks only for studies whose last
update was posted since then (`AREA[LastUpdatePostDate]RANGE[date, MAX]`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice

from trialfinder.ingest import IngestReport, ingest_records
from trialfinder.sources.api_client import CtgovApiClient, StudyPage
from trialfinder.sources.base import RawRecord
from trialfinder.store.base import Store


def sync_key(params: Mapping[str, str]) -> str:
    """Name under which a query's progress is saved: the same query always maps to the same key."""
    canonical = json.dumps(sorted(params.items()), separators=(",", ":"))
    return "sync:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def sync(
    store: Store,
    client: CtgovApiClient,
    params: Mapping[str, str],
    *,
    limit: int | None = None,
    full: bool = False,
    criteria: bool = True,
    on_page: Callable[[IngestReport, int | None], None] | None = None,
    today: datetime | None = None,
) -> IngestReport:
    """Fetch the studies matching `params` (API v2 `query.*`/`filter.*`) into `store`.

    Args:
        limit: stop after this many studies (a bounded slice); progress is kept to continue later.
        full: ignore the saved last-sync date and fetch everything that matches.
        criteria: store each new or updated trial's criteria reading with it (see `ingest`).
        on_page: called after each committed page with the running report and the total count.
    """
    key = sync_key(params)
    started = (today or datetime.now(UTC)).date()
    request = dict(params)
    since = None if full else store.get_state(f"{key}:since")
    if since:
        clause = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
        existing = request.get("filter.advanced")
        request["filter.advanced"] = f"({existing}) AND {clause}" if existing else clause
    if limit is not None:
        request.setdefault("pageSize", str(min(1000, max(1, limit))))
    token = store.get_state(f"{key}:token")
    report = IngestReport()
    total: int | None = None
    reached_end = True
    for page in client.iter_pages(request, page_token=token):
        if page.total_count is not None:
            total = page.total_count
        remaining = None if limit is None else limit - report.read
        records = _positioned(page)
        if remaining is not None:
            records = list(islice(records, remaining))
        page_report = ingest_records(store, records, criteria=criteria)
        _merge(report, page_report)
        stopped_inside_page = len(records) < len(page.records)
        if not stopped_inside_page:
            store.set_state(f"{key}:token", page.next_page_token)
        if on_page is not None:
            on_page(report, total)
        if limit is not None and report.read >= limit and page.next_page_token is not None:
            reached_end = False
            break
    store.set_state("last_sync", datetime.now(UTC).isoformat(timespec="seconds"))
    if reached_end:
        store.set_state(f"{key}:token", None)
        # One day of overlap: studies posted late on the day a sync started are fetched again.
        store.set_state(f"{key}:since", (started - timedelta(days=1)).isoformat())
    return report


def _positioned(page: StudyPage) -> list[RawRecord]:
    """The page's records, their position named by the page's token, not its number.

    A resumed sync counts pages from 1 again, so ``page 3 studies[5]`` of one run is ``page 1
    studies[5]`` of the next: a page fetched again after a kill (committed, token not yet saved)
    would quarantine its bad records twice. The token names the same page in both runs.
    """
    where = f"pageToken {page.page_token}" if page.page_token else "first page"
    return [
        replace(record, position=f"{where} studies[{i}]") for i, record in enumerate(page.records)
    ]


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.read += part.read
    total.new += part.new
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.quarantined += part.quarantined
    total.quarantine_by_code.update(part.quarantine_by_code)
    total.criteria_unread += part.criteria_unread
    total.seconds += part.seconds
