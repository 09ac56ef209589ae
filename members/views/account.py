from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from core.permissions import can_edit_organisation, login_required
from members.models import AffiliationStatus
from members.services import accounts as services
from members.services.joining import pending_application_for


class ProfileNameForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        help_text=_("As you would like other members to see it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


@login_required
def account(request):
    """A person's own account page: who they are, where their membership stands (and what to
    do next if they are not a member yet), their organisations, links to security."""
    if request.method == "POST":
        form = ProfileNameForm(request.POST)
        if form.is_valid():
            services.user_update_profile(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your name has been saved."))
            return redirect("members:account")
    else:
        form = ProfileNameForm(initial={"full_name": request.user.full_name})
    memberships = list(request.user.org_memberships.select_related("organisation"))
    for m in memberships:
        m.can_edit = m.status == AffiliationStatus.ACTIVE and can_edit_organisation(
            request.user, m.organisation
        )
    return render(
        request,
        "members/account.html",
        {
            "form": form,
            "memberships": memberships,
            "pending_application": pending_application_for(request.user),
            "requested": [m for m in memberships if m.status == AffiliationStatus.REQUESTED],
            "email_confirmed": EmailAddress.objects.filter(
                user=request.user, email__iexact=request.user.email, verified=True
            ).exists(),
        },
    )
