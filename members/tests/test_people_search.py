"""The people list's search by words (``members.selectors.directory.people_directory``) and the
normalised copy it searches (``User.search_text``), which every way of writing a name, role or
bio keeps in step. Run on SQLite and on PostgreSQL (``DATABASE_URL``): the same names are found
for the same words on both."""

import importlib
import types
import unicodedata

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import MembershipStatus, User, person_search_text, refresh_search_text
from members.selectors import directory as selectors
from members.services import accounts, profiles
from members.tests.factories import UserFactory

PEOPLE = reverse("members:people")

NAMES = [
    ("Émile Durand", "Befriending lead", ""),
    ("Siân Lloyd", "", "Rhedeg clwb cinio yng Nghaerdydd"),
    ("Seán Ó Briain", "Cathaoirleach", ""),
    ("Zoë O'Brien", "", ""),
    ("ANNA KOWALSKA", "Żeglarz", ""),
    ("王小明", "志愿者协调员", ""),
    ("Jo Baxter", "", "Loves 🌻 and tea 🙂 on Hauptstraße"),
    ("Łukasz Wałęsa", "", ""),
    ("Marjorie Quint", "", ""),
]


@pytest.fixture
def people(db):
    for name, role, bio in NAMES:
        UserFactory(full_name=name, job_title=role, bio=bio, profile_visibility="members")


@pytest.fixture
def found(client, people):
    viewer = UserFactory(full_name="Viewer Person", status=MembershipStatus.ACTIVE)
    client.force_login(viewer)

    def names(q):
        response = client.get(PEOPLE, {"q": q})
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        return sorted(a.get_text(strip=True) for a in page.select(".results-list h3 a"))

    return names


@pytest.mark.parametrize(
    "q, expected",
    [
        # Accents, either way round, in any case.
        ("emile", ["Émile Durand"]),
        ("émile", ["Émile Durand"]),
        ("ÉMILE", ["Émile Durand"]),
        ("EMILE", ["Émile Durand"]),
        ("e\u0301mile", ["Émile Durand"]),  # é typed as e + combining accent
        ("sian", ["Siân Lloyd"]),
        ("SIÂN", ["Siân Lloyd"]),
        ("sean o briain", ["Seán Ó Briain"]),
        ("Ó Briain", ["Seán Ó Briain"]),
        ("o'briain", ["Seán Ó Briain"]),  # "o briain": the two words in a row
        ("o'brien", ["Zoë O'Brien"]),
        ("zoe", ["Zoë O'Brien"]),
        ("kowalska", ["ANNA KOWALSKA"]),
        ("lukasz", ["Łukasz Wałęsa"]),
        ("WALESA", ["Łukasz Wałęsa"]),
        ("wałęsa", ["Łukasz Wałęsa"]),
        ("strasse", ["Jo Baxter"]),  # ß in the bio
        ("zeglarz", ["ANNA KOWALSKA"]),  # Ż in the role
        ("HAERDYDD", ["Siân Lloyd"]),  # inside a word of the bio
        # Any part of a word still matches, and every word must be found.
        ("jo", ["Jo Baxter", "Marjorie Quint"]),
        ("jo quint", ["Marjorie Quint"]),
        ("jo zebra", []),
        # Scripts without spaces or case.
        ("小明", ["王小明"]),
        ("协调", ["王小明"]),
        # Words with no letters or digits are left out; alone, they find nobody (not everyone).
        ("🙂", []),
        ("🌻 🙂", []),
        ("!!! -- ''", []),
        ("🙂 emile", ["Émile Durand"]),
        ("tea 🙂", ["Jo Baxter"]),
        # LIKE's wildcards are plain characters.
        ("%", []),
        ("_", []),
        ("e%e", []),
    ],
)
def test_people_are_found_by_words_whatever_their_accents_and_case(found, q, expected):
    assert found(q) == expected


def test_an_accented_word_and_its_plain_twin_find_the_same_people(found):
    assert found("Émile") == found("emile") == found("EMILE") == ["Émile Durand"]
    assert found("Siân") == found("sian") == found("SIAN") == ["Siân Lloyd"]


