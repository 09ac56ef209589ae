"""Every URL, requested as every role, answers with the status we expect.

When you add a URL, add it to ``EXPECTED`` (or, with a reason, to ``NOT_WALKED``): the first test
fails until you do, so no page escapes the permission check.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import ROLES

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
V, M, A, C = ROLES  # visitor, member, org_admin, coordinator


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in_only(status=OK):
    return {V: REDIRECT, M: status, A: status, C: status}


class FromFixture:
    """A reverse() argument taken from a fixture: ``FromFixture("organisation", "slug")``."""

    def __init__(self, fixture, attribute):
        self.fixture, self.attribute = fixture, attribute

    def resolve(self, request):
        return getattr(request.getfixturevalue(self.fixture), self.attribute)


# name -> (kwargs for reverse, {role: status})
EXPECTED = {
    "core:home": ({}, everyone(OK)),
    "core:healthz": ({}, everyone(OK)),
    "members:account": ({}, signed_in_only()),
    # allauth: signed-in people are sent on from the entrance pages
    "account_login": ({}, {V: OK, M: REDIRECT, A: REDIRECT, C: REDIRECT}),
    "account_signup": ({}, {V: OK, M: REDIRECT, A: REDIRECT, C: REDIRECT}),
    "account_logout": ({}, {V: REDIRECT, M: OK, A: OK, C: OK}),
    "account_inactive": ({}, everyone(OK)),
    "account_reauthenticate": ({}, signed_in_only()),
    "account_email": ({}, signed_in_only()),
    "account_email_verification_sent": ({}, everyone(OK)),
    "account_change_password": ({}, signed_in_only()),
    "account_set_password": ({}, signed_in_only(REDIRECT)),  # they already have a password
    "account_reset_password": ({}, everyone(OK)),
    "account_reset_password_done": ({}, everyone(OK)),
    "account_reset_password_from_key_done": ({}, everyone(OK)),
    "account_confirm_email": ({"key": "not-a-real-key"}, everyone(OK)),
    "account_reset_password_from_key": ({"uidb36": "zz", "key": "bad-key"}, everyone(OK)),
    "account_confirm_login_code": ({}, everyone(REDIRECT)),  # only mid-login
    "mfa_index": ({}, signed_in_only()),
    "mfa_authenticate": ({}, everyone(REDIRECT)),  # only mid-login
    "mfa_reauthenticate": ({}, signed_in_only(REDIRECT)),  # no authenticator yet
    "mfa_activate_totp": ({}, signed_in_only(REDIRECT)),  # asks to reauthenticate first
    "mfa_deactivate_totp": ({}, signed_in_only(NOT_FOUND)),  # nothing to deactivate
    "mfa_view_recovery_codes": ({}, signed_in_only(NOT_FOUND)),
    "mfa_generate_recovery_codes": ({}, signed_in_only(REDIRECT)),
    "mfa_download_recovery_codes": ({}, signed_in_only(NOT_FOUND)),
    "admin:index": ({}, {V: REDIRECT, M: REDIRECT, A: REDIRECT, C: OK}),
    # --- directory and profiles (members/urls.py) ---
    "members:directory": ({}, everyone(OK)),
    "members:people": ({}, signed_in_only()),
    "members:export": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "members:profile_edit": ({}, signed_in_only()),
    "members:organisation": ({"slug": FromFixture("organisation", "slug")}, everyone(OK)),
    "members:organisation_edit": (
        {"slug": FromFixture("organisation", "slug")},
        {V: REDIRECT, M: FORBIDDEN, A: OK, C: OK},
    ),
    # the member's page is for members only (the default): visitors are told it is not found
    "members:person": ({"pk": FromFixture("member", "pk")}, {V: NOT_FOUND, M: OK, A: OK, C: OK}),
    # --- joining (members/urls_join.py) ---
    "joining:start": ({}, everyone(OK)),
    "joining:organisation": ({}, everyone(OK)),  # members may add their organisation
    "joining:individual": ({}, {V: OK, M: REDIRECT, A: REDIRECT, C: REDIRECT}),  # members are in
    "joining:received": ({}, everyone(REDIRECT)),  # only straight after applying
    "joining:welcome": ({}, signed_in_only()),
    "joining:find_organisation": ({}, everyone(OK)),
    "joining:ask_to_join": ({"slug": FromFixture("organisation", "slug")}, everyone(OK)),
    "joining:invite": (
        {"slug": FromFixture("organisation", "slug")},
        {V: REDIRECT, M: FORBIDDEN, A: OK, C: OK},
    ),
    # only people in the organisation can leave it
    "joining:leave_organisation": (
        {"slug": FromFixture("organisation", "slug")},
        {V: REDIRECT, M: NOT_FOUND, A: OK, C: NOT_FOUND},
    ),
    "joining:requests": ({}, {V: REDIRECT, M: FORBIDDEN, A: OK, C: OK}),
    # POST only (making a colleague an admin): no such person here, so 404 for those allowed
    "joining:set_role": (
        {"slug": FromFixture("organisation", "slug"), "pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: 405, C: 405},
    ),
    # POST only: org admins and coordinators get 405 for a GET
    "joining:request_approve": ({"pk": 1}, {V: REDIRECT, M: FORBIDDEN, A: 405, C: 405}),
    "joining:request_decline": ({"pk": 1}, {V: REDIRECT, M: FORBIDDEN, A: 405, C: 405}),
    # signed links: a bad one is refused with a clear page (400) for everyone
    "joining:invitation": ({"token": "not-a-real-token"}, everyone(400)),
    "joining:listing_confirm": ({"token": "not-a-real-token"}, everyone(400)),
    "joining:leave": ({}, signed_in_only()),
    # nobody here has an application waiting: back to their account page
    "joining:withdraw": ({}, signed_in_only(REDIRECT)),
    # --- coordinator screens (members/urls_coordinator.py) ---
    "coordinator:dashboard": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "coordinator:applications": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    # objects that do not exist here; members/tests/test_coordinator.py walks real ones
    "coordinator:application": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "coordinator:application_approve": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "coordinator:application_reject": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "coordinator:members": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "coordinator:member": (
        {"pk": FromFixture("member", "pk")},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK},
    ),
    "coordinator:member_edit": (
        {"pk": FromFixture("member", "pk")},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK},
    ),
    "coordinator:organisations": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "coordinator:organisation": (
        {"pk": FromFixture("organisation", "pk")},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK},
    ),
    "coordinator:listings": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "coordinator:listing_request": (
        {"pk": FromFixture("organisation", "pk")},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "coordinator:taxonomy": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "coordinator:term_add": (
        {"kind": "focus-areas"},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK},
    ),
    "coordinator:term_edit": (
        {"kind": "audiences", "pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "coordinator:term_move": (
        {"kind": "audiences", "pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "coordinator:term_delete": (
        {"kind": "regions", "pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "coordinator:audit": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    # --- offers, needs and introductions (matching/urls.py) ---
    "matching:board": ({}, signed_in_only()),
    "matching:my_items": ({}, signed_in_only()),
    "matching:item_create": ({}, signed_in_only()),
    "matching:item_edit": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "matching:item_status": ({"pk": 999999}, signed_in_only(405)),  # POST only
    "matching:suggestions": ({}, signed_in_only()),
    "matching:introduction_request": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "matching:introductions": ({}, signed_in_only()),
    "matching:introduction": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "matching:introduction_withdraw": ({"pk": 999999}, signed_in_only(405)),  # POST only
    # signed links from emails: no sign-in needed, a bad token is refused
    "matching:introduction_respond_link": ({"token": "not-a-real-token"}, everyone(400)),
    "matching:follow_up": ({"token": "not-a-real-token"}, everyone(400)),
    "matching:pairing_check_in": ({"token": "not-a-real-token"}, everyone(400)),
    "matching:pairing": ({}, signed_in_only()),
    "matching:health": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "matching:collaboration_create": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "matching:categories": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "matching:category_edit": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    # --- resources and learning (learning/urls.py) ---
    "learning:list": ({}, everyone(OK)),
    "learning:feed": ({}, everyone(OK)),
    "learning:themes": ({}, everyone(OK)),
    "learning:theme": ({"slug": "consider-your-space"}, everyone(OK)),  # seeded by migration
    "learning:submit": ({}, signed_in_only()),
    "learning:mine": ({}, signed_in_only()),
    "learning:queue": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "learning:theme_gaps": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "learning:theme_add": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "learning:theme_edit": (
        {"slug": "consider-your-space"},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK},
    ),
    # a resource that does not exist; learning/tests/test_views.py walks real ones as each role
    "learning:detail": ({"slug": "no-such-resource"}, everyone(NOT_FOUND)),
    "learning:download": ({"slug": "no-such-resource"}, everyone(NOT_FOUND)),
    "learning:report": ({"slug": "no-such-resource"}, signed_in_only(NOT_FOUND)),
    "learning:edit": ({"slug": "no-such-resource"}, signed_in_only(NOT_FOUND)),
    # POST only: coordinators get 405 for a GET
    "learning:approve": (
        {"slug": "no-such-resource"},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "learning:reject": (
        {"slug": "no-such-resource"},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "learning:report_resolve": ({"pk": 999999}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405}),
    # --- groups and discussions (groups/urls.py) ---
    "groups:list": ({}, signed_in_only()),
    "groups:new": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "groups:edit": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:search": ({}, signed_in_only()),
    "groups:notifications": ({}, signed_in_only()),
    "groups:settings": ({}, signed_in_only()),
    "groups:queue": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "groups:report_dismiss": ({"pk": 999999}, signed_in_only(405)),  # POST only
    "groups:unsubscribe": ({"token": "not-a-real-token"}, everyone(400)),
    "groups:attachment": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    # a thread, reply or group that does not exist; groups/tests walk real ones
    "groups:thread": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:reply": ({"pk": 999999}, signed_in_only(405)),
    "groups:thread_edit": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:thread_moderate": ({"pk": 999999}, signed_in_only(405)),
    "groups:thread_move": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:thread_report": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:reply_edit": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:reply_accept": ({"pk": 999999}, signed_in_only(405)),
    "groups:reply_moderate": ({"pk": 999999}, signed_in_only(405)),
    "groups:reply_report": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "groups:challenge_update": ({"pk": 999999}, signed_in_only(405)),
    "groups:detail": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:join": ({"slug": "no-such-group"}, signed_in_only(405)),
    "groups:leave": ({"slug": "no-such-group"}, signed_in_only(405)),
    "groups:members": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:membership_action": (
        {"slug": "no-such-group", "pk": 999999, "action": "approve"},
        signed_in_only(405),
    ),
    "groups:emails": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:thread_new": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:challenges": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    "groups:share_learning": ({"slug": "no-such-group"}, signed_in_only(NOT_FOUND)),
    # --- events (events/urls.py) ---
    "events:list": ({}, everyone(OK)),
    "events:past": ({}, everyone(OK)),
    "events:month": ({}, everyone(OK)),
    "events:feed": ({}, everyone(OK)),
    "events:feed_personal": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    "events:feed_settings": ({}, signed_in_only()),
    "events:mine": ({}, signed_in_only()),
    "events:new": ({}, signed_in_only()),
    "events:review": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "events:prompts": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    "events:series": ({"slug": "no-such-series"}, everyone(NOT_FOUND)),
    # signed links from emails: no sign-in needed, a bad token is refused
    "events:cancel_link": ({"token": "not-a-real-token"}, everyone(400)),
    "events:confirm_email": ({"token": "not-a-real-token"}, everyone(400)),
    "events:feedback_link": ({"token": "not-a-real-token"}, everyone(400)),
    # an event that does not exist; events/tests/test_access.py walks real ones as every role
    "events:detail": ({"pk": 999999}, everyone(NOT_FOUND)),
    "events:ics": ({"pk": 999999}, everyone(NOT_FOUND)),
    "events:register": ({"pk": 999999}, everyone(NOT_FOUND)),
    "events:cancel_registration": ({"pk": 999999}, everyone(405)),  # POST only
    "events:publish": ({"pk": 999999}, everyone(405)),  # POST only
    "events:reject": ({"pk": 999999}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND}),
    "events:edit": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:cancel_event": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:attendees": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:attendees_csv": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:attendance": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:feedback": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:feedback_results": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:host": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    "events:breakouts": ({"pk": 999999}, signed_in_only(NOT_FOUND)),
    # --- newsletter: subscribing, confirming, preferences, unsubscribing ---
    # (newsletter/urls_subscribers.py)
    "newsletter:subscribe": ({}, everyone(OK)),
    "newsletter:subscribe_done": ({}, everyone(OK)),
    "newsletter:preferences_request": ({}, everyone(OK)),
    "newsletter:my_preferences": ({}, signed_in_only()),
    "newsletter:subscribers": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    # signed links from emails: no sign-in needed, a bad token is refused
    "newsletter:confirm": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    "newsletter:preferences": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    "newsletter:unsubscribe": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    # --- newsletter: composing issues (newsletter/urls_issues.py) ---
    "newsletter:manage": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: OK}),
    # POST only: coordinators get 405 for a GET; issues and items that do not exist are 404
    # (newsletter/tests/test_issues_views.py walks real ones as every role)
    "newsletter:issue_new": ({}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405}),
    "newsletter:issue": ({"pk": 999999}, {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND}),
    "newsletter:issue_refresh": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "newsletter:item_add": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "newsletter:item_edit": (
        {"pk": 999999, "item_pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "newsletter:item_include": (
        {"pk": 999999, "item_pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "newsletter:item_move": (
        {"pk": 999999, "item_pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: 405},
    ),
    "newsletter:issue_preview": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "newsletter:issue_preview_html": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    # --- newsletter: sending, progress, clicks (newsletter/urls_sending.py) ---
    # an issue that does not exist; newsletter/tests/test_sending.py posts to real ones
    "newsletter:send_now": ({"pk": 999999}, everyone(405)),  # POST only
    "newsletter:test_send": ({"pk": 999999}, everyone(405)),  # POST only
    "newsletter:schedule": ({"pk": 999999}, everyone(405)),  # POST only
    "newsletter:cancel_schedule": ({"pk": 999999}, everyone(405)),  # POST only
    "newsletter:progress": (
        {"pk": 999999},
        {V: REDIRECT, M: FORBIDDEN, A: FORBIDDEN, C: NOT_FOUND},
    ),
    "newsletter:click": ({"token": "not-a-real-token"}, everyone(NOT_FOUND)),
    # --- newsletter: public archive and feed (newsletter/urls_archive.py) ---
    "newsletter:archive": ({}, everyone(OK)),
    "newsletter:feed": ({}, everyone(OK)),
    # only sent issues are in the archive; drafts and unknown numbers are not found
    "newsletter:archive_issue": ({"number": 999999}, everyone(NOT_FOUND)),
}

# Patterns deliberately not walked, with the reason.
NOT_WALKED = {
    None: "the development-only media file server (DEBUG)",
}


def _named_patterns(patterns=None, namespace=None):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _named_patterns(p.url_patterns, full)
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}" if namespace and p.name else p.name


def test_every_url_is_in_the_table():
    # The Django admin checks staff itself; anymail's provider webhooks answer only requests
    # signed with the provider's secret (groups/tests/test_inbound.py posts to them).
    names = {n for n in _named_patterns() if not (n or "").startswith(("admin:", "anymail:"))}
    missing = names - set(EXPECTED) - set(NOT_WALKED)
    assert not missing, f"Add these URLs to tests/test_url_access.py: {sorted(map(str, missing))}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_answers_each_role_as_expected(name, role, client_for, coordinator, request):
    coordinator.is_staff = True
    coordinator.save()
    kwargs, statuses = EXPECTED[name]
    kwargs = {
        key: value.resolve(request) if isinstance(value, FromFixture) else value
        for key, value in kwargs.items()
    }
    response = client_for(role).get(reverse(name, kwargs=kwargs))
    assert response.status_code == statuses[role], (
        f"{name} as {role}: {response.status_code}, expected {statuses[role]}"
    )
    if statuses[role] == REDIRECT and role == V and name in {"members:account"}:
        assert "/accounts/login/" in response["Location"]
