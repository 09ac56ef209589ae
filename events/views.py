"""Event pages. Each view parses its form, calls one service or selector and renders; for an
htmx request the same view renders only the fragment that changed (``_partials/``)."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_log
from core.pagination import paginate_keyset_request
from core.permissions import (
    coordinator_required,
    is_coordinator,
    login_required,
    member_required,
)
from events import forms, ics, selectors, services
from events.models import Event, Feedback, RegistrationStatus, Series
from events.permissions import (
    access_event,
    access_event_management,
    can_manage_event,
    can_register,
)
from learning.selectors import recordings_for_event


def _posted(request):
    """The POST data for a form, or ``None`` on GET (an empty POST still binds the form)."""
    return request.POST if request.method == "POST" else None


# --- Lists ----------------------------------------------------------------------------------


def _filter_form(request):
    from members.models import Region

    # Bound only when a filter was chosen: a page cursor or a month alone is not a filter.
    chosen = any(request.GET.get(name) for name in forms.EventFilterForm.base_fields)
    return forms.EventFilterForm(
        request.GET if chosen else None,
        regions=list(Region.objects.all()),
        series=list(Series.objects.order_by("title")),
    )


def _list(request, *, past: bool):
    form = _filter_form(request)
    filters = form.filters()
    page = paginate_keyset_request(
        request,
        selectors.events_for(request.user, filters, past=past),
        ordering=selectors.events_ordering(past),
    )
    context = {"form": form, "page": page, "past": past, "filters": filters}
    if request.htmx and request.htmx.target == "results":
        return render(request, "events/_partials/results.html", context)
    return render(request, "events/list.html", context)


@require_GET
def event_list(request):
    """Upcoming events, soonest first, with filters."""
    return _list(request, past=False)


@require_GET
def event_list_past(request):
    """Past events, latest first (with links to recordings)."""
    return _list(request, past=True)


def _month_param(value: str | None) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 1900 < year < 3000 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


@require_GET
def event_month(request):
    """A month as a calendar (a list of days with events on a small screen)."""
    first = _month_param(request.GET.get("month"))
    form = _filter_form(request)
    weeks = selectors.events_month(request.user, first.year, first.month, form.filters())
    previous = (first.replace(day=1) - date.resolution).replace(day=1)
    following = (first.replace(day=28) + 4 * date.resolution).replace(day=1)
    query = request.GET.copy()
    query.pop("month", None)
    return render(
        request,
        "events/month.html",
        {
            "form": form,
            "weeks": weeks,
            "month": first,
            "previous": previous,
            "following": following,
            "extra_query": query.urlencode(),
            "has_events": any(day.sessions for week in weeks for day in week),
            "weekday_names": [(WEEKDAYS[i], WEEKDAYS_ABBR[i]) for i in range(7)],
        },
    )


def series_detail(request, slug):
    series = get_object_or_404(Series, slug=slug)
    upcoming = selectors.events_for(
        request.user, selectors.EventFilters(series=series.slug)
    ).order_by("starts_at", "pk")[:50]
    return render(request, "events/series.html", {"series": series, "events": list(upcoming)})


# --- One event ------------------------------------------------------------------------------


def _registration_context(request, event, form=None):
    registration = selectors.registration_for(request.user, event)
    return {
        "event": event,
        "registration": registration,
        "places": selectors.event_places(event),
        "can_register": can_register(request.user, event),
        "waitlist_position": selectors.waitlist_position(registration) if registration else None,
        "form": form or forms.RegistrationForm(event=event, user=request.user),
        "show_join_link": bool(
            event.join_url
            and event.is_online
            and not event.is_cancelled
            and (
                (registration is not None and registration.is_confirmed)
                or can_manage_event(request.user, event)
            )
        ),
    }


def event_detail(request, pk):
    """The event page. The joining link shows only to people with a confirmed place (and the
    organisers); structured data (schema.org) only on public events."""
    event = access_event(request.user, selectors.event_get(pk))
    context = _registration_context(request, event)
    context["can_manage"] = can_manage_event(request.user, event)
    context["sessions"] = list(event.sessions.all())
    context["recordings"] = recordings_for_event(event, viewer=request.user)
    return render(request, "events/detail.html", context)


@require_GET
def event_ics(request, pk):
    """One event as an .ics file (without the joining link)."""
    event = access_event(request.user, selectors.event_get(pk))
    response = HttpResponse(ics.event_calendar(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


def register(request, pk):
    """Ask for a place. Members need one click (plus optional answers); visitors give a name
    and email and confirm by a link."""
    event = access_event(request.user, selectors.event_get(pk))
    if not can_register(request.user, event):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={event.get_absolute_url()}")
        messages.error(request, _("This event is not taking registrations."))
        return redirect(event)
    form = forms.RegistrationForm(_posted(request), event=event, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.event_register(
                event=event,
                user=request.user if request.user.is_authenticated else None,
                name=data.get("name", ""),
                email=data.get("email", ""),
                access_needs=data.get("access_needs", ""),
                answer=data.get("answer", ""),
            )
        except services.EventError as exc:
            messages.error(request, str(exc))
            return redirect(event)
        if registration.status == RegistrationStatus.UNCONFIRMED:
            return render(request, "events/check_email.html", {"event": event})
        if registration.status == RegistrationStatus.CONFIRMED:
            messages.success(request, _("Your place is booked. We have emailed you the details."))
        else:
            messages.success(
                request,
                _(
                    "The event is full, so you are on the waitlist. We will email you if a place "
                    "comes free."
                ),
            )
        if request.htmx:
            event = selectors.event_get(pk)
            return render(
                request, "events/_partials/registration.html", _registration_context(request, event)
            )
        return redirect(event)
    if request.htmx and request.method == "POST":
        return render(
            request,
            "events/_partials/registration.html",
            _registration_context(request, event, form=form),
        )
    return render(request, "events/register.html", {"event": event, "form": form})


@require_POST
@login_required
def cancel_registration(request, pk):
    """Give up one's own place (or leave the waitlist)."""
    event = access_event(request.user, selectors.event_get(pk))
    registration = selectors.registration_for(request.user, event)
    if registration is None:
        messages.info(request, _("You were not registered for this event."))
    else:
        services.registration_cancel(registration=registration)
        messages.success(request, _("You have cancelled your place."))
    if request.htmx:
        return render(
            request, "events/_partials/registration.html", _registration_context(request, event)
        )
    return redirect(event)


