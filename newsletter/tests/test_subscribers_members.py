"""Members are subscribers too: the tick box when joining, approval, email changes."""

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.test import RequestFactory
from django.urls import reverse

from members.adapter import AccountAdapter
from members.models import Application, FocusArea, MembershipStatus, User
from members.services import accounts, joining
from members.tests.factories import PASSWORD, UserFactory
from newsletter.models import ConsentRecord, Subscriber
from newsletter.services import subscribers as services

pytestmark = pytest.mark.django_db


def apply_as_individual(client, **extra):
    data = {
        "full_name": "Idris Example",
        "email": "idris@example.org",
        "password": PASSWORD,
        "why_join": "I run a walking group in my village.",
        "focus_areas": [str(FocusArea.objects.order_by("position").first().pk)],
        **extra,
    }
    response = client.post(reverse("joining:individual"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email="idris@example.org")


def test_the_join_form_offers_the_newsletter_unticked_with_clear_words(client):
    page = BeautifulSoup(client.get(reverse("joining:individual")).content, "html.parser")
    box = page.select_one("input[name=newsletter_opt_in]")
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert page.select_one(f"label[for={box['id']}]").get_text(strip=True) == (
        services.JOIN_WORDING
    )


def test_ticking_the_box_subscribes_the_member_when_approved(
    client, coordinator, django_capture_on_commit_callbacks
):
    user = apply_as_individual(client, newsletter_opt_in="on")
    assert user.newsletter_opt_in is True
    assert not Subscriber.objects.exists()  # not before they are a member
    with django_capture_on_commit_callbacks(execute=True):
        joining.application_approve(
            actor=coordinator, application=Application.objects.get(applicant=user)
        )
    subscriber = Subscriber.objects.get(user=user)
    consent = subscriber.consents.get()
    assert (consent.method, consent.text_shown) == (
        ConsentRecord.Method.JOIN_FORM,
        services.JOIN_WORDING,
    )
    # Their address is not verified yet, so nothing is sent until it is.
    assert not Subscriber.objects.wanting("newsletter").exists()
    address = EmailAddress.objects.get(user=user)
    request = RequestFactory().get("/")
    request.user = user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    AccountAdapter(request).confirm_email(request, address)
    assert Subscriber.objects.wanting("newsletter").get() == subscriber


def test_leaving_the_box_unticked_means_no_newsletter(client, coordinator):
    user = apply_as_individual(client)
    assert user.newsletter_opt_in is False
    joining.application_approve(
        actor=coordinator, application=Application.objects.get(applicant=user)
    )
    assert not Subscriber.objects.exists()


def test_a_coordinator_activating_someone_subscribes_them_if_they_opted_in(coordinator):
    user = UserFactory(status=MembershipStatus.PENDING, newsletter_opt_in=True)
    accounts.user_set_status(actor=coordinator, user=user, status=MembershipStatus.ACTIVE)
    assert Subscriber.objects.wanting("newsletter").get().user == user


def test_the_sign_up_form_has_the_tick_box_too(client):
    page = BeautifulSoup(client.get(reverse("account_signup")).content, "html.parser")
    assert page.select_one("input[name=newsletter_opt_in][type=checkbox]")
