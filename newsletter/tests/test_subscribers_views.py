"""The public pages: subscribe, confirm, preference centre and unsubscribe (including RFC 8058
one-click POSTs from mail programs)."""

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from freezegun import freeze_time
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from newsletter import links
from newsletter.models import ConsentRecord, Subscriber, Suppression
from newsletter.services import subscribers as services
from newsletter.tests.factories import IssueFactory, SubscriberFactory
from newsletter.tokens import make_token

pytestmark = pytest.mark.django_db
Method = ConsentRecord.Method
SUBSCRIBE = "/newsletter/subscribe/"


@pytest.fixture(autouse=True)
def _no_rate_limits_used():
    """The hourly limit per computer lives in the cache: start each test with none used."""
    cache.clear()
    yield
    cache.clear()


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def path_of(url):
    return urlsplit(url).path


def field_error(page, name):
    field = page.select_one(f"[name={name}]").find_parent(class_="field")
    error = field.select_one(".field-error")
    return error.get_text(" ", strip=True) if error else ""


# --- Subscribe ------------------------------------------------------------------------------


def test_the_form_shows_the_consent_words_that_are_stored(
    client, django_capture_on_commit_callbacks
):
    page = soup(client.get(SUBSCRIBE))
    assert services.SUBSCRIBE_WORDING in page.get_text(" ")
    labels = [label.get_text(strip=True) for label in page.select("fieldset label")]
    assert services.STREAM_WORDING["newsletter"] in labels
    # Consent is given by ticking: nothing is ticked to begin with.
    assert not page.select("input[name=streams][checked]")
    assert not page.select("input[value=digests]")  # digests are for members
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SUBSCRIBE, {"email": "ada@example.net", "name": "Ada", "streams": ["newsletter"]}
        )
    assert response.status_code == 302 and response["Location"] == reverse(
        "newsletter:subscribe_done"
    )
    record = ConsentRecord.objects.get()
    assert record.text_shown == (
        f"{services.SUBSCRIBE_WORDING}\n\n[x] {services.STREAM_WORDING['newsletter']}"
    )
    assert len(mail.outbox) == 1


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(
    client, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="known@example.net")
    answers = []
    for email in ("known@example.net", "new@example.net"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SUBSCRIBE, {"email": email, "streams": ["newsletter"]})
        answers.append((response.status_code, response["Location"]))
        done = client.get(response["Location"])
        answers.append(done.content)
    assert answers[0:2] == answers[2:4]
    # Each address got its own kind of email.
    assert [m.to[0] for m in mail.outbox] == ["known@example.net", "new@example.net"]
    assert "already on the list" in mail.outbox[0].subject


def test_bad_input_keeps_what_was_typed_with_messages_beside_the_fields(client):
    response = client.post(SUBSCRIBE, {"name": "Ada <b>", "email": "not an email"})
    assert response.status_code == 200
    page = soup(response)
    assert "There is a problem" in page.get_text()
    assert "correct format" in field_error(page, "email")
    assert "Choose at least one thing" in page.select_one("fieldset").get_text()
    assert "letters, spaces" in field_error(page, "name")
    assert page.select_one("[name=email]")["value"] == "not an email"
    assert page.select_one("[name=name]")["value"] == "Ada <b>"
    assert page.title.get_text().startswith("Error:")
    assert not Subscriber.objects.exists()


def test_the_honeypot_pretends_all_is_well_and_does_nothing(client):
    response = client.post(
        SUBSCRIBE,
        {"email": "bot@example.net", "streams": ["newsletter"], "website": "http://spam"},
    )
    assert response.status_code == 302
    assert not Subscriber.objects.exists() and mail.outbox == []
    # The trap is not shown to people or to assistive technology.
    trap = soup(client.get(SUBSCRIBE)).select_one("[name=website]")
    assert trap.find_parent("div").has_attr("hidden")


# --- Confirm --------------------------------------------------------------------------------


def test_get_only_asks_post_confirms(client):
    subscriber = SubscriberFactory(confirmed_at=None)
    url = path_of(links.confirm_url(subscriber))
    response = client.get(url)
    assert response.status_code == 200
    assert soup(response).select_one("form button").get_text(strip=True) == "Confirm"
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None  # a mail scanner opening the link confirms nothing
    response = client.post(url)
    assert "You are subscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    assert client.get(url).content.decode().count("already confirmed") == 1


