"""The website in Debian's chromium, driven by Playwright, against a real `trialfinder serve`.

Install the browser with `apt-get install -y chromium` (scripts/test does when it is absent);
never `playwright install`. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import REPO_ROOT, shared_data
from trialfinder.ingest import ingest
from trialfinder.store import open_store

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Tiles from a closed local port: the map must stay useful when tiles cannot load.
DEAD_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
KNOWN = "NCT02650414"
BUNDLE = REPO_ROOT / "tests" / "match" / "fixtures" / "srns-boy-bundle.json"
MARKER = "Zyxwvut"  # typed into forms; must never reach the server's log
SERVER_LOGS: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `trialfinder serve` subprocess over the shared records; yields its base URL."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    records = shared_data("ctgov")
    database = tmp_path_factory.mktemp("browser") / "trials.db"
    store = open_store(str(database))
    ingest(store, [records])
    store.close()
    port = _free_port()
    command = [Path(sys.executable).parent / "trialfinder", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "TRIALFINDER_DATABASE": str(database), "TRIALFINDER_TILE_URL": DEAD_TILES}
    log = database.with_suffix(".log")
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    SERVER_LOGS[base] = log
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/legal", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(errors="replace")[-2000:]
                pytest.fail(f"trialfinder serve did not answer on {base}:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _console_errors(page: Any) -> list[str]:
    errors: list[str] = []

    def on_message(message: Any) -> None:
        # Tile requests to the dead tile server fail on purpose.
        url = str(message.location.get("url", ""))
        if message.type == "error" and not url.startswith(DEAD_TILES.split("{")[0]):
            errors.append(f"{message.text} ({url})")

    page.on("console", on_message)
    return errors


def test_search_open_trial_site_and_back(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = _console_errors(page)
    page.goto(server + "/")
    _shot(page, "home")

    page.fill("#cond", "leukemia")
    page.fill("#place", "Philadelphia, PA")
    page.select_option("#distance", "25mi")
    page.check("input[name=status][value=RECRUITING]")
    page.click(".search-main button[type=submit]")
    page.wait_for_selector("#results-heading:has-text('near Philadelphia, PA')")
    assert "place=Philadelphia" in page.url
    assert "status=RECRUITING" in page.url
    _shot(page, "results")

    page.click(f"a[href^='/trials/{KNOWN}']")
    page.wait_for_selector("h1:has-text('CD22 Redirected Autologous T Cells for ALL')")
    headings = page.locator("main h2").all_inner_texts()
    assert headings == [
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
    eligibility = page.locator("#eligibility dl").inner_text()
    for value in ("15 estimated patients", "1 to 29 years old", "No Healthy Volunteers"):
        assert value in eligibility
    assert page.locator("#treatments h3").first.inner_text().startswith("Biological: CART22")
    assert page.locator("#patient-groups > p").inner_text() == "15 participants in 1 patient group"
    assert page.locator("li.site .distance").first.inner_text() == "Less than 1 mi (1 km)"
    page.click("#about summary")
    assert page.locator("#about details p").first.is_visible()
    assert page.locator("#site-map .leaflet-marker-icon").count() == 1
    _shot(page, "trial")

    page.click("li.site h4 a")
    page.wait_for_selector('h1:has-text("Children\'s Hospital of Philadelphia")')
    assert page.locator(f"a[href='/trials/{KNOWN}']").count() == 1
    page.go_back()
    page.wait_for_selector("h1:has-text('CD22 Redirected Autologous T Cells for ALL')")
    assert page.url.startswith(f"{server}/trials/{KNOWN}")
    context.close()
    assert errors == [], "\n".join(errors)


def _axe_serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _bad_request(url: str) -> str:
    """The console line of an answer that is 400 on purpose (bad input)."""
    return (
        f"Failed to load resource: the server responded with a status of 400 (Bad Request) ({url})"
    )


def _answer_panel(page: Any) -> None:
    page.fill("#q-age", "40")
    page.check("input[name=sex][value=male]")
    page.click("#check-eligibility button[type=submit]")


def test_check_panel_swaps_in_place(server: str, browser: Any) -> None:
    # bypass_csp only so that axe can be injected at the end; the site's own scripts run as is.
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    errors = _console_errors(page)
    page.goto(f"{server}/trials/{KNOWN}")
    page.fill("#q-age", MARKER)
    page.click("#check-eligibility button[type=submit]")
    page.wait_for_selector("#check-error:has-text('must be a number between 0 and 130')")
    _answer_panel(page)
    page.wait_for_selector("#check-result h3:has-text('Not eligible')")
    assert "age 40 is not within 1 Year to 29 Years" in page.locator("#check-result").inner_text()
    assert page.url == f"{server}/trials/{KNOWN}"  # swapped by htmx: no navigation
    assert page.evaluate("document.activeElement.id") == "check-result"
    assert page.locator("h1").count() == 1
    _shot(page, "check-panel")
    assert _axe_serious(page) == []
    context.close()
    assert errors == [_bad_request(f"{server}/trials/{KNOWN}")]


def test_criteria_highlights_on_a_phone(server: str, browser: Any) -> None:
    # bypass_csp only so that axe can be injected; the highlights themselves need no script.
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server}/trials/{KNOWN}")
    age = page.locator("#eligibility ul.criteria mark.c-age", has_text="Age 1-29 years")
    assert age.get_attribute("title") == "age 1–29 years"
    score = page.locator("#eligibility mark.c-score")
    assert score.first.get_attribute("title") == "Lansky ≥ 50"
    assert page.locator("#eligibility .criteria-legend").is_visible()
    assert page.locator("#eligibility ul.criteria .not-read").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    page.locator("#inclusion-criteria").scroll_into_view_if_needed()
    _shot(page, "criteria-highlights")
    assert _axe_serious(page) == []
    context.close()


def test_check_panel_works_without_javascript(server: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/trials/{KNOWN}/check")  # the old page's address still leads here
    assert page.url == f"{server}/trials/{KNOWN}#check-eligibility"
    _answer_panel(page)
    page.wait_for_selector("#check-result h3:has-text('Not eligible')")
    assert page.url == f"{server}/trials/{KNOWN}#check-eligibility"  # POST: no answers in it
    assert page.locator("#q-age").input_value() == "40"
    context.close()


def test_find_trials_by_upload_and_by_note(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    errors = _console_errors(page)
    page.goto(f"{server}/match")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "p.json",
                "mimeType": "application/json",
                "buffer": b"not json " + MARKER.encode(),
            }
        ],
    )
    page.click("form.match-form button[type=submit]")
    page.wait_for_selector("#match-error:has-text('The file is not JSON')")
    page.set_input_files("#file", str(BUNDLE))
    page.click("form.match-form button[type=submit]")
    page.wait_for_selector("#results-heading:has-text('trials checked')")
    assert page.locator("#results li.card").count() >= 1
    assert page.locator("#results .badge").first.inner_text() in (
        "Eligible",
        "Possibly eligible",
        "Not eligible",
    )
    _shot(page, "match-upload")
    assert _axe_serious(page) == []
    page.fill("#patient", f"{MARKER} 45-year-old woman with acute lymphoblastic leukemia")
    page.click("form.match-form button[type=submit]")
    page.wait_for_selector("#results-heading:has-text('trials checked')")
    page.click("#results li.card h3 a")
    page.wait_for_selector("#check-eligibility")
    context.close()
    assert errors == [_bad_request(f"{server}/match")]
    log = SERVER_LOGS[server].read_text(errors="replace")
    assert "Application startup complete" in log  # the server's whole output
    assert MARKER not in log
    assert "leukemia" not in log


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?cond=leukemia&place=Philadelphia,+PA&status=RECRUITING",
        f"/trials/{KNOWN}",
        "/match",
    ],
    ids=["home", "results", "trial", "match"],
)
def test_no_serious_accessibility_violations(server: str, browser: Any, path: str) -> None:
    # axe is injected by the test, so this context ignores the site's script policy.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server + path)
    assert _axe_serious(page) == []
    context.close()