def test_the_search_words_are_normalised_like_the_text(db):
    assert selectors.people_search_words("  Émile  émile O'Brien 🙂 ") == ["emile", "o brien"]
    assert selectors.people_search_words("🙂 ‽") == []
    assert len(selectors.people_search_words(" ".join(f"w{i}" for i in range(20)))) == 8
    assert person_search_text("Seán Ó Briain", "", "Caint 🙂 agus tae") == (
        "sean o briain caint agus tae"
    )


def test_words_that_normalise_to_nothing_match_nobody_without_reading_anyone(
    db, people, django_assert_num_queries
):
    viewer = UserFactory(status=MembershipStatus.ACTIVE)
    terms = selectors.taxonomy()
    found = selectors.people_directory(viewer=viewer, filters={"q": "🙂 🎉"}, terms=terms)
    with django_assert_num_queries(0):
        assert found.count(1000) == 0


def test_the_search_query_count_does_not_grow_with_matches(client, db):
    viewer = UserFactory(status=MembershipStatus.ACTIVE)
    client.force_login(viewer)
    url = PEOPLE + "?q=%C3%A9mile"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        UserFactory(full_name=f"Émile Petit {i}", profile_visibility="members")
    few = queries()
    for i in range(30):
        UserFactory(full_name=f"Emile Grand {i}", profile_visibility="public")
    assert queries() == few
    assert "33 people found" in client.get(url).content.decode()


# --- Keeping search_text in step ---------------------------------------------------------------


def _stored(user):
    return User.objects.values_list("search_text", flat=True).get(pk=user.pk)


def test_saving_a_person_keeps_their_search_text(db):
    user = User.objects.create_user(email="e@example.org", full_name="Émile", job_title="Chair")
    assert _stored(user) == "emile chair"
    user.bio = "Café owner"
    user.save()
    assert _stored(user) == "emile chair cafe owner"
    user.full_name = "Siân"
    user.save(update_fields=["full_name"])  # search_text is saved with it
    assert _stored(user) == "sian chair cafe owner"
    user.job_title = "Trysorydd"
    user.save(update_fields=["status"])  # nothing searched is saved, so nothing changes
    assert _stored(user) == "sian chair cafe owner"


def test_saving_a_person_read_with_few_columns_keeps_their_search_text(db):
    user = UserFactory(full_name="Ann Ash", job_title="Chair", bio="Tea")
    partial = User.objects.only("id", "full_name").get(pk=user.pk)
    partial.full_name = "Bea Birch"
    partial.save()
    assert _stored(user) == "bea birch chair tea"
    untouched = User.objects.only("id", "status").get(pk=user.pk)
    untouched.status = MembershipStatus.LAPSED
    untouched.save()
    assert _stored(user) == "bea birch chair tea"


def test_the_profile_services_keep_search_text(db, coordinator):
    user = UserFactory(full_name="Ann Ash")
    accounts.user_update_profile(user=user, full_name="  Zoë Ash  ")
    assert _stored(user) == "zoe ash"
    profiles.person_update_profile(
        actor=coordinator, person=user, changes={"job_title": "Ysgrifennydd", "bio": "Ffermwr"}
    )
    assert _stored(user) == "zoe ash ysgrifennydd ffermwr"


def test_signing_up_keeps_search_text(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Seán Ó Briain",
            "email": "sean@example.org",
            "password1": "a-long-test-password-42",
            "password2": "a-long-test-password-42",
        },
    )
    assert response.status_code == 302
    assert _stored(User.objects.get(email="sean@example.org")) == "sean o briain"


