"""The trial page of a known real record: sections, labels and values, sites, escaping."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from starlette.testclient import TestClient

from trialfinder.api import create_app
from trialfinder.model import Trial
from trialfinder.store import open_store
from trialfinder.store.base import StoredRecord

KNOWN = "NCT02650414"  # CD22 CAR T cells, CHOP/Penn: Biological intervention, nested criteria.


def _page(client: TestClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return lxml.html.fromstring(response.text)


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _shown(item: lxml.html.HtmlElement) -> str:
    """A criterion's own words: nested lists, screen-reader notes and "not read" left out."""
    copy = lxml.html.fromstring(lxml.html.tostring(item))
    for hidden in copy.xpath("./ul | .//*[@class='visually-hidden' or @class='not-read']"):
        hidden.drop_tree()
    return _text(copy)


def _rows(element: lxml.html.HtmlElement) -> list[str]:
    return [
        f"{_text(div.xpath('./dt')[0])} {_text(div.xpath('./dd')[0])}"
        for div in element.xpath(".//dl/div")
    ]


def test_sections_come_in_order_with_their_labels(client: TestClient) -> None:
    page = _page(client, f"/trials/{KNOWN}")
    assert [_text(h) for h in page.xpath("//main//h2")] == [
        "Status and phase",
        "Conditions",
        "Treatments",
        "Study type",
        "Funder types",
        "Identifiers",
        "About",
        "Eligibility",
        "Check my eligibility",
        "Trial design",
        "Patient groups",
        "Trial contacts and locations",
    ]


def test_header_names_the_trial_and_its_sponsor(client: TestClient) -> None:
    page = _page(client, f"/trials/{KNOWN}")
    assert _text(page.xpath("//main//h1")[0]) == "CD22 Redirected Autologous T Cells for ALL"
    assert _text(page.xpath("//p[@class='official-title']")[0]) == (
        "Pilot Study of Autologous Anti-CD22 Chimeric Antigen Receptor Redirected T Cells in "
        "Pediatric Patients With Chemotherapy Resistant Or Refractory Acute Lymphoblastic Leukemia"
    )
    assert (
        _text(page.xpath("//p[@class='sponsor']")[0]) == "Lead sponsor: University of Pennsylvania"
    )


def test_section_values(client: TestClient) -> None:
    page = _page(client, f"/trials/{KNOWN}")

    def section(name: str) -> lxml.html.HtmlElement:
        return page.xpath(f"//section[@id='{name}']")[0]

    assert [
        _text(b) for b in section("status-and-phase").xpath(".//span[contains(@class, 'badge')]")
    ] == [
        "Recruiting",
        "Phase 1",
    ]
    assert [_text(li) for li in section("conditions").xpath(".//li")] == [
        "B Cell Leukemias",
        "B Cell Lymphomas",
    ]
    assert [_text(h) for h in section("treatments").xpath(".//h3")] == [
        "Biological: CART22 cells transduced with a lentiviral vector to express anti-CD22 "
        "scFv TCRz:41BB"
    ]
    assert _text(section("study-type").xpath(".//p")[0]) == "Interventional"
    assert [_text(li) for li in section("funder-types").xpath(".//li")] == ["Other"]
    assert _rows(section("identifiers")) == [
        "NCT number NCT02650414",
        "Sponsor's study id 15-012219, 823312",
        "Other UPCC 15CT055",
    ]
    assert _rows(section("eligibility")) == [
        "Enrollment 15 estimated patients",
        "Sex All",
        "Ages 1 to 29 years old",
        "Volunteers No Healthy Volunteers",
    ]
    assert _rows(section("trial-design")) == [
        "Primary purpose Treatment",
        "Allocation Not applicable",
        "Interventional model Single group",
        "Masking None (Open Label)",
    ]
    groups = section("patient-groups")
    assert _text(groups.xpath(".//p")[0]) == "15 participants in 1 patient group"
    assert _text(groups.xpath(".//div[@class='group']/h3")[0]) == "CART22 cells"
    assert _text(groups.xpath(".//p[@class='group-type']")[0]) == "Experimental"
    assert _text(groups.xpath(".//div[@class='group']//li")[0]).startswith(
        "Biological: CART22 cells"
    )


