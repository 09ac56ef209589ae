"""Public pages for subscribing and leaving. Links in emails carry a signed token, which is the
authentication: nobody needs to sign in to confirm, change preferences or unsubscribe.

Every GET only shows a page and a button; only POST changes anything, so mail scanners that
open links in advance confirm and unsubscribe nobody. Answers never say whether an address is
already on the list.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.permissions import coordinator_required, login_required
from newsletter import links
from newsletter.forms_subscribers import (
    PreferencesForm,
    PreferencesLinkForm,
    SubscribeForm,
    SubscriberSearchForm,
)
from newsletter.models import ConsentRecord, Stream
from newsletter.selectors import subscribers as selectors
from newsletter.services import subscribers as services

Method = ConsentRecord.Method
PREFERENCES_WORDING = services.PREFERENCES_WORDING


# Each address gets at most one subscription email every few minutes (see the services); on
# top of that, one computer may only ask this many times an hour, so the form cannot be used
# to send confirmation emails to a long list of strangers.
REQUESTS_PER_HOUR = 20


def _over_hourly_limit(request, what: str) -> bool:
    key = f"newsletter:{what}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=60 * 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60 * 60)
        count = 1
    return count > REQUESTS_PER_HOUR


TOO_MANY = gettext_lazy("You have asked too many times in the last hour. Try again later.")


def _no_index(response):
    response["X-Robots-Tag"] = "noindex"
    return response


def _link_problem(request, message: str, status: int = 404):
    return _no_index(
        render(
            request, "newsletter/subscribe_link_problem.html", {"message": message}, status=status
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """The public sign-up form. Whatever the address, the answer is "check your email"."""
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_valid() and _over_hourly_limit(request, "subscribe"):
            form.add_error(None, TOO_MANY)
        if form.is_valid():
            if not form.is_bot:
                data = form.cleaned_data
                services.subscriber_subscribe(
                    email=data["email"],
                    name=data["name"],
                    streams=data["streams"],
                    text_shown=form.wording,
                    method=Method.SUBSCRIBE_FORM,
                )
            return redirect("newsletter:subscribe_done")
    else:
        form = SubscribeForm()
    return render(request, "newsletter/subscribe.html", {"form": form})


def subscribe_done(request):
    return render(request, "newsletter/subscribe_done.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The link in the confirmation email. GET shows a "Confirm" button; POST confirms."""
    found = selectors.subscriber_from_token("confirm", token)
    if found is None:
        if selectors.confirm_token_expired(token):
            return _no_index(render(request, "newsletter/confirm_expired.html", status=410))
        return _link_problem(
            request, _("This link is not complete or has been changed. Copy it from the email.")
        )
    subscriber, _issue = found
    if subscriber.suppression:
        return _link_problem(request, _("We have stopped sending emails to this address."), 410)
    if request.method == "POST":
        services.subscriber_confirm(subscriber=subscriber)
        return _no_index(
            render(
                request,
                "newsletter/confirm_done.html",
                {
                    "subscriber": subscriber,
                    "preferences_url": links.preferences_url(subscriber),
                },
            )
        )
    streams = [Stream(s).label for s in Stream.values if getattr(subscriber, f"wants_{s}")]
    return _no_index(
        render(
            request,
            "newsletter/confirm.html",
            {
                "subscriber": subscriber,
                "streams": streams,
                "already": subscriber.confirmed_at is not None,
                "preferences_url": links.preferences_url(subscriber),
                "wording": services.CONFIRM_WORDING,
            },
        )
    )


