"""The coordinators' screens: dashboard, applications queue, members, organisations, fresh
listings, the taxonomy and the audit log.

Every view is for coordinators only (``coordinator_required``: visitors are sent to sign in,
everyone else gets 403). Every change goes through a service that writes an audit entry.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from core.audit import action_label, entry_details
from core.pagination import paginate_keyset_request
from core.permissions import coordinator_required
from members.forms_joining import (
    AuditFilterForm,
    MemberFilterForm,
    OrganisationFilterForm,
    RejectForm,
    StatusForm,
    TermForm,
)
from members.models import Application, Region
from members.selectors import coordinator as selectors
from members.services import accounts as account_services
from members.services import joining as services
from members.services import listings as listing_services
from members.services import taxonomy as taxonomy_services
from members.views.joining import posted_data, url_or_none

PER_PAGE = 25


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


@coordinator_required
def dashboard(request):
    return render(
        request, "members/coordinator/dashboard.html", {"figures": selectors.dashboard_figures()}
    )


# --- Applications ---------------------------------------------------------------------------


@coordinator_required
def applications(request):
    """The queue (oldest first), or the decided applications."""
    status = request.GET.get("status", Application.Status.PENDING)
    if status not in Application.Status.values:
        status = Application.Status.PENDING
    ordering = ("created_at", "pk") if status == Application.Status.PENDING else ("-pk",)
    page = paginate_keyset_request(
        request, selectors.applications(status=status), ordering=ordering, per_page=PER_PAGE
    )
    return render(
        request,
        "members/coordinator/applications.html",
        {"page": page, "status": status, "statuses": Application.Status.choices},
    )


def _application_page(request, application, reject_form=None):
    return render(
        request,
        "members/coordinator/application.html",
        {
            "application": application,
            "email_confirmed": selectors.applicant_email_confirmed(application.applicant),
            "reject_form": reject_form or RejectForm(),
        },
    )


@coordinator_required
def application(request, pk):
    return _application_page(request, _or_404(selectors.application_detail(pk)))


@coordinator_required
@require_POST
def application_approve(request, pk):
    application = _or_404(selectors.application_detail(pk))
    try:
        services.application_approve(actor=request.user, application=application)
    except services.JoiningError as error:
        messages.error(request, str(error))
        return redirect("coordinator:application", pk=pk)
    messages.success(
        request,
        _("Approved %(subject)s. We have emailed them a welcome.")
        % {"subject": application.organisation or application.applicant},
    )
    return redirect("coordinator:applications")


@coordinator_required
@require_POST
def application_reject(request, pk):
    application = _or_404(selectors.application_detail(pk))
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _application_page(request, application, reject_form=form)
    try:
        services.application_reject(
            actor=request.user, application=application, reason=form.cleaned_data["reason"]
        )
    except services.JoiningError as error:
        messages.error(request, str(error))
        return redirect("coordinator:application", pk=pk)
    messages.success(
        request,
        _("Did not approve %(subject)s. We have emailed them the reason.")
        % {"subject": application.organisation or application.applicant},
    )
    return redirect("coordinator:applications")


# --- Members and organisations ------------------------------------------------------------


@coordinator_required
def members(request):
    form = MemberFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.members(status=filters.get("status", ""), q=filters.get("q", ""))
    page = paginate_keyset_request(
        request, people, ordering=("full_name", "email", "pk"), per_page=PER_PAGE
    )
    return render(request, "members/coordinator/members.html", {"form": form, "page": page})


@coordinator_required
def member(request, pk):
    person = _or_404(selectors.member_detail(pk))
    form = StatusForm(posted_data(request), initial={"status": person.status})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["status"] != person.status:
            account_services.user_set_status(
                actor=request.user, user=person, status=form.cleaned_data["status"]
            )
            messages.success(
                request,
                _("%(person)s is now %(status)s.")
                % {"person": person, "status": person.get_status_display().lower()},
            )
        return redirect("coordinator:member", pk=pk)
    return render(
        request,
        "members/coordinator/member.html",
        {
            "person": person,
            "form": form,
            "edit_url": reverse("coordinator:member_edit", args=[person.pk]),
            "profile_url": url_or_none("members:person", pk=person.pk),
        },
    )


# Labels for the profile form when a coordinator fills it in for someone else.
PERSON_LABELS = {
    "full_name": _lazy("Full name"),
    "job_title": _lazy("Role or job title"),
    "bio": _lazy("About them"),
    "postcode": _lazy("Postcode"),
    "photo": _lazy("Photo"),
    "remove_photo": _lazy("Remove their photo"),
    "focus_areas": _lazy("What they work on"),
    "profile_visibility": _lazy("Who can see their profile page?"),
    "email_visibility": _lazy("Who can see their email address?"),
    "phone_visibility": _lazy("Who can see their phone number?"),
}


@coordinator_required
def member_edit(request, pk):
    """A coordinator edits anyone's profile with the same form people use for their own
    (members.forms.PersonProfileForm); the profile service writes the audit entry."""
    from members.forms import PersonProfileForm
    from members.services import profiles

    person = _or_404(selectors.member_detail(pk))
    fresh = type(person).objects.get(pk=person.pk)  # a rejected form never alters ``person``
    if request.method == "POST":
        form = PersonProfileForm(request.POST, request.FILES, instance=fresh)
    else:
        form = PersonProfileForm(instance=fresh)
    for name, label in PERSON_LABELS.items():
        if name in form.fields:
            form.fields[name].label = label
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in form.Meta.fields
            if name in profiles.PERSON_FIELDS or name == "focus_areas"
        }
        profiles.person_update_profile(actor=request.user, person=person, changes=changes)
        if data.get("photo"):
            profiles.person_set_photo(actor=request.user, person=person, upload=data["photo"])
        elif data.get("remove_photo") and person.photo:
            profiles.person_remove_photo(actor=request.user, person=person)
        messages.success(request, _("Saved %(person)s’s profile.") % {"person": person})
        return redirect("coordinator:member", pk=pk)
    return render(request, "members/coordinator/member_edit.html", {"person": person, "form": form})


@coordinator_required
def organisations(request):
    form = OrganisationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orgs = selectors.organisations(status=filters.get("status", ""), q=filters.get("q", ""))
    page = paginate_keyset_request(request, orgs, ordering=("name", "pk"), per_page=PER_PAGE)
    return render(request, "members/coordinator/organisations.html", {"form": form, "page": page})


@coordinator_required
def organisation(request, pk):
    org = _or_404(selectors.organisation_detail(pk))
    form = StatusForm(posted_data(request), initial={"status": org.status})
    if request.method == "POST" and form.is_valid():
        services.organisation_set_status(
            actor=request.user, organisation=org, status=form.cleaned_data["status"]
        )
        messages.success(
            request,
            _("%(organisation)s is now %(status)s.")
            % {"organisation": org, "status": org.get_status_display().lower()},
        )
        return redirect("coordinator:organisation", pk=pk)
    return render(
        request,
        "members/coordinator/organisation.html",
        {
            "organisation": org,
            "form": form,
            "edit_url": url_or_none("members:organisation_edit", slug=org.slug),
            "profile_url": url_or_none("members:organisation", slug=org.slug),
            "people": list(org.memberships.all()),
        },
    )


# --- Fresh listings -------------------------------------------------------------------------


@coordinator_required
def listings(request):
    """Stale listings (18 months unconfirmed), and how many are due to be asked."""
    page = paginate_keyset_request(
        request, selectors.listings_stale(), ordering=("last_confirmed", "pk"), per_page=PER_PAGE
    )
    return render(
        request,
        "members/coordinator/listings.html",
        {"page": page, "due_count": selectors.listings_due().count()},
    )


@coordinator_required
@require_POST
def listing_request(request, pk):
    """Ask one organisation to confirm its details now."""
    org = _or_404(selectors.organisation_detail(pk))
    listing_services.listing_request_now(actor=request.user, organisation=org)
    messages.success(
        request,
        _("We have asked %(organisation)s’s admins to confirm its details.")
        % {"organisation": org},
    )
    return redirect("coordinator:listings")


# --- Taxonomy -------------------------------------------------------------------------------


def _taxonomy(kind):
    model = selectors.TAXONOMIES.get(kind)
    if model is None:
        raise Http404
    return model


@coordinator_required
def taxonomy(request):
    sections = [
        (kind, model._meta.verbose_name_plural, selectors.taxonomy(model))
        for kind, model in selectors.TAXONOMIES.items()
    ]
    return render(request, "members/coordinator/taxonomy.html", {"sections": sections})


@coordinator_required
def term_add(request, kind):
    model = _taxonomy(kind)
    form = TermForm(posted_data(request), model=model)
    if request.method == "POST" and form.is_valid():
        term = taxonomy_services.term_create(actor=request.user, model=model, **form.cleaned_data)
        messages.success(request, _("Added “%(name)s”.") % {"name": term.name})
        return redirect("coordinator:taxonomy")
    return render(
        request,
        "members/coordinator/term_form.html",
        {"form": form, "kind": kind, "model_name": model._meta.verbose_name, "term": None},
    )


def _term(model, pk):
    term = model.objects.filter(pk=pk).first()
    return _or_404(term)


@coordinator_required
def term_edit(request, kind, pk):
    model = _taxonomy(kind)
    term = _term(model, pk)
    initial = {"name": term.name}
    if model is Region:
        initial["kind"] = term.kind
    form = TermForm(posted_data(request), model=model, instance=term, initial=initial)
    if request.method == "POST" and form.is_valid():
        taxonomy_services.term_update(actor=request.user, term=term, **form.cleaned_data)
        messages.success(request, _("Saved “%(name)s”.") % {"name": term.name})
        return redirect("coordinator:taxonomy")
    return render(
        request,
        "members/coordinator/term_form.html",
        {"form": form, "kind": kind, "model_name": model._meta.verbose_name, "term": term},
    )


@coordinator_required
@require_POST
def term_move(request, kind, pk):
    model = _taxonomy(kind)
    term = _term(model, pk)
    direction = request.POST.get("direction")
    if direction in ("up", "down"):
        taxonomy_services.term_move(actor=request.user, term=term, direction=direction)
    return redirect(f"{reverse('coordinator:taxonomy')}#{kind}")


@coordinator_required
def term_delete(request, kind, pk):
    model = _taxonomy(kind)
    term = _term(model, pk)
    if request.method == "POST":
        taxonomy_services.term_delete(actor=request.user, term=term)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": term.name})
        return redirect("coordinator:taxonomy")
    return render(
        request,
        "members/coordinator/term_delete.html",
        {"term": term, "kind": kind, "usage": selectors.taxonomy_usage(term)},
    )


# --- Audit log ------------------------------------------------------------------------------


@coordinator_required
def audit(request):
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_actions())
    action = form.cleaned_data.get("action", "") if form.is_valid() else ""
    page = paginate_keyset_request(
        request,
        selectors.audit_entries(action=action),
        ordering=("-created_at", "-pk"),
        per_page=50,
    )
    for entry in page:
        entry.label, entry.details = action_label(entry.action), entry_details(entry)
    return render(request, "members/coordinator/audit.html", {"form": form, "page": page})
