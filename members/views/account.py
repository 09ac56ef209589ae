from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from core.permissions import login_required
from members.services import accounts as services


class ProfileNameForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        help_text=_("As you would like other members to see it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


@login_required
def account(request):
    """A person's own account page: who they are, their membership, links to security."""
    if request.method == "POST":
        form = ProfileNameForm(request.POST)
        if form.is_valid():
            services.user_update_profile(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your name has been saved."))
            return redirect("members:account")
    else:
        form = ProfileNameForm(initial={"full_name": request.user.full_name})
    memberships = request.user.org_memberships.select_related("organisation")
    return render(request, "members/account.html", {"form": form, "memberships": memberships})