def _preferences_page(
    request, *, subscriber, user, post_url, template="newsletter/preferences.html"
):
    """The preference centre, for a signed link (``subscriber``) or a signed-in member."""
    digests = selectors.offers_digests(subscriber, user)
    if request.method == "POST" and request.POST.get("action") == "all":
        if subscriber is None:
            subscriber = services.member_subscriber_ensure(user=user)
        services.subscriber_unsubscribe(
            subscriber=subscriber, stream="all", method=Method.PREFERENCE_CENTRE
        )
        messages.success(
            request,
            _("You are unsubscribed from everything: we will send you no more of these emails."),
        )
        return redirect(post_url)
    if request.method == "POST":
        form = PreferencesForm(request.POST, digests=digests)
        if form.is_valid():
            streams = list(form.cleaned_data["streams"])
            if not digests and subscriber is not None and subscriber.wants_digests:
                streams.append(Stream.DIGESTS.value)  # not offered here, so not changed
            if subscriber is None:
                subscriber = services.member_subscriber_ensure(user=user)
            services.subscriber_set_preferences(
                subscriber=subscriber,
                streams=streams,
                method=Method.PREFERENCE_CENTRE,
                text_shown=PREFERENCES_WORDING,
            )
            messages.success(request, _("Your choices have been saved."))
            return redirect(post_url)
    else:
        form = PreferencesForm(
            initial={"streams": selectors.preferences_initial(subscriber, user)}, digests=digests
        )
    return _no_index(
        render(
            request,
            template,
            {
                "form": form,
                "subscriber": subscriber,
                "email": subscriber.email if subscriber else user.email,
                "post_url": post_url,
                "stopped": bool(subscriber and subscriber.suppression),
                "pending": bool(subscriber and subscriber.confirmed_at is None),
            },
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    """A subscriber's preference centre, reached by the signed link in every email."""
    found = selectors.subscriber_from_token("preferences", token)
    if found is None:
        return _link_problem(
            request, _("This link is not complete or has been changed. Copy it from the email.")
        )
    subscriber, _issue = found
    return _preferences_page(
        request, subscriber=subscriber, user=subscriber.user, post_url=request.path
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_preferences(request):
    """A signed-in person's own preference centre (linked from their account page)."""
    subscriber = selectors.subscriber_for_user(request.user)
    return _preferences_page(
        request, subscriber=subscriber, user=request.user, post_url=request.path
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_request(request):
    """Ask for a fresh preference link by email. The answer is the same for every address."""
    if request.method == "POST":
        form = PreferencesLinkForm(request.POST)
        if form.is_valid() and _over_hourly_limit(request, "preferences_link"):
            form.add_error(None, TOO_MANY)
        if form.is_valid():
            if not form.is_bot:
                services.subscriber_request_preferences_link(email=form.cleaned_data["email"])
            return render(
                request,
                "newsletter/preferences_request_done.html",
                {"email": form.cleaned_data["email"]},
            )
    else:
        form = PreferencesLinkForm()
    return render(request, "newsletter/preferences_request.html", {"form": form})


def _is_one_click(request) -> bool:
    """An RFC 8058 POST: the body is ``List-Unsubscribe=One-Click``, usually as a form (either
    encoding), sometimes sent by a mail program without a form content type."""
    if request.method != "POST":
        return False
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.POST.get("List-Unsubscribe") == "One-Click"
    return request.body[:200].strip() == b"List-Unsubscribe=One-Click"


@csrf_exempt  # the signed token is the authentication; RFC 8058 POSTs carry no cookie
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The unsubscribe link in every newsletter. GET shows one button; POST unsubscribes.
    A POST of ``List-Unsubscribe=One-Click`` comes from a mail program (RFC 8058): it needs no
    login, cookie or CSRF token, and gets a short answer at once."""
    found = selectors.subscriber_from_token("unsubscribe", token)
    one_click = _is_one_click(request)
    if found is None:
        if one_click:
            return HttpResponse(
                _("This unsubscribe link is not valid."),
                status=404,
                content_type="text/plain; charset=utf-8",
            )
        return _link_problem(
            request, _("This link is not complete or has been changed. Copy it from the email.")
        )
    subscriber, issue = found
    if one_click:
        services.subscriber_unsubscribe(subscriber=subscriber, method=Method.ONE_CLICK, issue=issue)
        return HttpResponse(
            _("You are unsubscribed from the newsletter."),
            content_type="text/plain; charset=utf-8",
        )
    context = {
        "subscriber": subscriber,
        "issue": issue,
        "preferences_url": links.preferences_url(subscriber),
        "stream": Stream.NEWSLETTER.label,
    }
    if request.method == "POST":
        services.subscriber_unsubscribe(
            subscriber=subscriber, method=Method.UNSUBSCRIBE_LINK, issue=issue
        )
        return _no_index(render(request, "newsletter/unsubscribe_done.html", context))
    context["subscribed"] = subscriber.wants_newsletter and not subscriber.suppression
    return _no_index(render(request, "newsletter/unsubscribe.html", context))


@coordinator_required
def subscribers(request):
    """Coordinators: how many subscribers there are, and a search of them with each one's
    latest consent record (to answer "when did I sign up?" and "please remove me")."""
    form = SubscriberSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "newsletter/subscribers.html",
        {
            "form": form,
            "q": q,
            "counts": selectors.subscriber_counts(),
            "subscribers": selectors.subscribers_for_coordinator(q),
        },
    )
