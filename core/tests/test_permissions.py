from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser

from core.permissions import Role, can_edit_organisation, role_for
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory


def test_roles_from_least_to_most_trusted(db, member, org_admin, coordinator, pending_user):
    assert role_for(AnonymousUser()) is Role.VISITOR
    assert role_for(pending_user) is Role.VISITOR  # signed in, not yet approved
    assert role_for(member) is Role.MEMBER
    assert role_for(org_admin) is Role.ORG_ADMIN
    assert role_for(coordinator) is Role.COORDINATOR


def test_a_lapsed_or_disabled_admin_loses_their_role(db, organisation):
    lapsed = UserFactory(status="lapsed")
    MembershipFactory(user=lapsed, organisation=organisation, role="admin")
    disabled = UserFactory(is_active=False)
    assert role_for(lapsed) is Role.VISITOR
    assert role_for(disabled) is Role.VISITOR
    assert not can_edit_organisation(lapsed, organisation)


def test_org_admins_edit_only_their_own_organisation(db, org_admin, organisation, coordinator):
    other = OrganisationFactory()
    assert can_edit_organisation(org_admin, organisation)
    assert not can_edit_organisation(org_admin, other)
    assert can_edit_organisation(coordinator, other)


def test_coordinators_must_set_up_two_factor_when_required(client, coordinator, settings):
    settings.REQUIRE_2FA_FOR_COORDINATORS = True
    client.force_login(coordinator)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={})
    assert client.get("/").status_code == 200


def test_two_factor_is_optional_for_coordinators_when_not_required(client, coordinator, settings):
    settings.REQUIRE_2FA_FOR_COORDINATORS = False
    client.force_login(coordinator)
    assert client.get("/").status_code == 200


def test_a_coordinator_without_two_factor_cannot_post_either(client, coordinator, settings):
    settings.REQUIRE_2FA_FOR_COORDINATORS = True
    client.force_login(coordinator)
    response = client.post("/account/", {"full_name": "Changed"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    coordinator.refresh_from_db()
    assert coordinator.full_name != "Changed"
