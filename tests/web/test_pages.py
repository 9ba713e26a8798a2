"""Search, feed, sites, static pages, 404s and headers of the website, in-process."""

from __future__ import annotations

import lxml.etree
import lxml.html
import pytest
from starlette.testclient import TestClient


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _page(client: TestClient, url: str, status: int = 200) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == status, response.text[:300]
    return lxml.html.fromstring(response.text)


SEARCH = "/?cond=cancer&place=Boston,+MA&distance=50mi&status=RECRUITING&phase=PHASE3"


def test_search_with_place_and_filters_lists_nearby_trials(client: TestClient) -> None:
    page = _page(client, SEARCH)
    heading = _text(page.xpath("//h2[@id='results-heading']")[0])
    assert heading.endswith("near Boston, MA")
    cards = page.xpath("//li[@class='card']")
    assert len(cards) == 10
    for card in cards:
        badges = [_text(b) for b in card.xpath(".//span[contains(@class, 'badge')]")]
        assert badges[0] == "Recruiting"
        assert badges[1] in ("Phase 3", "Phase 2/Phase 3")
        assert card.xpath(".//h3/a")[0].get("href").endswith("?place=Boston%2C+MA")
    nearest = [_text(d) for d in page.xpath("//dt[.='Nearest site']/following-sibling::dd")]
    assert len(nearest) == 10
    assert all(" mi (" in text for text in nearest)


def test_search_json_twin_matches_the_page(client: TestClient) -> None:
    page = _page(client, SEARCH)
    data = client.get(SEARCH + "&format=json").json()
    assert [card["nct_id"] for card in data["results"]] == [
        _text(n) for n in page.xpath("//li[@class='card']//span[@class='nct']")
    ]
    assert data["place_name"] == "Boston, MA"
    assert data["form"]["status"] == ["RECRUITING"]


def test_facets_count_the_matching_trials(client: TestClient) -> None:
    data = client.get("/?cond=asthma&format=json").json()
    statuses = next(f for f in data["facets"] if f["name"] == "status")
    assert sum(value["count"] for value in statuses["values"]) == data["total"]


def test_filters_are_echoed_and_paging_keeps_them(client: TestClient) -> None:
    page = _page(client, "/?q=cancer&status=RECRUITING")
    assert page.xpath("//input[@name='status'][@value='RECRUITING']")[0].get("checked") is not None
    assert page.xpath("//a[@rel='next']")[0].get("href") == "/?q=cancer&status=RECRUITING&page=2"


def test_unknown_place_is_explained(client: TestClient) -> None:
    response = client.get("/?place=Atlantisville")
    assert response.status_code == 400
    page = lxml.html.fromstring(response.text)
    assert _text(page.xpath("//p[@id='search-error']")[0]).startswith(
        "place: unknown place 'Atlantisville'"
    )


def test_bad_page_number_is_explained(client: TestClient) -> None:
    page = _page(client, "/?page=zero", status=400)
    assert _text(page.xpath("//p[@id='search-error']")[0]) == (
        "page 'zero' is not a page number from 1 to 1000"
    )


