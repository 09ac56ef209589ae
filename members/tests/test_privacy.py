"""Nothing a person hid appears anywhere a viewer can reach.

One organisation has 27 people: every combination of who may see their page, their email
address and their phone number (anyone / members / nobody). Each person's name, role, email
and phone are unique markers. We then walk every page and fragment a visitor and a member can
reach (directory, search results, people list, organisation page, every person page, htmx
fragments, the CSV export) and check that every marker that viewer must not see is absent,
including from titles and meta tags, and that what they may see is there.
"""

import itertools
import re

import pytest
from django.urls import reverse

from members.models import Organisation, OrganisationMembership, Visibility
from members.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

LEVELS = [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN]
SEES = {
    "visitor": {Visibility.PUBLIC},
    "member": {Visibility.PUBLIC, Visibility.MEMBERS},
}


@pytest.fixture
def network(db):
    org = OrganisationFactory(
        name="Zephyr Befriending Circle",
        description="Telephone befriending for people living alone.",
        email="hello@zephyr.example.org",
    )
    people = []
    for i, (page, email, phone) in enumerate(itertools.product(LEVELS, LEVELS, LEVELS)):
        person = UserFactory(
            full_name=f"Personq{i:02d}x Zephyrson",
            email=f"secretq{i:02d}x@example.net",
            phone=f"07700 9001{i:02d}",
            job_title=f"Rolemarkq{i:02d}x",
            bio=f"Biomarkq{i:02d}x likes tea.",
            profile_visibility=page,
            email_visibility=email,
            phone_visibility=phone,
        )
        MembershipFactory(user=person, organisation=org)
        people.append(person)
    return org, people


def _allowed(person, viewer_role):
    """What ``viewer_role`` may see of ``person``: page, email, phone."""
    levels = SEES[viewer_role]
    page = person.profile_visibility in levels
    return {
        "page": page,
        "email": page and person.email_visibility in levels,
        "phone": page and person.phone_visibility in levels,
    }


def _markers(person):
    return {
        "page": [
            person.full_name,
            person.job_title,
            person.bio.split()[0],
            f"/people/{person.pk}/",
        ],
        "email": [person.email],
        "phone": [person.phone, person.phone.replace(" ", "")],
    }


def _forbidden(people, viewer_role, *, except_person=None):
    forbidden = []
    for person in people:
        if person == except_person:
            continue
        allowed = _allowed(person, viewer_role)
        for part, values in _markers(person).items():
            if not allowed[part]:
                forbidden.extend(values)
    return forbidden


