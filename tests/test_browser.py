"""The app in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium; .ci/run
installs it). Ask and see the streamed answer and its sources; upload a file and find it in the
library; delete it; log in when QA_AUTH is set. A screenshot of each page goes to test-artifacts/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_app import start_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FIXTURES = Path(__file__).parent / "fixtures"

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI") or os.environ.get("NEWSQA_REQUIRE_LLAMACPP"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

TIMEOUT_MS = 60_000
# expect() waits 5 s by default: too short on two busy cores (an upload chip was late under load).
sync_api.expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-app")
    process, url = start_app(tmp, "--enable-writes", "--ingest", str(FIXTURES))
    yield url, tmp
    process.terminate()
    process.wait(timeout=30)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


def test_ask_and_see_the_streamed_answer_and_its_sources(browser, app):
    url, _ = app
    page = open_page(browser, url)
    sync_api.expect(page.locator("#store-status")).to_contain_text("articles")
    page.fill("#question textarea", "What did Brandt say about GCI?")
    page.click("#ask-button")
    chat = page.locator("#chatbot")
    sync_api.expect(chat).to_contain_text("[1]")
    sync_api.expect(chat).to_contain_text("Green Corridor")
    sources = page.locator("#sources")
    sync_api.expect(sources.locator("mark").first).to_be_visible()
    sync_api.expect(sources).to_contain_text("[1]")
    # Who said it, beside the quote (the "what did X say" path).
    sync_api.expect(sources.locator(".speaker").first).to_contain_text("Oskar Brandt")
    shot(page, "ask")
    # Summarize the cited article from the sources.
    page.locator("#summary-choice input").click()
    page.get_by_role("option").first.click()
    page.click("#summarize-button")
    sync_api.expect(chat).to_contain_text("Summary of")
    sync_api.expect(sources.locator("mark").first).to_be_visible()
    shot(page, "summary")
    page.close()


def test_upload_find_in_library_and_delete(browser, app, tmp_path):
    url, _ = app
    note = tmp_path / "ferry_note.md"
    note.write_text(
        "# Ferry timetable changes in Wexcombe\n\ndate: 2024-06-01\n\n"
        "The Wexcombe ferry will run every forty minutes from June, the operator said on Saturday.\n"
    )
    page = open_page(browser, url)
    page.get_by_role("tab", name="Add articles").click()
    page.set_input_files("#upload input[type=file]", str(note))
    sync_api.expect(page.locator("#upload")).to_contain_text("ferry_note.md")
    page.click("#add-button")
    sync_api.expect(page.locator("#add-status")).to_contain_text("1 added")
    shot(page, "add-articles")

    page.get_by_role("tab", name="Library").click()
    page.fill("#library-search textarea, #library-search input", "ferry timetable")
    page.press("#library-search textarea, #library-search input", "Enter")
    table = page.locator("#library-table")
    sync_api.expect(table).to_contain_text("Ferry timetable changes in Wexcombe")
    shot(page, "library")

    chooser = page.locator("#library-chosen input")
    chooser.click()
    chooser.fill("Ferry timetable")
    page.get_by_role("option", name=re.compile("Ferry timetable changes in Wexcombe")).click()
    page.click("#delete-button")
    sync_api.expect(page.locator("#library-status")).to_contain_text("Deleted 1 article")
    sync_api.expect(table).not_to_contain_text("Ferry timetable changes in Wexcombe")
    shot(page, "library-after-delete")
    page.close()


def test_login_when_auth_is_set(browser, tmp_path):
    process, url = start_app(tmp_path, "--ingest", str(FIXTURES), env={"QA_AUTH": "reader:open-sesame"})
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_label(re.compile("username", re.I)).fill("reader")
        page.get_by_label(re.compile("password", re.I)).fill("wrong")
        page.get_by_role("button", name=re.compile("login", re.I)).click()
        sync_api.expect(page.get_by_text(re.compile("incorrect", re.I))).to_be_visible()
        shot(page, "login-refused")
        page.get_by_label(re.compile("username", re.I)).fill("reader")
        page.get_by_label(re.compile("password", re.I)).fill("open-sesame")
        page.get_by_role("button", name=re.compile("login", re.I)).click()
        page.wait_for_selector("#question textarea")
        sync_api.expect(page.locator("#store-status")).to_contain_text("articles")
        shot(page, "after-login")
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
