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
    # --- joining (members/urls_join.py) ---
    # --- coordinator screens (members/urls_coordinator.py) ---
    # --- offers, needs and introductions (matching/urls.py) ---
    # --- events (events/urls.py) ---
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
    names = {n for n in _named_patterns() if not (n or "").startswith("admin:")}
    missing = names - set(EXPECTED) - set(NOT_WALKED)
    assert not missing, f"Add these URLs to tests/test_url_access.py: {sorted(map(str, missing))}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_answers_each_role_as_expected(name, role, client_for, coordinator):
    coordinator.is_staff = True
    coordinator.save()
    kwargs, statuses = EXPECTED[name]
    response = client_for(role).get(reverse(name, kwargs=kwargs))
    assert response.status_code == statuses[role], (
        f"{name} as {role}: {response.status_code}, expected {statuses[role]}"
    )
    if statuses[role] == REDIRECT and role == V and name in {"members:account"}:
        assert "/accounts/login/" in response["Location"]