def _text(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _without_tokens(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _reachable(client, org, people, viewer_role):
    """Every page and fragment about these people that the viewer can open, with its body."""
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    urls = [
        reverse("core:home"),
        reverse("members:directory"),
        reverse("members:directory") + "?q=Zephyr",
        reverse("members:directory") + "?q=Zephyrson",
        reverse("members:directory") + "?q=Rolemarkq",
        org.get_absolute_url(),
    ]
    fragments = [reverse("members:directory") + "?q=Zephyr"]
    if viewer_role == "member":
        people_url = reverse("members:people")
        urls += [
            people_url,
            people_url + "?q=Zephyrson",
            people_url + "?q=Rolemarkq",
            people_url + "?q=secretq",
            people_url + "?q=07700",
        ]
        fragments += [people_url, people_url + "?q=Zephyrson"]
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append((url, _text(response)))
    for url in fragments:
        response = client.get(url, **htmx)
        assert response.status_code == 200, url
        assert "<html" not in response.content.decode(), f"{url} should be a fragment"
        pages.append((url + " (htmx)", _text(response)))
    for person in people:
        response = client.get(reverse("members:person", kwargs={"pk": person.pk}))
        if _allowed(person, viewer_role)["page"]:
            assert response.status_code == 200
            pages.append((f"person {person.pk}", _text(response)))
        else:
            # "Not found", exactly as for someone who does not exist.
            assert response.status_code == 404
            missing = client.get(reverse("members:person", kwargs={"pk": 999_999}))
            assert _without_tokens(_text(response)) == _without_tokens(_text(missing))
    return pages


@pytest.mark.parametrize("viewer_role", ["visitor", "member"])
def test_hidden_values_never_appear_anywhere_the_viewer_can_reach(
    client, network, member, viewer_role
):
    org, people = network
    if viewer_role == "member":
        client.force_login(member)
    pages = _reachable(client, org, people, viewer_role)
    forbidden = _forbidden(people, viewer_role)
    assert forbidden, "the test must have something to hide"
    for where, body in pages:
        leaked = [value for value in forbidden if value in body]
        assert not leaked, f"{viewer_role} can see hidden values on {where}: {leaked}"


@pytest.mark.parametrize("viewer_role", ["visitor", "member"])
def test_what_people_chose_to_share_is_shown(client, network, member, viewer_role):
    """The other half: the scan above is not passing because pages show nobody."""
    org, people = network
    if viewer_role == "member":
        client.force_login(member)
    org_page = _text(client.get(org.get_absolute_url()))
    for person in people:
        allowed = _allowed(person, viewer_role)
        page = client.get(reverse("members:person", kwargs={"pk": person.pk}))
        if allowed["page"]:
            body = _text(page)
            assert person.full_name in org_page
            assert person.job_title in body
            assert (person.email in body) == allowed["email"]
            assert (person.phone in body) == allowed["phone"]


def test_a_member_sees_people_in_the_people_list_only_as_they_chose(client, network, member):
    org, people = network
    client.force_login(member)
    body = _text(client.get(reverse("members:people") + "?q=Zephyrson"))
    shown = {p for p in people if p.full_name in body}
    assert shown == {p for p in people if p.profile_visibility != Visibility.HIDDEN}


def test_visitors_cannot_open_the_people_list(client, network):
    response = client.get(reverse("members:people"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("viewer_role", ["visitor", "member", "org_admin"])
def test_the_csv_export_is_for_coordinators_only(client_for, network, viewer_role):
    client = client_for(viewer_role)
    response = client.get(reverse("members:export"))
    assert response.status_code == (302 if viewer_role == "visitor" else 403)
    body = _text(response)
    org, people = network
    assert org.email not in body
    assert not any(p.email in body for p in people)


def test_titles_and_meta_tags_of_a_members_only_page_are_never_served_to_visitors(client, network):
    org, people = network
    members_only = next(p for p in people if p.profile_visibility == Visibility.MEMBERS)
    response = client.get(reverse("members:person", kwargs={"pk": members_only.pk}))
    assert response.status_code == 404
    assert members_only.full_name not in response.content.decode()


def test_a_person_always_sees_their_own_page_and_details(client, network):
    org, people = network
    hidden = next(
        p
        for p in people
        if p.profile_visibility == p.email_visibility == p.phone_visibility == Visibility.HIDDEN
    )
    client.force_login(hidden)
    body = _text(client.get(reverse("members:person", kwargs={"pk": hidden.pk})))
    assert hidden.email in body and hidden.phone in body
    assert "This is your profile page" in body
    # ...but nobody else's hidden details.
    leaked = [v for v in _forbidden(people, "member", except_person=hidden) if v in body]
    assert not leaked


def test_coordinators_see_everyone_and_every_detail(client, network, coordinator):
    org, people = network
    client.force_login(coordinator)
    org_page = _text(client.get(org.get_absolute_url()))
    for person in people:
        assert person.full_name in org_page
        body = _text(client.get(reverse("members:person", kwargs={"pk": person.pk})))
        assert person.email in body and person.phone in body


def test_people_whose_membership_is_not_active_are_not_shown(client, network, member):
    org, people = network
    public = next(p for p in people if p.profile_visibility == Visibility.PUBLIC)
    public.status = "left"
    public.save()
    client.force_login(member)
    assert public.full_name not in _text(client.get(org.get_absolute_url()))
    assert client.get(reverse("members:person", kwargs={"pk": public.pk})).status_code == 404


def test_people_waiting_to_join_an_organisation_are_not_listed_on_it(client, network):
    org, people = network
    public = next(p for p in people if p.profile_visibility == Visibility.PUBLIC)
    OrganisationMembership.objects.filter(user=public, organisation=org).update(status="requested")
    assert public.full_name not in _text(client.get(org.get_absolute_url()))


def test_an_unlisted_organisation_is_not_found_by_visitors(client, network):
    org, people = network
    Organisation.objects.filter(pk=org.pk).update(status="pending")
    assert client.get(org.get_absolute_url()).status_code == 404
    assert org.name not in _text(client.get(reverse("members:directory") + "?q=Zephyr"))
