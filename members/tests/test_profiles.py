"""Organisation and person pages, and editing them."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from core import geo, search
from core.models import AuditEntry
from members.models import FocusArea, Organisation, Region, User, Visibility
from members.services import profiles as services
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

PROFILE = "/account/profile/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def profile_data(**overrides):
    data = {
        "full_name": "Rhian Jenkins",
        "job_title": "Befriending lead",
        "bio": "I run our **telephone befriending**.",
        "phone": "01632 960 001",
        "postcode": "cf10 1ep",
        "focus_areas": [],
        "profile_visibility": "members",
        "email_visibility": "hidden",
        "phone_visibility": "members",
    }
    data.update(overrides)
    return data


def org_data(organisation, **overrides):
    data = {
        "name": organisation.name,
        "description": "Weekly lunches.",
        "website": "https://lunch.example.org",
        "email": "hello@lunch.example.org",
        "phone": "01632 960 002",
        "address": "1 High Street",
        "postcode": "LS1 4AP",
        "area_served": "local",
        "regions": [],
        "focus_areas": [],
        "audiences": [],
        "staff_size": "1-9",
        "turnover": "",
        "charity_number": "",
        "company_number": "",
    }
    data.update(overrides)
    return data


# --- A person's own profile --------------------------------------------------------------------


def test_a_person_edits_their_profile_and_who_sees_it(client, member):
    client.force_login(member)
    focus = list(FocusArea.objects.all()[:2])
    response = client.post(
        PROFILE,
        profile_data(focus_areas=[f.pk for f in focus], profile_visibility="public"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Rhian Jenkins"
    assert member.job_title == "Befriending lead"
    assert member.postcode == "CF10 1EP"  # tidied
    assert member.profile_visibility == Visibility.PUBLIC
    assert member.email_visibility == Visibility.HIDDEN
    assert member.phone_visibility == Visibility.MEMBERS
    assert set(member.focus_areas.all()) == set(focus)
    page = client.get(response["Location"])
    assert "Your profile is saved" in page.content.decode()
    # The page shows the bio as formatted text.
    body = client.get(reverse("members:person", kwargs={"pk": member.pk})).content.decode()
    assert "<strong>telephone befriending</strong>" in body


def test_the_profile_form_explains_each_visibility_choice_in_plain_english(client, member):
    client.force_login(member)
    page = soup(client.get(PROFILE))
    legends = [legend.get_text(" ", strip=True) for legend in page.select("legend")]
    assert any("Who can see your profile page?" in text for text in legends)
    assert any("Who can see your email address?" in text for text in legends)
    assert any("Who can see your phone number?" in text for text in legends)
    labels = [label.get_text(strip=True) for label in page.select("fieldset label")]
    assert {"Anyone", "Members of the network only", "Nobody (hidden)"} <= set(labels)
    assert "coordinators can always see it" in page.get_text()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "NOT A CODE", "Enter a real UK postcode"),
        ("postcode", "LS1", "Enter the full postcode"),
        ("phone", "call me", "Enter a phone number"),
        ("bio", "x" * 2001, "About you must be 2000 characters or fewer. You have used 2001."),
        ("full_name", "n" * 151, "must be 150 characters or fewer"),
        ("full_name", "   ", "Enter your full name"),
        ("job_title", "j" * 151, "must be 150 characters or fewer"),
        ("profile_visibility", "everyone", "Select a valid choice"),
    ],
)
def test_bad_profile_input_gets_a_message_beside_the_field_and_keeps_the_rest(
    client, member, field, value, message
):
    client.force_login(member)
    before = User.objects.get(pk=member.pk)
    response = client.post(PROFILE, profile_data(**{field: value}))
    assert response.status_code == 200
    page = soup(response)
    error = page.select_one(f"#id_{field}_error")
    assert error is not None and message in error.get_text(), page.select_one(".error-summary")
    assert page.select_one(f".error-summary a[href='#id_{field}']")
    assert page.title.get_text().startswith("Error:")
    # What was typed is still there.
    assert page.select_one("#id_job_title")["value"] == (
        value if field == "job_title" else "Befriending lead"
    )
    if field == "bio":
        assert page.select_one("#id_bio").get_text().strip() == value
    # Nothing was saved.
    member.refresh_from_db()
    assert member.full_name == before.full_name and member.job_title == before.job_title


def test_visitors_are_asked_to_sign_in_to_edit_a_profile(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_account_page_links_to_the_profile(client, member):
    client.force_login(member)
    body = client.get(reverse("members:account")).content.decode()
    assert PROFILE in body


def test_person_update_profile_refuses_unknown_fields(member):
    with pytest.raises(ValueError):
        services.person_update_profile(actor=member, person=member, changes={"is_staff": True})
    with pytest.raises(ValueError):
        services.person_update_profile(
            actor=member, person=member, changes={"email_visibility": "friends"}
        )


def test_a_coordinator_changing_someones_profile_is_audited(coordinator, member):
    services.person_update_profile(
        actor=coordinator, person=member, changes={"job_title": "Trustee"}
    )
    entry = AuditEntry.objects.get(action="members.person.update")
    assert entry.actor == coordinator and entry.target_id == str(member.pk)
    assert entry.data["fields"] == ["job_title"]


# --- Person pages ------------------------------------------------------------------------------


def test_a_person_page_shows_their_organisations_and_focus(client, member):
    org = OrganisationFactory(name="Harbour Memory Café")
    MembershipFactory(user=member, organisation=org)
    member.job_title = "Volunteer coordinator"
    member.save()
    member.focus_areas.set(FocusArea.objects.filter(slug="dementia"))
    viewer = UserFactory()
    client.force_login(viewer)
    page = soup(client.get(reverse("members:person", kwargs={"pk": member.pk})))
    assert page.h1.get_text(strip=True) == member.full_name
    assert page.title.get_text().startswith(member.full_name)
    assert page.select_one(f"a[href='{org.get_absolute_url()}']")
    assert "Dementia" in page.get_text()
    assert page.select_one("meta[name=robots][content=noindex]")  # members-only page


def test_a_person_who_does_not_exist_is_not_found(client, member):
    client.force_login(member)
    assert client.get(reverse("members:person", kwargs={"pk": 99999})).status_code == 404


# --- Organisation pages ------------------------------------------------------------------------


def test_an_organisation_page_shows_its_details_and_tags(client, db):
    org = OrganisationFactory(
        name="Harbour Memory Café",
        description="Music afternoons for people living with dementia.",
        website="https://harbour.example.org",
        email="hello@harbour.example.org",
        phone="01632 960 123",
        address="2 Quay Street",
        postcode="BS1 4DJ",
        outcode="BS1",
        turnover="<10k",
    )
    org.focus_areas.set(FocusArea.objects.filter(slug="dementia"))
    org.regions.set(Region.objects.filter(slug="south-west"))
    page = soup(client.get(org.get_absolute_url()))
    text = page.get_text(" ", strip=True)
    assert page.h1.get_text(strip=True) == "Harbour Memory Café"
    assert page.title.get_text().startswith("Harbour Memory Café")
    assert page.select_one("meta[name=description]")["content"].startswith("Music afternoons")
    assert page.select_one("meta[property='og:title']")["content"] == "Harbour Memory Café"
    for shown in ("Dementia", "South West", "hello@harbour.example.org", "01632 960 123", "BS1"):
        assert shown in text
    # The street address and turnover are for members only.
    assert "2 Quay Street" not in text and "Under £10,000" not in text
    client.force_login(UserFactory())
    text = soup(client.get(org.get_absolute_url())).get_text(" ", strip=True)
    assert "2 Quay Street" in text and "Under £10,000" in text


def test_a_listing_unconfirmed_for_18_months_says_so(client, db):
    old = timezone.now() - timedelta(days=600)
    stale = OrganisationFactory(name="Old Listing", confirmed_at=old)
    fresh = OrganisationFactory(name="Fresh Listing", confirmed_at=timezone.now())
    assert "has not been confirmed since" in client.get(stale.get_absolute_url()).content.decode()
    assert (
        "has not been confirmed since" not in client.get(fresh.get_absolute_url()).content.decode()
    )
    directory = client.get("/members/").content.decode()
    assert directory.count("Details not confirmed since") == 1


def test_an_unknown_organisation_is_not_found(client, db):
    assert client.get("/members/no-such-organisation/").status_code == 404


def test_an_unlisted_organisation_is_visible_to_its_own_people_and_coordinators(
    client, coordinator
):
    org = OrganisationFactory(status="pending")
    insider = UserFactory()
    MembershipFactory(user=insider, organisation=org)
    assert client.get(org.get_absolute_url()).status_code == 404
    client.force_login(UserFactory())
    assert client.get(org.get_absolute_url()).status_code == 404
    client.force_login(insider)
    response = client.get(org.get_absolute_url())
    assert (
        response.status_code == 200 and "not listed in the directory" in response.content.decode()
    )
    client.force_login(coordinator)
    assert client.get(org.get_absolute_url()).status_code == 200


def test_the_organisation_page_lists_admins_first(client, organisation, org_admin, member):
    MembershipFactory(user=member, organisation=organisation)
    client.force_login(member)
    page = soup(client.get(organisation.get_absolute_url()))
    names = [a.get_text(strip=True) for a in page.select(".person-card .result__title a")]
    assert names == [org_admin.full_name, member.full_name]


# --- Editing an organisation -------------------------------------------------------------------


def test_an_org_admin_edits_their_organisation(client, organisation, org_admin):
    client.force_login(org_admin)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    assert client.get(organisation.get_absolute_url()).content.decode().count(edit) == 1
    before = timezone.now()
    focus = FocusArea.objects.get(slug="dementia")
    response = client.post(
        edit, org_data(organisation, name="Renamed Memory Café", focus_areas=[focus.pk])
    )
    assert response.status_code == 302 and response["Location"] == organisation.get_absolute_url()
    organisation.refresh_from_db()
    assert organisation.name == "Renamed Memory Café"
    assert organisation.postcode == "LS1 4AP" and organisation.outcode == "LS1"
    assert (organisation.latitude, organisation.longitude) == geo.centroid("LS1")
    assert organisation.updated_at >= before and organisation.confirmed_at >= before
    assert list(organisation.focus_areas.all()) == [focus]
    # The search index follows: the new name and focus are found.
    found = search.search_filter(Organisation.objects.all(), "renamed dementia")
    assert list(found) == [organisation]
    assert not AuditEntry.objects.filter(action="members.organisation.update").exists()


def test_a_coordinator_edits_any_organisation_and_it_is_audited(client, organisation, coordinator):
    client.force_login(coordinator)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    response = client.post(edit, org_data(organisation, description="Changed by staff."))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="members.organisation.update")
    assert entry.actor == coordinator and "description" in entry.data["fields"]


def test_a_coordinators_correction_neither_confirms_a_listing_nor_logs_untouched_fields(
    client, coordinator
):
    """Only the organisation can say its listing is still correct; the audit log names what
    actually changed."""
    stale = timezone.now() - timedelta(days=600)
    organisation = OrganisationFactory(confirmed_at=stale)
    organisation.focus_areas.set([FocusArea.objects.get(slug="dementia")])
    client.force_login(coordinator)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    form = client.get(edit).context["form"]
    data = {
        name: form[name].value() if form[name].value() is not None else ""
        for name in form.fields
        if name != "logo"
    }
    assert data["focus_areas"] == [FocusArea.objects.get(slug="dementia").pk]
    data["description"] = "Typo fixed by staff."
    response = client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    organisation.refresh_from_db()
    assert organisation.description == "Typo fixed by staff."
    assert organisation.confirmed_at == stale and organisation.is_stale
    entry = AuditEntry.objects.get(action="members.organisation.update")
    assert entry.data["fields"] == ["description"]


def test_a_coordinator_saving_an_organisation_unchanged_leaves_no_audit_entry(
    coordinator, organisation
):
    services.organisation_update(
        actor=coordinator, organisation=organisation, changes={"name": organisation.name}
    )
    assert not AuditEntry.objects.filter(action="members.organisation.update").exists()


def test_a_coordinator_saving_a_profile_unchanged_leaves_no_audit_entry(coordinator, member):
    focus = FocusArea.objects.get(slug="dementia")
    member.focus_areas.set([focus])
    services.person_update_profile(
        actor=coordinator,
        person=member,
        changes={"full_name": member.full_name, "focus_areas": [focus.pk]},
    )
    assert not AuditEntry.objects.filter(action="members.person.update").exists()
    services.person_update_profile(actor=coordinator, person=member, changes={"focus_areas": []})
    entry = AuditEntry.objects.get(action="members.person.update")
    assert entry.data["fields"] == ["focus_areas"]
    assert list(member.focus_areas.all()) == []


def test_other_members_cannot_edit_an_organisation(client, organisation, member):
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, organisation=OrganisationFactory(), role="admin")
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    for person in (member, other_admin):
        client.force_login(person)
        assert client.get(edit).status_code == 403
        assert client.post(edit, org_data(organisation, name="Hijacked")).status_code == 403
        assert edit not in client.get(organisation.get_absolute_url()).content.decode()
    organisation.refresh_from_db()
    assert organisation.name != "Hijacked"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "name",
            "n" * 201,
            "Organisation name must be 200 characters or fewer. You have used 201.",
        ),
        ("name", "", "Enter your organisation’s name"),
        ("description", "d" * 5001, "must be 5000 characters or fewer"),
        ("website", "not a website", "Enter a web address"),
        ("email", "not-an-email", "Enter an email address in the correct format"),
        ("postcode", "XYZ", "Enter a real UK postcode"),
        ("phone", "12", "Enter a phone number"),
    ],
)
def test_bad_organisation_input_gets_a_clear_message_and_keeps_what_was_typed(
    client, organisation, org_admin, field, value, message
):
    client.force_login(org_admin)
    edit = reverse("members:organisation_edit", kwargs={"slug": organisation.slug})
    response = client.post(edit, org_data(organisation, **{field: value}))
    assert response.status_code == 200
    page = soup(response)
    error = page.select_one(f"#id_{field}_error")
    assert error is not None and message in error.get_text()
    widget = page.select_one(f"#id_{field}")
    typed = widget.get_text().strip() if widget.name == "textarea" else widget.get("value", "")
    assert typed == value
    # The page around the form still shows the saved organisation.
    assert page.h1.get_text(strip=True) == f"Edit {organisation.name}"
    organisation.refresh_from_db()
    assert getattr(organisation, field) != value


def test_clearing_the_postcode_clears_the_location(organisation, org_admin):
    services.organisation_update(
        actor=org_admin, organisation=organisation, changes={"postcode": "M1 1AE"}
    )
    assert organisation.outcode == "M1" and organisation.latitude is not None
    services.organisation_update(
        actor=org_admin, organisation=organisation, changes={"postcode": ""}
    )
    organisation.refresh_from_db()
    assert organisation.outcode == "" and organisation.latitude is None


def test_organisation_update_refuses_unknown_fields(organisation, org_admin):
    with pytest.raises(ValueError):
        services.organisation_update(
            actor=org_admin, organisation=organisation, changes={"status": "active"}
        )
