"""Organisation and person pages, and the forms that edit them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.permissions import can_edit_organisation, is_member, login_required
from learning.selectors import case_studies_for_organisation
from members.forms import OrganisationForm, PersonProfileForm
from members.models import User
from members.selectors import directory as selectors
from members.services import profiles as services


def organisation(request, slug):
    """An organisation's page: what it does, its tags, the contact details it publishes and
    the people the viewer may see."""
    # The directory's own view module says which of its filters "Back to the directory" keeps.
    from members.views.directory import directory_return_url

    org = selectors.organisation_for_page(viewer=request.user, slug=slug)
    if org is None:
        raise Http404
    context = {
        "organisation": org,
        # The search the visitor came from (``?from=``, put in the directory's result cards).
        "directory_url": directory_return_url(request.GET.get("from")),
        "people": selectors.organisation_people(viewer=request.user, organisation=org),
        "can_edit": can_edit_organisation(request.user, org),
        "show_address": is_member(request.user),
        "town": selectors.town_for(org.outcode),
        "case_studies": case_studies_for_organisation(org, viewer=request.user),
    }
    return render(request, "members/organisation.html", context)


@login_required
def organisation_edit(request, slug):
    """Org admins of this organisation and coordinators change its details and logo."""
    org = selectors.organisation_for_page(viewer=request.user, slug=slug)
    if org is None:
        raise Http404
    if not can_edit_organisation(request.user, org):
        raise PermissionDenied
    if request.method == "POST":
        form = OrganisationForm(request.POST, request.FILES, instance=_fresh(org))
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                name: data[name]
                for name in form.Meta.fields
                if name in services.ORGANISATION_FIELDS or name in services.ORGANISATION_TAGS
            }
            services.organisation_update(actor=request.user, organisation=org, changes=changes)
            if data.get("logo"):
                services.organisation_set_logo(
                    actor=request.user, organisation=org, upload=data["logo"]
                )
            elif data.get("remove_logo") and org.logo:
                services.organisation_remove_logo(actor=request.user, organisation=org)
            messages.success(request, _("Your changes to %(name)s are saved.") % {"name": org})
            return redirect(org)
    else:
        form = OrganisationForm(instance=org)
    return render(
        request,
        "members/organisation_edit.html",
        {"form": form, "organisation": org, "has_logo": bool(org.logo)},
    )


def _fresh(obj):
    """A separate copy to bind a form to, so a rejected form never alters the object the page
    shows (a ModelForm writes cleaned values onto its instance while validating)."""
    return type(obj).objects.get(pk=obj.pk)


def person(request, pk):
    """A person's page, if they let the viewer see it; otherwise "not found", which does not
    say whether such a person exists."""
    card = selectors.person_for_page(viewer=request.user, pk=pk)
    if card is None:
        raise Http404
    return render(
        request,
        "members/person.html",
        {"card": card, "person": card.person, "is_self": card.person.pk == request.user.pk},
    )


@login_required
def profile_edit(request):
    """A person edits their own profile and chooses who sees what."""
    person = User.objects.prefetch_related("focus_areas").get(pk=request.user.pk)
    if request.method == "POST":
        form = PersonProfileForm(request.POST, request.FILES, instance=_fresh(person))
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                name: data[name]
                for name in form.Meta.fields
                if name in services.PERSON_FIELDS or name == "focus_areas"
            }
            services.person_update_profile(actor=request.user, person=person, changes=changes)
            if data.get("photo"):
                services.person_set_photo(actor=request.user, person=person, upload=data["photo"])
            elif data.get("remove_photo") and person.photo:
                services.person_remove_photo(actor=request.user, person=person)
            messages.success(request, _("Your profile is saved."))
            return redirect("members:profile_edit")
    else:
        form = PersonProfileForm(instance=person)
    return render(
        request,
        "members/profile_edit.html",
        {"form": form, "person": person, "has_photo": bool(person.photo)},
    )