def test_the_django_admin_keeps_search_text(client, db):
    admin = User.objects.create_superuser(email="admin@example.org", password="x-long-pass-99")
    person = UserFactory(full_name="Ann Ash")
    client.force_login(admin)
    url = reverse("admin:members_user_change", args=[person.pk])
    page = BeautifulSoup(client.get(url).content, "html.parser")
    data = {
        field["name"]: field.get("value", "")
        for field in page.select("#user_form input[name]")
        if field.get("type") not in ("checkbox", "submit")
    }
    data |= {"full_name": "Émile Ash", "status": person.status, "is_active": "on"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _stored(person) == "emile ash"


def test_bulk_writes_keep_search_text(db):
    made = User.objects.bulk_create(
        [
            User(email="a@example.org", full_name="Émile A", job_title="Chair"),
            User(email="b@example.org", full_name="Siân B", bio="Tê"),
        ]
    )
    assert sorted(User.objects.values_list("search_text", flat=True)) == [
        "emile a chair",
        "sian b te",
    ]
    for user in made:
        user.full_name = user.full_name.upper()
    User.objects.bulk_update(made, ["full_name"])
    assert _stored(made[0]) == "emile a chair"
    User.objects.filter(email="a@example.org").update(full_name="Zoë A")
    assert _stored(made[0]) == "zoe a chair"
    # Expressions, and a filter that no longer matches once the name is written.
    User.objects.filter(full_name__startswith="SIÂN").update(
        full_name=Concat(Value("Seán "), F("full_name"))
    )
    assert _stored(made[1]) == "sean sian b te"
    User.objects.update(status=MembershipStatus.LAPSED)  # nothing searched: left alone
    assert _stored(made[1]) == "sean sian b te"


def test_refresh_search_text_mends_rows_written_around_the_model(db):
    users = [UserFactory(full_name=f"Émile {i}") for i in range(5)]
    User.objects.update(search_text="")
    assert refresh_search_text(User.objects.all()) == 5
    assert [_stored(u) for u in users] == [f"emile {i}" for i in range(5)]
    assert refresh_search_text(User.objects.all()) == 0


def test_the_migration_fills_search_text_for_everyone_in_batches(db, monkeypatch):
    migration = importlib.import_module("members.migrations.0005_user_search_text")
    monkeypatch.setattr(migration, "BATCH", 2)
    users = [UserFactory(full_name=name, job_title=role, bio=bio) for name, role, bio in NAMES] + [
        UserFactory(full_name="", job_title="", bio="🙂")
    ]
    User.objects.update(search_text="")
    migration.fill_search_text(apps, types.SimpleNamespace(connection=connection))
    for user in users:
        assert _stored(user) == person_search_text(user.full_name, user.job_title, user.bio)
    assert _stored(users[0]) == "emile durand befriending lead"


def test_demo_people_are_searchable(db):
    from django.core.management import call_command

    call_command("seed_demo", "--seed", "3", "--orgs", "10", "--people", "40", verbosity=0)
    mismatched = [
        person.email
        for person in User.objects.all()
        if person.search_text != person_search_text(person.full_name, person.job_title, person.bio)
    ]
    assert mismatched == []


# --- Fuzz ---------------------------------------------------------------------------------------


@pytest.fixture
def fuzz_client(client, db):
    for i, (name, role, bio) in enumerate(NAMES):
        User.objects.create(
            email=f"fuzz{i}@example.org",
            full_name=name,
            job_title=role,
            bio=bio,
            status=MembershipStatus.ACTIVE,
            password=make_password(None),
        )
    client.force_login(UserFactory(status=MembershipStatus.ACTIVE))
    return client


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=250),
        st.sampled_from(["\x00", "%", "_", "\\", "'", '"', "é", "🙂", "Ⅻ", "ﬃ", "İ", "ß"]),
    ),
    htmx=st.booleans(),
)
def test_no_search_makes_the_people_list_fail(fuzz_client, q, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = fuzz_client.get(PEOPLE, {"q": q}, **headers)
    assert response.status_code == 200


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40))
def test_every_word_of_a_name_finds_its_owner(db, name):
    """Whatever the name, each of its words, typed in capitals or without accents, finds it."""
    person = User.objects.create(
        email="fuzz@example.org", full_name=name, status=MembershipStatus.ACTIVE
    )
    viewer = User.objects.create(email="viewer@example.org", status=MembershipStatus.ACTIVE)
    terms = selectors.taxonomy()
    try:
        for word in name.split():
            for typed in (word, word.upper(), unicodedata.normalize("NFKD", word)):
                if not selectors.people_search_words(typed):
                    continue
                found = selectors.people_directory(viewer=viewer, filters={"q": typed}, terms=terms)
                pks = found.queryset.prefetch_related(None).values_list("pk", flat=True)
                assert person.pk in pks, typed
    finally:
        User.objects.filter(pk__in=[person.pk, viewer.pk]).delete()
