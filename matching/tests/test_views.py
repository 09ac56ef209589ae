import re
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from matching import links, services
from matching.models import (
    Collaboration,
    FollowUp,
    Introduction,
    IntroductionStatus,
    Item,
    PairingPreference,
    Suggestion,
)
from matching.tests.factories import ItemFactory, category
from members.models import FocusArea
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _suggest(member, others):
    """Store suggestions as the background task would (no model needed for page tests)."""
    rows = []
    for rank, other in enumerate(others, start=1):
        offer = ItemFactory(owner=other, kind="offer", category=category("mentoring"))
        need = ItemFactory(owner=member, kind="need", category=category("mentoring"))
        rows.append(
            Suggestion(
                member=member,
                other=other,
                rank=rank,
                score=1.0 / rank,
                their_offer=offer,
                my_need=need,
                shared_focus=["Older people"],
                distance_km=4.2,
            )
        )
    Suggestion.objects.bulk_create(rows)


# --- Board --------------------------------------------------------------------------------------


def test_the_board_lists_open_items_of_visible_people_with_filters(client, member):
    client.force_login(member)
    ItemFactory(description="We can lend our church hall", kind="offer")
    ItemFactory(
        description="Looking for help with grant bids",
        kind="need",
        category=category("funding-advice"),
    )
    ItemFactory(description="A paused offer of a kitchen", status="paused")
    ItemFactory(description="Hidden person's offer", owner=UserFactory(profile_visibility="hidden"))
    page = client.get(reverse("matching:board")).content.decode()
    assert "church hall" in page and "grant bids" in page
    assert "paused offer" not in page and "Hidden person" not in page
    page = client.get(reverse("matching:board"), {"kind": "need"}).content.decode()
    assert "grant bids" in page and "church hall" not in page
    page = client.get(reverse("matching:board"), {"category": "funding-advice"}).content.decode()
    assert "grant bids" in page and "church hall" not in page
    page = client.get(reverse("matching:board"), {"q": "hall"}).content.decode()
    assert "church hall" in page and "grant bids" not in page


def test_the_board_filters_by_place_and_focus(client, member, local_person):
    client.force_login(member)
    leeds = local_person("Lee Leeds", lat=53.80, lon=-1.55)
    exeter = local_person("Ella Exeter", lat=50.72, lon=-3.53)
    focus = FocusArea.objects.create(name="Men's health", slug="mens-health")
    leeds.focus_areas.add(focus)
    ItemFactory(
        owner=leeds, description="Leeds offer of a hall", organisation=leeds.organisations.first()
    )
    ItemFactory(
        owner=exeter,
        description="Exeter offer of a hall",
        organisation=exeter.organisations.first(),
    )
    page = client.get(reverse("matching:board"), {"near": "LS6"}).content.decode()
    assert "Leeds offer" in page and "Exeter offer" not in page
    assert "km away" in page
    page = client.get(reverse("matching:board"), {"focus": "mens-health"}).content.decode()
    assert "Leeds offer" in page and "Exeter offer" not in page
    page = client.get(reverse("matching:board"), {"near": "not a postcode"}).content.decode()
    assert "Enter a UK postcode" in page and "Exeter offer" in page