def test_feed_lists_newest_updates_first(client: TestClient) -> None:
    response = client.get("/feed.atom?cond=cancer")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = lxml.etree.fromstring(response.content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    updated = feed.xpath("a:entry/a:updated/text()", namespaces=atom)
    assert len(updated) == 20
    assert updated == sorted(updated, reverse=True)
    assert feed.xpath("a:title/text()", namespaces=atom) == ["trialfinder: cancer"]


def test_search_page_links_its_feed(client: TestClient) -> None:
    page = _page(client, "/?cond=asthma")
    assert page.xpath("//link[@type='application/atom+xml']")[0].get("href") == (
        "/feed.atom?cond=asthma&status=RECRUITING&status=NOT_YET_RECRUITING"
    )


def test_search_defaults_to_trials_still_open_and_any_shows_all(client: TestClient) -> None:
    default = client.get("/?cond=cancer&format=json").json()
    everything = client.get("/?cond=cancer&status=any&format=json").json()
    assert default["total"] < everything["total"]
    assert {r["status"] for r in default["results"]} <= {"RECRUITING", "NOT_YET_RECRUITING"}


def test_site_search_and_site_page(client: TestClient) -> None:
    page = _page(client, "/sites?q=children's+hospital+of+philadelphia")
    link = page.xpath("//li[@class='card']/h3/a")[0]
    assert _text(link) == "Children's Hospital of Philadelphia"
    site = _page(client, link.get("href"))
    assert _text(site.xpath("//main//h1")[0]) == "Children's Hospital of Philadelphia"
    trials = [a.get("href") for a in site.xpath("//li[@class='card']/h3/a")]
    assert "/trials/NCT02650414" in trials


def test_unknown_country_is_explained(client: TestClient) -> None:
    page = _page(client, "/sites?country=Narnia", status=400)
    assert _text(page.xpath("//p[@class='error']")[0]) == (
        "country: 'Narnia' is not a country name or ISO code (e.g. 'France', 'US')"
    )


def test_navigation_is_on_every_page(client: TestClient) -> None:
    for url in ("/", "/sites", "/resources", "/legal", "/trials/NCT02650414"):
        page = _page(client, url)
        assert [_text(a) for a in page.xpath("//nav[@aria-label='Site']//a")] == [
            "Clinical trials",
            "Research sites",
            "Find trials for a patient",
            "Resources",
            "Legal",
        ], url


def test_resources_explain_the_design_terms(client: TestClient) -> None:
    page = _page(client, "/resources")
    terms = [_text(dt) for dt in page.xpath("//section[@id='design-terms']//dt")]
    for term in ("Primary purpose", "Allocation", "Interventional model", "Masking"):
        assert term in terms


def test_legal_has_disclaimer_source_and_privacy(client: TestClient) -> None:
    page = _page(client, "/legal")
    assert [_text(h) for h in page.xpath("//main//h2")] == [
        "Disclaimer: not medical advice",
        "Data source and its terms",
        "Privacy",
    ]


def test_mistyped_nct_id_suggests_the_search(client: TestClient) -> None:
    page = _page(client, "/trials/NCT0265041", status=404)
    assert _text(page.xpath("//main//h1")[0]) == "Page not found"
    links = [(a.get("href"), _text(a)) for a in page.xpath("//main//ul/li/a")]
    assert links == [("/?q=NCT0265041", "Search the trials for “NCT0265041”")]


def test_nct_id_with_stray_characters_suggests_the_trial(client: TestClient) -> None:
    page = _page(client, "/trials/NCT-02650414", status=404)
    links = [a.get("href") for a in page.xpath("//main//ul/li/a")]
    assert links == ["/trials/NCT02650414", "/?q=NCT-02650414"]


def test_lower_case_nct_id_redirects(client: TestClient) -> None:
    response = client.get("/trials/nct02650414", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, "/trials/NCT02650414")


@pytest.mark.parametrize(
    ("path", "location"),
    [("/trials", "/"), ("/trials?cond=lupus&status=open", "/?cond=lupus&status=open")],
    ids=["bare", "with-query"],
)
def test_trials_list_is_the_search_page(client: TestClient, path: str, location: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, location)


def test_unknown_page_is_html_but_unknown_api_path_stays_json(client: TestClient) -> None:
    assert client.get("/no/such/page").headers["content-type"] == "text/html; charset=utf-8"
    api = client.get("/api/v2/no-such-thing")
    assert (api.status_code, api.json()) == (
        404,
        {"ok": False, "error": "Not Found", "status": 404},
    )


def test_html_pages_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; "
        "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    for url in ("/", "/trials/NCT02650414", "/sites", "/resources"):
        page = _page(client, url)
        assert [s.get("src") for s in page.xpath("//script")] == [
            s.get("src") for s in page.xpath("//script[@src]")
        ], url
        assert page.xpath("//style | //*[@style]") == [], url


def test_vendored_files_are_served(client: TestClient) -> None:
    for path in ("vendor/htmx/htmx.min.js", "vendor/leaflet/leaflet.js", "trial-map.js"):
        assert client.get(f"/static/{path}").status_code == 200, path