def _link_problem(request, error, status=400):
    return render(request, "events/link_problem.html", {"message": str(error)}, status=status)


@never_cache
def cancel_link(request, token):
    """The cancel link in every registration email: works without signing in. GET asks,
    POST cancels (so a mail scanner following the link cancels nothing)."""
    try:
        registration = services.registration_from_token(token, services.CANCEL_SALT)
    except services.InvalidLink as exc:
        return _link_problem(request, exc)
    if request.method == "POST":
        services.registration_cancel(registration=registration)
        return render(request, "events/cancelled.html", {"event": registration.event})
    return render(request, "events/cancel_link.html", {"registration": registration})


@never_cache
def confirm_email(request, token):
    """A visitor confirms their email address to take a place: GET asks, POST confirms."""
    try:
        registration = services.registration_from_token(
            token, services.CONFIRM_SALT, max_age=services.CONFIRM_MAX_AGE
        )
    except services.InvalidLink as exc:
        return _link_problem(request, exc)
    if request.method == "POST":
        try:
            registration = services.registration_confirm_email(registration=registration)
        except services.EventError as exc:
            return _link_problem(request, exc, status=200)
        return render(request, "events/confirmed.html", {"registration": registration})
    return render(request, "events/confirm_email.html", {"registration": registration})


@login_required
def my_events(request):
    """The events a person is going to (and has been to)."""
    return render(
        request,
        "events/mine.html",
        {
            "upcoming": selectors.registrations_of(request.user),
            "past": selectors.registrations_of(request.user, past=True),
        },
    )


# --- Calendar feeds -------------------------------------------------------------------------


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@require_GET
def feed_public(request):
    """Every public event (upcoming and the last 90 days) for calendar apps.

    Calendar apps poll this often and it can hold a thousand events, so the file is kept in
    the cache under a version that changes with the events, and a calendar app that sends
    back the ETag gets a 304 without the file being built."""
    version = selectors.events_public_feed_version()
    etag = f'"{version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    key = f"events:feed:{version}"
    body = cache.get(key)
    if body is None:
        body = ics.calendar_bytes(selectors.events_public_feed(), name=ics.feed_name())
        cache.set(key, body, 60 * 60)
    response = _calendar_response(body, "events.ics")
    response["ETag"] = etag
    return response