def test_the_board_answers_htmx_with_the_results_only(client, member):
    client.force_login(member)
    ItemFactory(description="We can lend our church hall")
    response = client.get(reverse("matching:board"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "church hall" in html and "<html" not in html


def test_board_queries_do_not_grow_with_the_data(client, member):
    client.force_login(member)
    ItemFactory.create_batch(3)
    few = _queries(client, reverse("matching:board"))
    ItemFactory.create_batch(25)
    assert _queries(client, reverse("matching:board")) == few
    assert _queries(client, reverse("matching:board") + "?page=2") == few


# --- Suggestions ----------------------------------------------------------------------------------


def test_suggestions_page_shows_reasons_and_no_contact_details(client, member):
    other = UserFactory(full_name="Mo Mentor", email="mo@example.org", phone="07700 900123")
    _suggest(member, [other])
    client.force_login(member)
    html = client.get(reverse("matching:suggestions")).content.decode()
    assert "Mo Mentor" in html
    assert "They offer mentoring, which you are looking for." in html
    assert "You both work on older people." in html
    assert "about 4 km apart" in html
    assert "mo@example.org" not in html and "07700 900123" not in html
    assert reverse("matching:introduction_request", kwargs={"pk": other.pk}) in html


def test_suggestions_page_queries_do_not_grow_and_it_is_fast(client, member):
    client.force_login(member)
    _suggest(member, UserFactory.create_batch(2))
    few = _queries(client, reverse("matching:suggestions"))
    Suggestion.objects.filter(member=member).delete()
    _suggest(member, UserFactory.create_batch(10))
    assert _queries(client, reverse("matching:suggestions")) == few
    started = time.perf_counter()
    client.get(reverse("matching:suggestions"))
    assert time.perf_counter() - started < 0.1


def test_no_suggestions_explains_what_to_do(client, member):
    client.force_login(member)
    html = client.get(reverse("matching:suggestions")).content.decode()
    assert "Add something you can offer" in html


# --- Items ---------------------------------------------------------------------------------------


def test_adding_an_item_without_javascript(client, member):
    client.force_login(member)
    url = reverse("matching:item_create")
    response = client.post(url, {"kind": "need", "category": "", "description": "short"})
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".error-summary")
    assert summary is not None
    assert "Write a little more" in summary.text
    assert soup.title.text.startswith("Error:")
    venue = category("venue-or-space")
    response = client.post(
        url, {"kind": "need", "category": venue.pk, "description": "Looking for a free room"}
    )
    assert response.status_code == 302
    item = Item.objects.get(owner=member)
    assert item.kind == "need" and item.category == venue
    html = client.get(reverse("matching:my_items")).content.decode()
    assert "Looking for a free room" in html
    client.post(reverse("matching:item_status", kwargs={"pk": item.pk}), {"status": "paused"})
    item.refresh_from_db()
    assert item.status == "paused"


def test_nobody_else_can_edit_an_item(client, member):
    item = ItemFactory()
    client.force_login(member)
    assert client.get(reverse("matching:item_edit", kwargs={"pk": item.pk})).status_code == 404
    response = client.post(
        reverse("matching:item_status", kwargs={"pk": item.pk}), {"status": "closed"}
    )
    assert response.status_code == 404


# --- Introductions --------------------------------------------------------------------------------


def test_the_whole_introduction_by_forms_and_email_links(
    client, two_members, django_capture_on_commit_callbacks
):
    hana, rhys = two_members
    client.force_login(rhys)
    url = reverse("matching:introduction_request", kwargs={"pk": hana.pk})
    response = client.post(url, {"message": "Too short"})
    assert "at least 20 characters" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "message": "Hello! Could our lunch club use your hall on Tuesdays?",
                "share_email": "on",
            },
        )
    assert response.status_code == 302
    link = re.search(r"http://\S+/matching/introductions/answer/\S+/", mail.outbox[0].body).group(0)
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "lunch club" in page.content.decode()
    assert (
        Introduction.objects.get().status == IntroductionStatus.PENDING
    )  # opening changes nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"action": "accept", "share_email": "on"})
    assert "You said yes" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["hana@example.org", "rhys@example.org"]
    # The link cannot answer twice.
    response = client.post(link, {"action": "decline"})
    assert Introduction.objects.get().status == IntroductionStatus.ACCEPTED


def test_declining_from_the_signed_in_page_shows_not_this_time_to_the_asker(client, two_members):
    hana, rhys = two_members
    introduction = services.introduction_request(
        requester=rhys, recipient=hana, message="Could we talk about your hall, please?"
    )
    client.force_login(hana)
    url = reverse("matching:introduction", kwargs={"pk": introduction.pk})
    assert "Your answer" in client.get(url).content.decode()
    client.post(url, {"action": "decline"})
    client.force_login(rhys)
    html = client.get(reverse("matching:introductions")).content.decode()
    assert "Not this time" in html
    # The asker cannot answer their own request.
    introduction2 = services.introduction_request(
        requester=rhys, recipient=UserFactory(), message="Could we talk about your garden, please?"
    )
    response = client.post(
        reverse("matching:introduction", kwargs={"pk": introduction2.pk}), {"action": "accept"}
    )
    assert response.status_code == 404


def test_limits_are_explained_on_the_form(client, member, settings):
    client.force_login(member)
    for other in UserFactory.create_batch(3):
        services.introduction_request(
            requester=member, recipient=other, message="Hello there, could we have a chat soon?"
        )
    target = UserFactory()
    response = client.post(
        reverse("matching:introduction_request", kwargs={"pk": target.pk}),
        {"message": "Hello there, could we have a chat soon?"},
    )
    assert "You can ask again tomorrow" in response.content.decode()