def test_an_expired_confirmation_link_says_so(client):
    subscriber = SubscriberFactory(confirmed_at=None)
    with freeze_time("2026-01-01"):
        url = path_of(links.confirm_url(subscriber))
    with freeze_time("2026-02-01"):
        response = client.get(url)
        assert response.status_code == 410
        assert "This confirmation link has expired" in response.content.decode()
        assert client.post(url).status_code == 410
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_a_preferences_token_does_not_confirm(client):
    subscriber = SubscriberFactory(confirmed_at=None)
    token = make_token("preferences", subscriber.pk)
    response = client.post(reverse("newsletter:confirm", kwargs={"token": token}))
    assert response.status_code == 404
    assert "There is a problem with this link" in response.content.decode()


# --- Preference centre ----------------------------------------------------------------------


def test_preference_centre_saves_choices_with_consent_records(client):
    subscriber = SubscriberFactory(wants_events=False)
    url = path_of(links.preferences_url(subscriber))
    page = soup(client.get(url))
    assert page.select_one("input[value=newsletter]").has_attr("checked")
    assert not page.select_one("input[value=events]").has_attr("checked")
    response = client.post(url, {"streams": ["events"]}, follow=True)
    assert "Your choices have been saved" in response.content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.wants_newsletter, subscriber.wants_events) == (False, True)
    assert sorted(subscriber.consents.values_list("stream", "action")) == [
        ("events", "opt_in"),
        ("newsletter", "opt_out"),
    ]
    assert {r.method for r in subscriber.consents.all()} == {Method.PREFERENCE_CENTRE}


def test_unsubscribe_from_everything_button(client):
    subscriber = SubscriberFactory(wants_events=True)
    url = path_of(links.preferences_url(subscriber))
    response = client.post(url, {"action": "all"}, follow=True)
    assert "unsubscribed from everything" in response.content.decode()
    subscriber.refresh_from_db()
    assert not (subscriber.wants_newsletter or subscriber.wants_events)


def test_junk_in_the_preference_form_is_refused_beside_the_field(client):
    subscriber = SubscriberFactory()
    url = path_of(links.preferences_url(subscriber))
    response = client.post(url, {"streams": ["newsletter", "cheese"]})
    assert response.status_code == 200
    assert "Choose only from the options shown" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.wants_newsletter


def test_preference_link_request_page_does_not_reveal_membership(
    client, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="known@example.net")
    url = reverse("newsletter:preferences_request")
    bodies = []
    for email in ("known@example.net", "unknown@example.net"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"email": email})
        bodies.append(response.content.decode().replace(email, "EMAIL"))
    assert bodies[0] == bodies[1]
    assert [m.to for m in mail.outbox] == [["known@example.net"]]


def test_a_member_reaches_their_own_centre_from_their_account(client, member):
    client.force_login(member)
    account = soup(client.get(reverse("members:account")))
    assert account.select_one(f"a[href='{reverse('newsletter:my_preferences')}']")
    url = reverse("newsletter:my_preferences")
    page = soup(client.get(url))
    assert page.select_one("input[value=digests]")  # members are offered group digests
    assert member.email in page.get_text()
    client.post(url, {"streams": ["newsletter", "events", "digests"]})
    subscriber = Subscriber.objects.get(user=member)
    assert subscriber.wants_newsletter and subscriber.wants_events
    assert subscriber.confirmed_at is not None
    client.post(url, {"streams": []})
    member.refresh_from_db()
    assert member.newsletter_opt_in is False


# --- Unsubscribe ----------------------------------------------------------------------------


def test_unsubscribe_page_asks_then_unsubscribes_with_the_issue(client):
    subscriber = SubscriberFactory()
    issue = IssueFactory()
    url = path_of(links.unsubscribe_url(subscriber, issue))
    page = soup(client.get(url))
    [button] = page.select("main form button")
    assert button.get_text(strip=True) == "Unsubscribe"
    assert "the fortnightly newsletter" in page.select_one("main").get_text()
    subscriber.refresh_from_db()
    assert subscriber.wants_newsletter  # GET changes nothing
    response = client.post(url)
    assert "You are unsubscribed" in response.content.decode()
    assert path_of(links.preferences_url(subscriber)) in response.content.decode()
    record = subscriber.consents.get()
    assert (record.method, record.issue, record.action) == (
        Method.UNSUBSCRIBE_LINK,
        issue,
        "opt_out",
    )


