"""Subscribing, confirming, preferences and leaving: what is stored and what is emailed."""

import pytest
from django.core import mail
from freezegun import freeze_time

from groups.models import Frequency, Membership, PersonSettings
from groups.tests.factories import make_group, make_member
from members.tests.factories import UserFactory
from newsletter import links
from newsletter.models import ConsentRecord, Stream, Subscriber, Suppression
from newsletter.selectors import subscribers as selectors
from newsletter.services import subscribers as services
from newsletter.tests.factories import IssueFactory, SubscriberFactory
from newsletter.tokens import make_token, read_token

pytestmark = pytest.mark.django_db
Action, Method = ConsentRecord.Action, ConsentRecord.Method


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def subscribe(on_commit, email="ada@example.net", streams=("newsletter",), **kwargs):
    return on_commit(services.subscriber_subscribe, email=email, streams=list(streams), **kwargs)


def token_in(message, purpose):
    """The signed token of the ``purpose`` link in an email's text part."""
    path = {"confirm": "/newsletter/confirm/", "preferences": "/newsletter/preferences/"}[purpose]
    start = message.body.index(path) + len(path)
    return message.body[start:].split("/", 1)[0]


def test_subscribing_stores_a_pending_row_and_consent_with_the_words_shown(on_commit):
    outcome = subscribe(on_commit, streams=["newsletter", "events"], name="  Ada   Lovelace ")
    subscriber = outcome.subscriber
    assert outcome.created and outcome.emailed == "confirm"
    assert subscriber.confirmed_at is None
    assert subscriber.name == "Ada Lovelace"
    assert (subscriber.wants_newsletter, subscriber.wants_events, subscriber.wants_digests) == (
        True,
        True,
        False,
    )
    assert not Subscriber.objects.wanting("newsletter").exists()  # not until confirmed
    records = list(subscriber.consents.order_by("stream"))
    assert [(r.stream, r.action, r.method) for r in records] == [
        ("events", Action.OPT_IN, Method.SUBSCRIBE_FORM),
        ("newsletter", Action.OPT_IN, Method.SUBSCRIBE_FORM),
    ]
    assert all(services.SUBSCRIBE_WORDING in r.text_shown for r in records)
    assert services.STREAM_WORDING[Stream.EVENTS] in records[0].text_shown


def test_the_confirmation_email_is_multipart_with_a_signed_link(on_commit):
    subscriber = subscribe(on_commit, name="Ada").subscriber
    [message] = mail.outbox
    assert message.to == ["ada@example.net"]
    assert "Confirm your subscription" in message.subject
    html = {mimetype: body for body, mimetype in message.alternatives}["text/html"]
    assert "Confirm my subscription" in html and "Hello Ada" in message.body
    token = token_in(message, "confirm")
    assert read_token("confirm", token).subscriber_pk == subscriber.pk
    assert links.confirm_url(subscriber) in message.body


def test_confirming_makes_the_subscriber_sendable_and_records_it(on_commit):
    subscriber = subscribe(on_commit, streams=["newsletter", "events"]).subscriber
    assert services.subscriber_confirm(subscriber=subscriber) is True
    assert Subscriber.objects.wanting("newsletter").get() == subscriber
    assert Subscriber.objects.wanting("events").get() == subscriber
    confirms = subscriber.consents.filter(action=Action.CONFIRM)
    assert sorted(confirms.values_list("stream", flat=True)) == ["events", "newsletter"]
    assert {c.text_shown for c in confirms} == {services.CONFIRM_WORDING}
    # Pressing the button again changes nothing and records nothing more.
    assert services.subscriber_confirm(subscriber=subscriber) is False
    assert subscriber.consents.filter(action=Action.CONFIRM).count() == 2


@freeze_time("2026-11-25 10:00:00")
def test_subscribing_again_before_confirming_is_rate_limited(on_commit):
    subscribe(on_commit)
    again = subscribe(on_commit, streams=["events"])
    assert not again.created and again.emailed == ""  # within five minutes: no second email
    assert len(mail.outbox) == 1
    subscriber = Subscriber.objects.get()
    assert (subscriber.wants_newsletter, subscriber.wants_events) == (False, True)  # latest ask
    with freeze_time("2026-11-25 10:05:01"):
        assert subscribe(on_commit).emailed == "confirm"
    assert len(mail.outbox) == 2
    assert Subscriber.objects.count() == 1