def test_tampered_and_expired_links_are_refused(client, two_members, monkeypatch):
    hana, rhys = two_members
    introduction = services.introduction_request(
        requester=rhys, recipient=hana, message="Could we talk about your hall, please?"
    )
    token = links.make("introduction-response", object_id=introduction.pk, person_id=hana.pk)
    url = reverse("matching:introduction_respond_link", kwargs={"token": token[:-2] + "xx"})
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    # A genuine token for someone else's request (the asker's id) does not work either.
    wrong = links.make("introduction-response", object_id=introduction.pk, person_id=rhys.pk)
    response = client.get(reverse("matching:introduction_respond_link", kwargs={"token": wrong}))
    assert response.status_code == 400
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 16 * 86400)
    response = client.get(reverse("matching:introduction_respond_link", kwargs={"token": token}))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert Introduction.objects.get().status == IntroductionStatus.PENDING


def test_follow_up_answers_by_link_without_signing_in(client, two_members):
    hana, rhys = two_members
    introduction = services.introduction_request(
        requester=rhys, recipient=hana, message="Could we talk about your hall, please?"
    )
    services.introduction_accept(introduction=introduction, by=hana)
    link = services.follow_up_links(introduction, rhys)["yes"]
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.select_one("input[name=answer][value=yes]").has_attr("checked")
    assert not FollowUp.objects.exists()  # opening the link records nothing
    client.post(path.split("?")[0], {"answer": "yes", "note": "We now share the hall"})
    assert Collaboration.objects.get().note == "We now share the hall"
    other_token = links.make("follow-up", object_id=introduction.pk, person_id=UserFactory().pk)
    response = client.get(reverse("matching:follow_up", kwargs={"token": other_token}))
    assert response.status_code == 400


# --- Meet someone new, health, categories ---------------------------------------------------------


def test_opting_in_to_pairing(client, member):
    client.force_login(member)
    response = client.post(reverse("matching:pairing"), {"opted_in": "yes", "group_size": "3"})
    assert response.status_code == 302
    preference = PairingPreference.objects.get(member=member)
    assert preference.opted_in and preference.group_size == 3


def test_health_page_has_an_accessible_chart_and_tables(client, coordinator, two_members):
    hana, rhys = two_members
    services.collaboration_record(
        recorded_by=coordinator,
        member_a=hana,
        member_b=rhys,
        source="event",
        happened_on=timezone.localdate() - timedelta(days=3),
    )
    client.force_login(coordinator)
    response = client.get(reverse("matching:health"))
    html = response.content.decode()
    soup = BeautifulSoup(html, "html.parser")
    svgs = soup.select("svg[role=img]")
    assert len(svgs) == 2
    for svg in svgs:
        assert svg.get("aria-labelledby")
        assert svg.find("title") and svg.find("desc")
    assert not soup.select("[style]")  # the Content-Security-Policy forbids inline styles
    assert len(soup.select("svg line.matching-graph__edge")) == 1
    tables = [t.caption.text for t in soup.select("table") if t.caption]
    assert "Collaboration rate by month" in tables
    assert "Hana Hall" in html and "Rhys Room" in html


def test_coordinators_record_a_collaboration_by_form(client, coordinator, two_members):
    hana, rhys = two_members
    client.force_login(coordinator)
    url = reverse("matching:collaboration_create")
    response = client.post(url, {"member_a": hana.email, "member_b": "nobody@example.org"})
    assert "No active member has the email address" in response.content.decode()
    response = client.post(
        url,
        {
            "member_a": hana.email,
            "member_b": rhys.email,
            "source": "grant",
            "happened_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Collaboration.objects.get().source == "grant"


def test_coordinators_edit_categories(client, coordinator):
    client.force_login(coordinator)
    client.post(
        reverse("matching:categories"),
        {
            "name": "Transport",
            "slug": "transport",
            "description": "",
            "position": 20,
            "is_active": "on",
        },
    )
    new = category("transport")
    assert new.name == "Transport" and new.is_active
    client.post(
        reverse("matching:category_edit", kwargs={"pk": new.pk}),
        {"name": "Transport and lifts", "slug": "transport", "position": 20},
    )
    new.refresh_from_db()
    assert new.name == "Transport and lifts" and not new.is_active