def test_one_click_unsubscribe_needs_no_login_cookie_or_csrf_token():
    subscriber = SubscriberFactory()
    issue = IssueFactory()
    url = path_of(links.unsubscribe_url(subscriber, issue))
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not response.cookies  # no session or CSRF cookie set
    subscriber.refresh_from_db()
    assert not subscriber.wants_newsletter
    record = subscriber.consents.get()
    assert (record.method, record.issue) == (Method.ONE_CLICK, issue)
    # Mail programs may also send it as multipart/form-data, and may send it twice.
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert subscriber.consents.count() == 1


def test_one_click_body_without_a_form_content_type_still_counts():
    subscriber = SubscriberFactory()
    response = Client(enforce_csrf_checks=True).post(
        path_of(links.unsubscribe_url(subscriber)),
        b"List-Unsubscribe=One-Click",
        content_type="text/plain",
    )
    assert response.status_code == 200
    assert subscriber.consents.get().method == Method.ONE_CLICK


def test_one_click_with_a_forged_token_changes_nothing():
    subscriber = SubscriberFactory()
    token = make_token("preferences", subscriber.pk)  # right signer, wrong purpose
    response = Client(enforce_csrf_checks=True).post(
        reverse("newsletter:unsubscribe", kwargs={"token": token}),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.wants_newsletter


def test_pages_for_a_stopped_address(client):
    subscriber = SubscriberFactory(suppression=Suppression.HARD_BOUNCE)
    page = client.get(path_of(links.preferences_url(subscriber))).content.decode()
    assert "We have stopped sending emails to this address" in page


# --- Fuzzing --------------------------------------------------------------------------------


def _subscribe_data():
    text = st.text(max_size=300)
    return st.fixed_dictionaries(
        {
            "name": text,
            "email": st.one_of(text, st.emails().map(str)),
            "streams": st.lists(
                st.one_of(st.sampled_from(["newsletter", "events", "digests"]), text), max_size=4
            ),
            "website": st.one_of(st.just(""), text),
        }
    )


class TestSubscribeFormFuzz(HypothesisTestCase):
    """Whatever is typed, the form answers with a page or a redirect (never a server error),
    and a page that comes back with errors still holds what was typed."""

    @given(data=_subscribe_data())
    @hypothesis_settings(max_examples=120, deadline=None)
    def test_random_input_never_breaks_the_form(self, data):
        cache.clear()
        response = self.client.post(SUBSCRIBE, data)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert response["Location"] == reverse("newsletter:subscribe_done")
            return
        content = response.content.decode()
        assert "There is a problem" in content
        for name in ("name", "email"):
            if "\x00" not in data[name]:
                assert escape(data[name]) in content, name


# --- Coordinators ---------------------------------------------------------------------------


def test_coordinators_see_counts_and_search_in_constant_queries(
    client, coordinator, django_assert_num_queries
):
    client.force_login(coordinator)
    url = reverse("newsletter:subscribers")
    SubscriberFactory(email="first@example.net")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(30):
        subscriber = SubscriberFactory(email=f"more{n}@example.net")
        services.subscriber_unsubscribe(subscriber=subscriber, method=Method.UNSUBSCRIBE_LINK)
    with django_assert_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert "more29@example.net" in page and "unsubscribe link" in page
    found = client.get(url, {"q": "first@"}).content.decode()
    assert "first@example.net" in found and "more1@example.net" not in found


class TestTokenFuzz(HypothesisTestCase):
    """Whatever arrives in place of a token, the link pages answer "there is a problem with
    this link" (never a server error) and change nothing."""

    @given(
        token=st.text(min_size=1, max_size=120),
        kind=st.sampled_from(["confirm", "preferences", "unsubscribe"]),
        method=st.sampled_from(["get", "post"]),
    )
    @hypothesis_settings(max_examples=100, deadline=None)
    def test_random_tokens_are_refused(self, token, kind, method):
        from urllib.parse import quote

        subscriber = SubscriberFactory()
        response = getattr(self.client, method)(
            f"/newsletter/{kind}/{quote(token, safe='')}/", {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code in (404, 410), response.status_code
        subscriber.refresh_from_db()
        assert subscriber.wants_newsletter and not subscriber.consents.exists()


def test_one_computer_can_only_ask_so_often(client):
    for n in range(20):
        response = client.post(SUBSCRIBE, {"email": f"p{n}@example.net", "streams": ["events"]})
        assert response.status_code == 302
    response = client.post(SUBSCRIBE, {"email": "p99@example.net", "streams": ["events"]})
    assert response.status_code == 200
    assert "too many times" in response.content.decode()
    assert soup(response).select_one("[name=email]")["value"] == "p99@example.net"
    assert Subscriber.objects.count() == 20