def test_resubscribing_a_confirmed_address_changes_nothing_and_sends_the_preferences_link(
    on_commit,
):
    subscriber = SubscriberFactory(email="bea@example.net", wants_events=False)
    outcome = subscribe(on_commit, email="BEA@Example.NET", streams=["events"])
    assert outcome.subscriber == subscriber and not outcome.created
    assert outcome.emailed == "already_subscribed"
    subscriber.refresh_from_db()
    assert subscriber.wants_events is False  # a stranger cannot change someone's choices
    assert not subscriber.consents.exists()
    [message] = mail.outbox
    assert "already on the list" in message.subject
    assert read_token("preferences", token_in(message, "preferences")).subscriber_pk == (
        subscriber.pk
    )


def test_a_stopped_address_is_sent_nothing(on_commit):
    SubscriberFactory(email="gone@example.net", suppression=Suppression.HARD_BOUNCE)
    assert subscribe(on_commit, email="gone@example.net").emailed == ""
    assert services.subscriber_request_preferences_link(email="gone@example.net") is False
    assert mail.outbox == []


@freeze_time("2026-11-25 10:00:00")
def test_preference_link_request(on_commit):
    subscriber = SubscriberFactory(email="cai@example.net")
    assert on_commit(services.subscriber_request_preferences_link, email=" cai@EXAMPLE.net ")
    assert not on_commit(services.subscriber_request_preferences_link, email="cai@example.net")
    assert not on_commit(services.subscriber_request_preferences_link, email="who@example.net")
    [message] = mail.outbox
    assert message.to == ["cai@example.net"]
    assert links.preferences_url(subscriber) in message.body


def test_token_purposes_are_not_interchangeable():
    subscriber = SubscriberFactory()
    for made in ("confirm", "preferences", "unsubscribe"):
        token = make_token(made, subscriber.pk)
        for used in ("confirm", "preferences", "unsubscribe"):
            found = selectors.subscriber_from_token(used, token)
            assert (found is not None) == (made == used), (made, used)
    assert selectors.subscriber_from_token("unsubscribe", "garbage") is None


def test_an_expired_confirmation_link_is_told_apart_from_a_forged_one():
    subscriber = SubscriberFactory(confirmed_at=None)
    with freeze_time("2026-01-01 10:00:00"):
        token = make_token("confirm", subscriber.pk)
    with freeze_time("2026-01-14 10:00:00"):
        assert selectors.subscriber_from_token("confirm", token) is not None
    with freeze_time("2026-01-16 10:00:00"):
        assert selectors.subscriber_from_token("confirm", token) is None
        assert selectors.confirm_token_expired(token) is True
    assert selectors.confirm_token_expired(token[:-2] + "xx") is False


def test_unsubscribing_records_one_opt_out_with_the_issue():
    subscriber = SubscriberFactory(wants_events=True)
    issue = IssueFactory()
    assert services.subscriber_unsubscribe(
        subscriber=subscriber, method=Method.ONE_CLICK, issue=issue
    )
    # A mail program that POSTs twice records one opt-out.
    assert not services.subscriber_unsubscribe(
        subscriber=subscriber, method=Method.ONE_CLICK, issue=issue
    )
    subscriber.refresh_from_db()
    assert not subscriber.wants_newsletter and subscriber.wants_events
    [record] = subscriber.consents.all()
    assert (record.stream, record.action, record.method, record.issue) == (
        "newsletter",
        Action.OPT_OUT,
        Method.ONE_CLICK,
        issue,
    )
    assert record.text_shown == services.ONE_CLICK_WORDING


def test_unsubscribe_from_everything():
    subscriber = SubscriberFactory(wants_events=True)
    services.subscriber_unsubscribe(
        subscriber=subscriber, stream="all", method=Method.PREFERENCE_CENTRE
    )
    subscriber.refresh_from_db()
    assert not (subscriber.wants_newsletter or subscriber.wants_events)
    assert sorted(subscriber.consents.values_list("stream", flat=True)) == ["events", "newsletter"]


def test_preferences_write_a_record_per_change():
    subscriber = SubscriberFactory(wants_events=False)
    changed = services.subscriber_set_preferences(
        subscriber=subscriber, streams=["events"], text_shown="Choose."
    )
    assert sorted(changed) == ["events", "newsletter"]
    records = {r.stream: r for r in subscriber.consents.all()}
    assert records["events"].action == Action.OPT_IN
    assert records["newsletter"].action == Action.OPT_OUT
    assert records["events"].text_shown.startswith("Choose.")
    assert services.STREAM_WORDING[Stream.EVENTS] in records["events"].text_shown
    assert services.subscriber_set_preferences(subscriber=subscriber, streams=["events"]) == []