def test_about_keeps_the_detailed_description_behind_a_disclosure(client: TestClient) -> None:
    about = _page(client, f"/trials/{KNOWN}").xpath("//section[@id='about']")[0]
    assert _text(about.xpath(".//details/summary")[0]) == "Detailed description"
    assert _text(about.xpath(".//details/p")[0]).startswith(
        "The study will consist of three sequential phases"
    )


def test_criteria_are_lists_with_nesting_kept(client: TestClient) -> None:
    eligibility = _page(client, f"/trials/{KNOWN}").xpath("//section[@id='eligibility']")[0]
    inclusion = eligibility.xpath(".//h3[@id='inclusion-criteria']/following-sibling::ul[1]")[0]
    nested = inclusion.xpath("./li")[1]
    assert _shown(nested) == "Relapsed or refractory B-cell ALL:"
    assert _shown(nested.xpath("./ul/li")[0]) == "2nd or greater BM relapse OR"
    exclusion = eligibility.xpath(".//h3[@id='exclusion-criteria']/following-sibling::ul[1]")[0]
    assert _shown(exclusion.xpath(".//li")[0]) == "Active hepatitis B or active hepatitis C."


def test_contacts_are_links(client: TestClient) -> None:
    contacts = _page(client, f"/trials/{KNOWN}").xpath("//section[@id='contacts-and-locations']")[0]
    central = contacts.xpath(".//h3[1]/following-sibling::p[@class='contact'][1]")[0]
    assert [(a.get("href"), _text(a)) for a in central.xpath(".//a")] == [
        ("tel:2674260762", "267-426-0762"),
        ("mailto:oncointake@email.chop.edu", "oncointake@email.chop.edu"),
    ]
    site = contacts.xpath(".//li[@class='site']")[0]
    assert _text(site.xpath(".//h4")[0]) == "Children's Hospital of Philadelphia"
    assert _text(site.xpath(".//span[contains(@class, 'badge')]")[0]) == "Recruiting"
    assert _text(site.xpath(".//p[@class='address']")[0]) == (
        "Philadelphia, Pennsylvania, 19104, United States"
    )


def test_footer_links_the_official_record(client: TestClient) -> None:
    footer = _page(client, f"/trials/{KNOWN}").xpath("//footer//p[@class='record-source']/a")[0]
    assert (footer.get("href"), _text(footer)) == (
        f"https://clinicaltrials.gov/study/{KNOWN}",
        "Data sourced from ClinicalTrials.gov",
    )


def test_sites_come_nearest_first_from_the_searched_place(client: TestClient) -> None:
    nearest = "NCT06140836"  # a multi-site lung cancer trial
    page = _page(client, f"/trials/{nearest}?place=Boston,+MA")
    distances = [_text(d) for d in page.xpath("//li[@class='site']//span[@class='distance']")]
    miles = [
        0.0 if d.startswith("Less") else float(d.split()[0].replace(",", "")) for d in distances
    ]
    assert miles == sorted(miles)
    assert len(miles) > 10
    assert _text(page.xpath("//*[@id='sites-heading']")[0]).endswith("nearest to Boston, MA first")


def test_json_twin_has_the_page_data(client: TestClient) -> None:
    data = client.get(f"/trials/{KNOWN}?format=json").json()
    assert data["eligibility"][0] == ["Enrollment", "15 estimated patients"]
    assert data["groups_summary"] == "15 participants in 1 patient group"


def test_record_text_with_markup_is_shown_as_text(tmp_path: Path) -> None:
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    trial = Trial(
        nct_id="NCT99999999",
        brief_title=f"Title {hostile}",
        brief_summary=f"Summary {hostile}",
        eligibility_criteria=f"Inclusion Criteria:\n\n* Adults {hostile}\n",
        conditions=[hostile],
    )
    store = open_store(str(tmp_path / "t.db"))
    store.write_batch([StoredRecord.of(trial, b"{}", "json", "test", "1")], [])
    with TestClient(create_app(store=store)) as client:
        response = client.get("/trials/NCT99999999")
    store.close()
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    page = lxml.html.fromstring(response.text)
    assert _text(page.xpath("//main//h1")[0]) == f"Title {hostile}"
    assert _shown(page.xpath("//section[@id='eligibility']//ul/li")[0]) == f"Adults {hostile}"
    assert page.xpath("//main//script") == []