@require_GET
@never_cache
def feed_personal(request, token):
    """The events one person is going to, at a secret address they can reset."""
    user = selectors.feed_owner(token)
    if user is None:
        raise Http404
    response = _calendar_response(
        ics.calendar_bytes(selectors.events_personal_feed(user), name=ics.feed_name(personal=True)),
        "my-events.ics",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def feed_settings(request):
    """Show, create, reset or turn off a person's own calendar feed address."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            services.feed_token_revoke(user=request.user)
            messages.success(request, _("Your calendar feed is turned off."))
        else:
            services.feed_token_reset(user=request.user)
            messages.success(
                request,
                _("You have a new calendar feed address. The old one no longer works."),
            )
        return redirect("events:feed_settings")
    token = selectors.feed_token_of(request.user)
    feed_url = (
        request.build_absolute_uri(reverse("events:feed_personal", kwargs={"token": token.token}))
        if token
        else ""
    )
    return render(request, "events/feed_settings.html", {"token": token, "feed_url": feed_url})


# --- Creating, reviewing and changing events ------------------------------------------------


def _organisations_for(user):
    from members.models import MembershipStatus, Organisation

    if is_coordinator(user):
        return Organisation.objects.filter(status=MembershipStatus.ACTIVE).order_by("name")
    return Organisation.objects.filter(memberships__user=user, memberships__role="admin").order_by(
        "name"
    )


@member_required
def event_new(request):
    """Coordinators create events (as drafts); members submit theirs for approval."""
    form = forms.EventForm(
        _posted(request), user=request.user, organisations=_organisations_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        invitees = form.cleaned_data.get("invitees") or ()
        event = services.event_create(
            actor=request.user, sessions=form.sessions, invitees=invitees, **fields
        )
        if is_coordinator(request.user):
            messages.success(request, _("The event is saved as a draft. Publish it when ready."))
        else:
            messages.success(
                request, _("Thank you. A coordinator will check your event before it appears.")
            )
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "event": None})


def _managed_event(request, pk) -> Event:
    return access_event_management(request.user, selectors.event_get(pk))


@login_required
def event_edit(request, pk):
    event = _managed_event(request, pk)
    if event.is_cancelled:
        messages.error(request, _("A cancelled event cannot be changed."))
        return redirect(event)
    form = forms.EventForm(
        _posted(request),
        instance=event,
        user=request.user,
        organisations=_organisations_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        invitees = form.cleaned_data.get("invitees") if "invitees" in form.fields else None
        services.event_update(
            event=event,
            actor=request.user,
            sessions=form.sessions,
            invitees=invitees,
            **form.service_fields(),
        )
        messages.success(request, _("Your changes are saved."))
        return redirect(event)
    return render(request, "events/form.html", {"form": form, "event": event})


@require_POST
@coordinator_required
def event_publish(request, pk):
    """Publish a draft, or approve a member's submitted event."""
    event = get_object_or_404(Event, pk=pk)
    try:
        services.event_publish(event=event, actor=request.user)
    except services.EventError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event is published."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = event.get_absolute_url()
    return redirect(back)


@coordinator_required
def event_reject(request, pk):
    event = get_object_or_404(Event, pk=pk)
    form = forms.ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.event_reject(event=event, actor=request.user, **form.cleaned_data)
        except services.EventError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The event was turned down and its author told why."))
        return redirect("events:review")
    return render(request, "events/reject.html", {"event": event, "form": form})


@coordinator_required
def review_queue(request):
    """Members' events waiting for a coordinator."""
    return render(request, "events/review.html", {"events": selectors.review_queue()})


@login_required
def event_cancel(request, pk):
    event = _managed_event(request, pk)
    form = forms.CancelEventForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.event_cancel(event=event, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The event is cancelled and everyone registered is told."))
        return redirect(event)
    return render(
        request,
        "events/cancel_event.html",
        {"event": event, "form": form, "places": selectors.event_places(event)},
    )


# --- Organisers: attendees, attendance, feedback --------------------------------------------


@login_required
def attendees(request, pk):
    event = _managed_event(request, pk)
    return render(
        request,
        "events/attendees.html",
        {
            "event": event,
            "registrations": selectors.attendees_for(event, viewer=request.user),
            "places": selectors.event_places(event),
            "sees_all_emails": is_coordinator(request.user),
        },
    )


@login_required
def attendees_csv(request, pk):
    """The attendee list as a spreadsheet (an export: recorded in the audit log)."""
    event = _managed_event(request, pk)
    registrations = selectors.attendees_for(event, viewer=request.user)
    audit_log(actor=request.user, action="events.attendees.export", target=event)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-attendees.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("Name"), _("Email"), _("Status"), _("Access needs"), _("Answer"), _("Registered")]
    )
    for r in registrations:
        writer.writerow(
            [
                _safe_cell(r.name),
                _safe_cell(r.shown_email),
                r.get_status_display(),
                _safe_cell(r.access_needs),
                _safe_cell(r.answer),
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return response


def _safe_cell(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
def attendance(request, pk):
    """Record who came to each session."""
    event = _managed_event(request, pk)
    sessions = list(event.sessions.all())
    number = request.GET.get("session") or request.POST.get("session") or "1"
    session = next((s for s in sessions if str(s.number) == number), sessions[0])
    confirmed = [r for r in selectors.attendees_for(event, viewer=request.user) if r.is_confirmed]
    recorded = selectors.attendance_for(session)
    form = forms.AttendanceForm(
        _posted(request),
        registrations=confirmed,
        initial={"attended": [str(pk) for pk, came in recorded.items() if came]},
    )
    if request.method == "POST" and form.is_valid():
        came = services.attendance_record(
            session=session, actor=request.user, attended_ids=form.attended_ids()
        )
        messages.success(request, _("Attendance saved: %(came)s came.") % {"came": came})
        if request.POST.get("then") == "feedback":
            sent = services.feedback_request(event=event, actor=request.user)
            messages.success(
                request, _("The feedback form was sent to %(sent)s people.") % {"sent": sent}
            )
        return redirect(
            f"{reverse('events:attendance', kwargs={'pk': pk})}?session={session.number}"
        )
    return render(
        request,
        "events/attendance.html",
        {
            "event": event,
            "sessions": sessions,
            "session": session,
            "form": form,
            "recorded": bool(recorded),
        },
    )


def _feedback_form(request, registration):
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        raise Http404
    existing = Feedback.objects.filter(registration=registration).first()
    form = forms.FeedbackForm(
        _posted(request),
        initial={"rating": str(existing.rating), "comment": existing.comment} if existing else None,
    )
    if request.method == "POST" and form.is_valid():
        services.feedback_submit(registration=registration, **form.cleaned_data)
        return render(request, "events/feedback_thanks.html", {"event": registration.event})
    return render(request, "events/feedback.html", {"event": registration.event, "form": form})


@login_required
def feedback(request, pk):
    """The feedback form for a signed-in person who had a place."""
    event = access_event(request.user, selectors.event_get(pk))
    return _feedback_form(request, selectors.registration_for(request.user, event))


@never_cache
def feedback_link(request, token):
    """The feedback form from the emailed link (no sign-in needed)."""
    try:
        registration = services.registration_from_token(
            token, services.FEEDBACK_SALT, max_age=services.FEEDBACK_MAX_AGE
        )
    except services.InvalidLink as exc:
        return _link_problem(request, exc)
    return _feedback_form(request, registration)


@login_required
def feedback_results(request, pk):
    event = _managed_event(request, pk)
    return render(
        request,
        "events/feedback_results.html",
        {"event": event, "summary": selectors.feedback_summary(event)},
    )


# --- Get-together tools ---------------------------------------------------------------------


@login_required
def host(request, pk):
    """The host's screen: conversation prompts and the breakout rooms."""
    event = _managed_event(request, pk)
    return render(
        request,
        "events/host.html",
        {
            "event": event,
            "prompts": selectors.prompts_active(),
            "sessions": selectors.breakout_rooms(event),
        },
    )


@login_required
def breakouts(request, pk):
    """Plan breakout rooms for one or more sessions and store them."""
    event = _managed_event(request, pk)
    sessions = list(event.sessions.all())
    people = selectors.breakout_people(event)
    form = forms.BreakoutForm(_posted(request), people=people, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        chosen = [s for s in sessions if s.pk in set(form.session_ids())]
        try:
            plan = services.breakout_plan_create(
                event=event,
                actor=request.user,
                sessions=chosen,
                room_size=form.cleaned_data["room_size"],
                rounds_per_session=form.cleaned_data["rounds"],
                keep_together=form.pairs("together"),
                keep_apart=form.pairs("apart"),
                seed=event.pk,
            )
        except services.EventError as exc:
            form.add_error(None, str(exc))
        else:
            figures = plan.figures
            messages.success(
                request,
                _("Rooms planned: %(new)s new pairs meet, %(repeats)s pairs meet again.")
                % {"new": figures["new_pairs"], "repeats": figures["repeats"]},
            )
            return redirect("events:host", pk=event.pk)
    return render(
        request,
        "events/breakouts.html",
        {"event": event, "form": form, "people": people},
    )


@coordinator_required
def prompts_edit(request):
    form = forms.PromptsForm(
        _posted(request),
        initial={"prompts": "\n".join(p.text for p in selectors.prompts_all())},
    )
    if request.method == "POST" and form.is_valid():
        services.prompts_replace(actor=request.user, texts=form.texts())
        messages.success(request, _("The conversation prompts are saved."))
        return redirect("events:prompts")
    return render(request, "events/prompts.html", {"form": form})
