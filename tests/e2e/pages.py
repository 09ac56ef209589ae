"""Checks every page in a browser journey must pass, and the bookkeeping that proves each page
was checked.

``check_page(page)`` after each page load runs them all: axe-core finds no WCAG 2.2 AA
violations, the page fits the screen without scrolling sideways, it asked for nothing from
another host, and the browser reported no errors (a Content-Security-Policy violation, say,
or a missing stylesheet). The ``page`` fixtures fail a test that loaded a page it never
checked.

A test that visits an error page on purpose (a 404, say) expects Chromium's "Failed to load
resource" error: assert on it and clear it, ``journal_for(page).errors.clear()``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import axe_playwright_python
from playwright.sync_api import Page, Route

# axe-core's rules for WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@cache
def axe_source() -> str:
    """axe-core, as shipped with axe-playwright-python (no network needed)."""
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@dataclass
class Journal:
    """What happened in one page (tab) during a test."""

    javascript: bool
    loads: list[str] = field(default_factory=list)  # URL of each document loaded, in order
    checked: set[int] = field(default_factory=set)  # indexes into ``loads``
    blocked: list[str] = field(default_factory=list)  # requests to another host
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    copy: str = ""  # no-JS pages: the HTML being audited in ``audit_page``
    audit_page: Page | None = None

    def only_loopback(self, route: Route) -> None:
        """A ``route`` handler: loopback requests go on; any other host is refused and noted."""
        if is_loopback(route.request.url):
            route.fallback()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def close(self) -> None:
        if self.audit_page is not None:
            self.audit_page.context.close()

    def unchecked(self) -> list[str]:
        return [url for i, url in enumerate(self.loads) if i not in self.checked]


_journals: weakref.WeakKeyDictionary[Page, Journal] = weakref.WeakKeyDictionary()


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOOPBACK_HOSTS


def watch(page: Page, *, javascript: bool) -> Journal:
    """Start keeping ``page``'s journal: each document it loads, every request its browser
    context tried to make to another host (refused), and every error the browser reported."""
    journal = Journal(javascript=javascript)
    _journals[page] = journal
    page.context.route("**/*", journal.only_loopback)

    def on_load(loaded: Page) -> None:
        if loaded.url != "about:blank":
            journal.loads.append(loaded.url)

    def on_console(message) -> None:
        if message.type == "error":
            journal.errors.append(f"console error on {page.url}: {message.text}")

    page.on("load", on_load)
    page.on("console", on_console)
    page.on("pageerror", lambda error: journal.errors.append(f"uncaught {error} on {page.url}"))
    return journal


def journal_for(page: Page) -> Journal:
    journal = _journals.get(page)
    assert journal is not None, "Open pages with the `page`/`new_page` fixtures to check them."
    return journal


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) (axe-core, WCAG 2.2 AA) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation.get('impact')}]: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {node['target']}: {summary}")
    return "\n".join(lines)


def _run_axe(page: Page) -> list[dict]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return results["violations"]


def _audit_page(page: Page, journal: Journal) -> Page:
    """The JavaScript-enabled tab that audits copies of a no-JS ``page`` (one per page)."""
    if journal.audit_page is None:
        context = page.context.browser.new_context(viewport=page.viewport_size)
        context.add_init_script(axe_source())
        audit = context.new_page()

        def serve(route: Route) -> None:
            request = route.request
            if request.resource_type == "document":
                route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=journal.copy
                )
            elif request.resource_type == "script" or not is_loopback(request.url):
                route.abort("blockedbyclient")
            else:
                route.continue_()

        audit.route("**/*", serve)
        journal.audit_page = audit
    return journal.audit_page


def _run_axe_on_copy(page: Page, journal: Journal) -> list[dict]:
    """axe-core cannot run in a page with JavaScript switched off (its promises never settle),
    so audit an exact copy: the same HTML served at the same URL into a JavaScript-enabled tab
    of the same size, with the site's own scripts refused so the DOM stays as the no-JS visitor
    sees it. Stylesheets and images load from the live server as usual."""
    journal.copy = page.content()
    audit = _audit_page(page, journal)
    audit.goto(page.url.split("#")[0])
    return _run_axe(audit)


def _mark_checked(page: Page) -> Journal:
    page.wait_for_load_state("load")
    journal = journal_for(page)
    if journal.loads:
        journal.checked.add(len(journal.loads) - 1)
    return journal


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail listing every WCAG 2.2 AA violation (rule,
    what it means, and each element that breaks it). Marks the page as checked."""
    journal = _mark_checked(page)
    violations = _run_axe(page) if journal.javascript else _run_axe_on_copy(page, journal)
    assert not violations, format_violations(page.url, violations)


def assert_fits_screen(page: Page) -> None:
    """Nothing makes the page wider than the window: no sideways scrolling on a phone."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """width => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width)
                .slice(0, 5).map(el => el.outerHTML.slice(0, 120))""",
            width,
        )
        raise AssertionError(
            f"{page.url} is {scroll_width}px wide on a {width}px screen; too wide: {wide}"
        )


def assert_well_behaved(page: Page) -> None:
    """No request to another host and no browser error so far."""
    journal = journal_for(page)
    assert not journal.blocked, f"The page asked for other hosts (blocked): {journal.blocked}"
    assert not journal.errors, "The browser reported errors:\n" + "\n".join(journal.errors)


def check_page(page: Page) -> None:
    """Every check a page in a journey must pass; call it after each page load."""
    _mark_checked(page)
    assert_well_behaved(page)
    assert_fits_screen(page)
    assert_accessible(page)


def sign_in_as(page: Page, user, live_server) -> None:
    """Give the browser a signed-in session (the sign-in pages have their own journey)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
