import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import Organisation, User


def _snapshot():
    return (
        list(Organisation.objects.order_by("id").values_list("name", "postcode", "status")),
        list(User.objects.order_by("id").values_list("email", "full_name", "status")),
    )


def test_seed_demo_is_deterministic_for_a_seed(db):
    call_command("seed_demo", "--seed", "7", "--orgs", "20", "--people", "30", verbosity=0)
    first = _snapshot()
    Organisation.objects.all().delete()
    User.objects.all().delete()
    call_command("seed_demo", "--seed", "7", "--orgs", "20", "--people", "30", verbosity=0)
    assert _snapshot() == first
    assert len(first[0]) == 20 and len(first[1]) >= 30  # plus a few applicants


def test_seed_demo_makes_the_documented_logins_and_can_sign_in(client, db):
    call_command("seed_demo", "--orgs", "5", "--people", "10", verbosity=0)
    assert client.login(email="coordinator@example.org", password="coalition-demo-2026")
    assert User.objects.get(email="coordinator@example.org").is_coordinator


def test_seed_demo_if_empty_leaves_existing_data_alone(db, member):
    call_command("seed_demo", "--if-empty", verbosity=0)
    assert User.objects.count() == 1


def test_seed_demo_refuses_a_database_with_data_in_plain_words(db, member):
    with pytest.raises(CommandError, match="already has accounts"):
        call_command("seed_demo", verbosity=0)
