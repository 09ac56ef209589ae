"""Browser journeys: Playwright (sync API) drives Debian's Chromium against pytest-django's live
server, with axe-core checking every page.

- ``page`` is a phone-sized tab (360 × 740) with JavaScript on; ``page_no_js`` the same with
  JavaScript off; ``new_page(javascript=..., viewport=DESKTOP)`` opens any other kind.
- Every tab may only reach loopback: requests to any other host are refused and fail the test
  (the site must never make a third-party request).
- Call ``check_page(page)`` (``tests.e2e.pages``) after each page load. A test that loaded a
  page it never checked, or whose browser reported an error, fails at teardown.

Without Chromium at ``/usr/bin/chromium`` (or ``$CHROMIUM_PATH``) these tests are skipped with
a message saying so; in CI (``CI=true``) they fail instead, so a missing browser never passes
silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.e2e.pages import PHONE, axe_source, journal_for, watch

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_DIR = Path(__file__).parent
TEST_FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items):
    """Every test in tests/e2e drives a browser: mark it so `-m "not browser"` leaves it out."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


def require_chromium(path: Path) -> None:
    """Skip, with a message saying how to fix it, when Chromium is missing, or fail in CI
    (``CI=true``) so that a missing browser never passes unnoticed."""
    if path.exists():
        return
    message = (
        f"Chromium is not installed at {path}, so the browser tests cannot run. "
        "Install Debian's chromium (`apt-get install chromium`) or set CHROMIUM_PATH."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: browser tests are required.)", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Note whether the test itself failed, so teardown checks do not pile on a failure."""
    report = yield
    if report.when == "call":
        item.stash[TEST_FAILED] = report.failed
    return report


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all the journeys in this package.

    Playwright's sync API keeps an asyncio event loop running in this thread for as long as it
    is started, so Django's guard against database calls from async code would raise
    ``SynchronousOnlyOperation`` for every ORM call in a test body (and for pytest-django's
    database flush between tests). Nothing here is really async: the test thread waits on the
    browser, and the live server answers from its own thread. So the guard is switched off
    while the browser runs, and back on afterwards (package scope: the other tests in the
    session keep the guard).
    """
    require_chromium(CHROMIUM)
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine can be slow; a user-visible wait of 10 s still means "broken".
    expect.set_options(timeout=10_000)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(javascript=True, viewport=PHONE)`` opens a tab in a fresh browser context
    (its own cookies) whose relative URLs go to the live server."""
    # Rate limits (sign-ups, logins) live in the cache; start each journey with none used.
    cache.clear()
    opened = []

    def open_page(*, javascript: bool = True, viewport: dict = PHONE):
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            viewport=viewport,
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(10_000)
        if javascript:
            # axe-core is ready in every document, so checking a page costs only the run.
            context.add_init_script(axe_source())
        page = context.new_page()
        watch(page, javascript=javascript)
        opened.append(page)
        return page

    yield open_page

    problems = []
    for page in opened:
        journal = journal_for(page)
        journal.close()
        page.context.close()
        if request.node.stash.get(TEST_FAILED, True):
            continue  # the failure says what went wrong; unchecked pages would only add noise
        if journal.blocked:
            problems.append(f"Requests to other hosts were made (and blocked): {journal.blocked}")
        if journal.errors:
            problems.append("The browser reported errors:\n  " + "\n  ".join(journal.errors))
        if journal.unchecked():
            problems.append(
                "Pages were loaded but never checked with check_page()/assert_accessible(): "
                f"{journal.unchecked()}"
            )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    """A phone-sized tab (360 × 740) with JavaScript on."""
    return new_page()


@pytest.fixture
def page_no_js(new_page):
    """A phone-sized tab with JavaScript switched off: every journey must work with plain
    links and form posts."""
    return new_page(javascript=False)
