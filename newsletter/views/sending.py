"""Sending an issue (now, later, a test copy), its progress while it goes out, and the click
counter's redirect. Every action is a POST from the issue page (newsletter/views/issues.py)
and comes back to it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.permissions import coordinator_required
from newsletter.forms_issues import ScheduleForm
from newsletter.models import Issue
from newsletter.selectors.figures import issue_progress
from newsletter.services import clicks, sending


def _back(pk: int):
    return redirect(reverse("newsletter:issue", kwargs={"pk": pk}))


@require_POST
@coordinator_required
def send_now(request, pk):
    issue = get_object_or_404(Issue, pk=pk)
    try:
        count = sending.issue_send_now(issue=issue, by=request.user)
    except sending.SendingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Issue #%(number)s is being sent to %(count)s subscribers.")
            % {"number": issue.number, "count": count},
        )
    return _back(issue.pk)


@require_POST
@coordinator_required
def test_send(request, pk):
    issue = get_object_or_404(Issue, pk=pk)
    sending.issue_send_test(issue=issue, to_user=request.user)
    messages.success(
        request, _("A test copy is on its way to %(email)s.") % {"email": request.user.email}
    )
    return _back(issue.pk)


@require_POST
@coordinator_required
def schedule(request, pk):
    issue = get_object_or_404(Issue, pk=pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            sending.issue_schedule(issue=issue, when=form.cleaned_data["send_at"], by=request.user)
        except sending.SendingError as exc:
            form.add_error("send_at", str(exc))
        else:
            when = form.cleaned_data["send_at"]
            messages.success(
                request,
                _("Issue #%(number)s will be sent on %(when)s (UK time).")
                % {"number": issue.number, "when": when.strftime("%A %-d %B %Y at %H:%M")},
            )
            return _back(issue.pk)
    # Show the issue page again with the error beside the field and what was typed kept.
    from newsletter.views.issues import _issue_page_context

    return render(
        request,
        "newsletter/issue.html",
        _issue_page_context(request, issue, schedule_form=form),
    )


@require_POST
@coordinator_required
def cancel_schedule(request, pk):
    issue = get_object_or_404(Issue, pk=pk)
    try:
        sending.issue_cancel_schedule(issue=issue, by=request.user)
    except sending.SendingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The scheduled send is cancelled: issue #%(number)s is a draft again.")
            % {"number": issue.number},
        )
    return _back(issue.pk)


@require_GET
@never_cache
@coordinator_required
def progress(request, pk):
    """How far sending has got. htmx polls the fragment every few seconds while the issue is
    sending; without JavaScript this is a small page with a link to look again."""
    issue = get_object_or_404(Issue, pk=pk)
    context = {"issue": issue, "progress": issue_progress(issue)}
    if request.htmx:
        return render(request, "newsletter/_partials/progress.html", context)
    return render(request, "newsletter/progress.html", context)


@require_GET
def click(request, token):
    """Count a click on a link in an issue (per link, never who) and go there. Only links
    that are in that issue are followed: the token is signed and checked against it."""
    target = clicks.click_target(token, count=settings.NEWSLETTER_COUNT_CLICKS)
    if target is None:
        raise Http404
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
