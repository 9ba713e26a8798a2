"""Research sites: the site search page and one site's page with its trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from trialfinder.errors import QueryError
from trialfinder.present import humanise
from trialfinder.search import registry_country
from trialfinder.search._text import plain_words
from trialfinder.store.base import Site, SiteFilter, Store

SITE_PAGE_SIZE = 20
TIME_LIMIT_S = 5.0


@dataclass(frozen=True, slots=True)
class SiteCard:
    """One site in a list: name, where it is, how many stored trials use it."""

    site_id: str
    url: str
    name: str
    address: str
    trial_count: int


@dataclass(frozen=True, slots=True)
class SiteSearchPage:
    """The research-sites search: the form's values, one page of sites, paging links."""

    q: str
    country: str
    sites: list[SiteCard] = field(default_factory=list)
    total: int = 0
    page: int = 1
    previous_url: str = ""
    next_url: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class SiteTrial:
    """A trial held at a site, with the site's recruitment status for it."""

    nct_id: str
    url: str
    title: str
    status: str
    status_label: str
    overall_status_label: str


@dataclass(frozen=True, slots=True)
class SitePage:
    """One research site and the trials it takes part in."""

    site: SiteCard
    lat: float | None
    lon: float | None
    trials: list[SiteTrial]


def _address(site: Site) -> str:
    return ", ".join(filter(None, (site.city, site.state, site.zip, site.country)))


def _card(site: Site) -> SiteCard:
    return SiteCard(
        site_id=site.site_id,
        url=f"/sites/{site.site_id}",
        name=site.name or site.city,
        address=_address(site),
        trial_count=site.trial_count,
    )


def site_search_data(store: Store, params: Mapping[str, Sequence[str]]) -> SiteSearchPage:
    """Search sites by words of their name, city or state, and by country."""
    q = (params.get("q") or [""])[0].strip()[:500]
    country = (params.get("country") or [""])[0].strip()[:100]
    page_text = (params.get("page") or ["1"])[0]
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= 1000 else 1
    try:
        countries: tuple[str, ...] = ()
        if country:
            countries = (registry_country(country),)
        where = SiteFilter(words=plain_words(q, "q"), countries=countries)
        offset = (page - 1) * SITE_PAGE_SIZE
        found, total = store.search_sites(where, SITE_PAGE_SIZE, offset, TIME_LIMIT_S)
    except QueryError as error:
        return SiteSearchPage(q=q, country=country, error=error.message)
    pairs = [(k, v) for k, v in (("q", q), ("country", country)) if v]

    def link(number: int) -> str:
        return "/sites?" + urlencode(pairs + ([("page", str(number))] if number > 1 else []))

    return SiteSearchPage(
        q=q,
        country=country,
        sites=[_card(site) for site, _ in found],
        total=total,
        page=page,
        previous_url=link(page - 1) if page > 1 else "",
        next_url=link(page + 1) if offset + len(found) < total else "",
    )


def site_page_data(store: Store, site_id: str) -> SitePage | None:
    """A site and its trials (title, overall status and the site's own status); None if unknown."""
    found = store.get_site(site_id)
    if found is None:
        return None
    site, held = found
    trials = []
    for nct_id, status in held:
        trial = store.get_trial(nct_id)
        trials.append(
            SiteTrial(
                nct_id=nct_id,
                url=f"/trials/{nct_id}",
                title=(trial.brief_title if trial else "") or nct_id,
                status=status,
                status_label=humanise(status) or "Status not given",
                overall_status_label=humanise(trial.overall_status) if trial else "",
            )
        )
    return SitePage(site=_card(site), lat=site.lat, lon=site.lon, trials=trials)
