"""Fixtures shared by every test: one person for each role."""

import zlib

import factory.random
import pytest

from members.tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _same_fake_data_every_run(request):
    """Factories' Faker names and words depend only on the test, so a test that passes once
    passes every time (a random surname can no longer match a search by chance)."""
    factory.random.reseed_random(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LEARNING_FILES_ROOT = tmp_path / "private" / "learning"
    settings.GROUPS_FILES_ROOT = tmp_path / "private" / "groups"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def pending_user(db):
    return UserFactory(status="pending")


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def org_admin(db, organisation):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return user


@pytest.fixture
def coordinator(db):
    return CoordinatorFactory()


ROLES = ["visitor", "member", "org_admin", "coordinator"]


@pytest.fixture
def client_for(client, db, request):
    """``client_for("member")`` returns a test client signed in with that role."""

    def make(role):
        if role == "visitor":
            return client
        user = request.getfixturevalue(role)
        client.force_login(user)
        return client

    return make
