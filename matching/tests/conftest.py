import pytest

from members.models import AreaServed
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture
def local_person(db):
    """``local_person("LS1", latitude, longitude)``: a member of a local organisation there."""

    def make(name="Ann Example", *, lat=53.80, lon=-1.55, **user_fields):
        org = OrganisationFactory(latitude=lat, longitude=lon, area_served=AreaServed.LOCAL)
        user = UserFactory(full_name=name, **user_fields)
        MembershipFactory(user=user, organisation=org)
        return user

    return make


@pytest.fixture
def two_members(local_person):
    """Two members of local organisations a few kilometres apart in Leeds."""
    return (
        local_person(
            "Hana Hall", lat=53.80, lon=-1.55, email="hana@example.org", phone="0113 496 0000"
        ),
        local_person(
            "Rhys Room", lat=53.82, lon=-1.58, email="rhys@example.org", phone="0113 496 0999"
        ),
    )


@pytest.fixture
def another_member(db):
    return UserFactory(full_name="Ola Other")
