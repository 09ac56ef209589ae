"""The browser harness catches what it promises to catch: a harness that always passes would
make every journey's "zero violations" meaningless. Pages here are served by Playwright itself
at a loopback address, so they can break the rules on purpose."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import require_chromium
from tests.e2e.pages import (
    assert_accessible,
    assert_fits_screen,
    check_page,
    journal_for,
)

BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken on purpose</h1>
<img src="/static/favicon.svg">
<p><input type="text" name="nameless"></p>
</main></body></html>"""


@pytest.fixture
def serve(live_server):
    """``serve(page, path, html)`` answers ``path`` on the live server's address with ``html``,
    from the test itself, and returns the URL."""

    def serve(page, path: str, html: str, headers: dict | None = None) -> str:
        url = live_server.url + path
        page.route(
            url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html, headers=headers
            ),
        )
        return url

    return serve


@pytest.mark.parametrize("fixture", ["page", "page_no_js"])
def test_axe_names_each_violation_and_the_element(fixture, request, serve):
    page = request.getfixturevalue(fixture)
    page.goto(serve(page, "/harness/broken", BAD_PAGE))

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    report = str(failure.value)
    assert "on http://localhost:" in report
    assert "- image-alt [critical]: Images must have alternative text" in report
    assert "at ['img']" in report
    assert "- label [critical]: Form elements must have labels" in report
    assert "at ['input']" in report


def test_requests_to_other_hosts_are_refused_and_reported(page, serve):
    html = BAD_PAGE.replace("/static/favicon.svg", "https://cdn.example.com/tracker.gif")
    page.goto(serve(page, "/harness/third-party", html))

    journal = journal_for(page)
    assert journal.blocked == ["https://cdn.example.com/tracker.gif"]
    with pytest.raises(AssertionError, match="other hosts"):
        check_page(page)
    journal.blocked.clear()
    journal.errors.clear()  # Chromium also logs the refused image


def test_content_security_policy_violations_are_reported(page, serve):
    html = BAD_PAGE.replace("<h1>", '<h1 style="color: red">')
    page.goto(serve(page, "/harness/csp", html, {"Content-Security-Policy": "style-src 'self'"}))

    with pytest.raises(
        AssertionError, match="inline style violates the following Content Security Policy"
    ):
        check_page(page)
    journal_for(page).errors.clear()


def test_a_page_wider_than_the_phone_fails(page, serve):
    html = BAD_PAGE.replace("<h1>", '<h1 class="wide">').replace(
        "</head>", "<style>.wide { width: 600px }</style></head>"
    )
    page.goto(serve(page, "/harness/wide", html))

    with pytest.raises(
        AssertionError, match=r"/harness/wide is 6\d\dpx wide on a 360px screen; too wide: .*h1"
    ):
        assert_fits_screen(page)
    journal_for(page).checked.add(0)


def test_pages_loaded_but_never_checked_are_listed(page, serve):
    first = serve(page, "/harness/one", BAD_PAGE)
    second = serve(page, "/harness/two", BAD_PAGE.replace('<img src="/static/favicon.svg">', ""))
    page.goto(first)
    page.goto(second)
    journal = journal_for(page)
    journal.checked.add(1)

    assert journal.unchecked() == [first]
    journal.checked.add(0)


def test_without_chromium_browser_tests_are_skipped_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(tmp_path / "chromium")


def test_without_chromium_browser_tests_fail_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed at .*CI=true"):
        require_chromium(tmp_path / "chromium")


def test_browser_starts(browser):
    assert browser.is_connected()
    assert browser.version