def test_suppressing_stops_sending_and_a_complaint_opts_out():
    bounced, complained = SubscriberFactory(), SubscriberFactory()
    assert services.subscriber_suppress(subscriber=bounced, reason=Suppression.HARD_BOUNCE)
    assert not services.subscriber_suppress(subscriber=bounced, reason=Suppression.HARD_BOUNCE)
    services.subscriber_suppress(subscriber=complained, reason=Suppression.COMPLAINT)
    assert not Subscriber.objects.sendable().exists()
    assert not bounced.consents.exists()  # a bounce is not a choice
    assert complained.consents.get().method == Method.BOUNCE
    with pytest.raises(ValueError):
        services.subscriber_suppress(subscriber=bounced, reason="")


# --- Members --------------------------------------------------------------------------------


def test_member_activation_creates_a_confirmed_linked_row_once():
    user = UserFactory(newsletter_opt_in=True)
    subscriber = services.member_subscription_start(user=user)
    assert subscriber.user == user and subscriber.confirmed_at is not None
    consent = subscriber.consents.get()
    assert (consent.method, consent.text_shown) == (Method.JOIN_FORM, services.JOIN_WORDING)
    assert services.member_subscription_start(user=user) == subscriber
    assert Subscriber.objects.count() == 1 and ConsentRecord.objects.count() == 1
    assert services.member_subscription_start(user=UserFactory(newsletter_opt_in=False)) is None


def test_member_with_an_unverified_address_is_confirmed_when_they_verify_it():
    user = UserFactory(newsletter_opt_in=True)
    user.emailaddress_set.update(verified=False)
    subscriber = services.member_subscription_start(user=user)
    assert subscriber.confirmed_at is None
    user.emailaddress_set.update(verified=True)
    services.member_email_confirmed(user=user)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None


def test_member_email_change_moves_the_subscriber():
    user = UserFactory(email="old@example.org")
    subscriber = services.member_subscription_start(user=user)
    user.email = "new@example.org"
    user.save()
    user.emailaddress_set.update(email="new@example.org")
    services.member_email_confirmed(user=user)
    subscriber.refresh_from_db()
    assert subscriber.email == "new@example.org"


def test_account_setting_and_subscriber_row_stay_in_step():
    user = UserFactory(newsletter_opt_in=True)
    services.member_subscription_start(user=user)
    services.member_newsletter_set(user=user, wants=False)
    user.refresh_from_db()
    assert user.newsletter_opt_in is False
    assert not Subscriber.objects.wanting("newsletter").exists()
    assert services.member_wants_newsletter(user) is False
    subscriber = Subscriber.objects.get(user=user)
    services.subscriber_set_preferences(subscriber=subscriber, streams=["newsletter"])
    user.refresh_from_db()
    assert user.newsletter_opt_in is True


def test_a_public_subscriber_is_linked_when_a_member_has_the_address():
    user = UserFactory(email="dee@example.org", newsletter_opt_in=False)
    subscriber = SubscriberFactory(email="dee@example.org", confirmed_at=None)
    services.subscriber_confirm(subscriber=subscriber)
    subscriber.refresh_from_db()
    assert subscriber.user == user
    user.refresh_from_db()
    assert user.newsletter_opt_in is True


def test_group_digests_follow_the_preference_centre():
    user = UserFactory()
    group = make_group()
    make_member(group, user)
    subscriber = services.member_subscription_start(user=user)
    assert "digests" in selectors.preferences_initial(subscriber)  # groups default to daily
    services.subscriber_set_preferences(subscriber=subscriber, streams=["newsletter"])
    assert Membership.objects.get(user=user, group=group).email_frequency == Frequency.NONE
    settings_row = PersonSettings.objects.get(user=user)
    assert settings_row.default_frequency == Frequency.NONE
    assert "digests" not in selectors.preferences_initial(subscriber)
    services.subscriber_set_preferences(subscriber=subscriber, streams=["newsletter", "digests"])
    assert Membership.objects.get(user=user, group=group).email_frequency == Frequency.WEEKLY
    assert subscriber.consents.filter(stream="digests").count() == 2


def test_counts():
    SubscriberFactory()
    SubscriberFactory(confirmed_at=None)
    SubscriberFactory(suppression=Suppression.COMPLAINT)
    counts = selectors.subscriber_counts()
    assert (counts["total"], counts["confirmed"], counts["pending"], counts["suppressed"]) == (
        3,
        1,
        1,
        1,
    )
    assert counts["wants_newsletter"] == 1
