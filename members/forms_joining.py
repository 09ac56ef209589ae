"""Forms for joining the network and for the coordinators' screens.

Messages follow the GOV.UK style: say what went wrong and how to fix it, naming the field.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import action_label
from core.forms import TermsField
from members.forms import clean_organisation_postcode, plain_length_messages
from members.models import (
    Application,
    AreaServed,
    Audience,
    FocusArea,
    MembershipStatus,
    Region,
    StaffSize,
    Turnover,
    User,
)
from newsletter.services.subscribers import JOIN_WORDING


class PlainForm(forms.Form):
    """Plain-English messages for required and over-long fields."""

    required_messages: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_length_messages(self)
        for name, field in self.fields.items():
            label = str(field.label or name).replace("%", "%%")
            if name in self.required_messages:
                field.error_messages["required"] = self.required_messages[name]
            elif isinstance(field, forms.MultipleChoiceField):
                field.error_messages["required"] = gettext("Choose at least one option")
            elif isinstance(field, forms.ChoiceField):
                field.error_messages["required"] = gettext("Choose an option")
            else:
                field.error_messages["required"] = gettext("Enter %(label)s") % {
                    "label": label[:1].lower() + label[1:]
                }
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = gettext("Choose one of the options shown")
            if isinstance(field, forms.ModelMultipleChoiceField):
                field.error_messages["invalid_choice"] = gettext(
                    "Choose only from the options shown"
                )
                field.error_messages["invalid_pk_value"] = gettext(
                    "Choose only from the options shown"
                )


class AccountFields(PlainForm):
    """The fields that create an account, dropped when the person is already signed in."""

    account_fields = ("full_name", "job_title", "email", "password", "newsletter_opt_in")

    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    job_title = forms.CharField(
        label=_("Your role"),
        max_length=150,
        required=False,
        help_text=_("For example, volunteer coordinator or trustee."),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We will send you a link to confirm it. You will use it to sign in."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.org")
        },
    )
    password = forms.CharField(
        label=_("Create a password"),
        max_length=128,
        strip=False,
        help_text=_("At least 10 characters. A few unrelated words make a good password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    newsletter_opt_in = forms.BooleanField(label=JOIN_WORDING, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and user.is_authenticated:
            for name in self.account_fields:
                self.fields.pop(name, None)

    @property
    def creates_account(self) -> bool:
        return "email" in self.fields

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        candidate = User(
            email=self.data.get(self.add_prefix("email"), "") or "",
            full_name=self.data.get(self.add_prefix("full_name"), "") or "",
        )
        password_validation.validate_password(password, user=candidate)
        return password

    def full_clean(self):
        super().full_clean()
        # Keep a password that passed its checks when the page comes back for another field,
        # so nothing typed is lost. The page is sent with "no-store" so it is never cached.
        if "password" in self.fields and self.is_bound and "password" not in self.errors:
            self.fields["password"].widget.render_value = True

    def new_account(self):
        from members.services.joining import NewAccount

        if not self.creates_account:
            return None
        data = self.cleaned_data
        return NewAccount(
            full_name=data["full_name"],
            email=data["email"],
            password=data["password"],
            job_title=data.get("job_title", ""),
            newsletter_opt_in=data.get("newsletter_opt_in", False),
        )


class KindForm(PlainForm):
    kind = forms.ChoiceField(
        label=_("How would you like to join?"),
        choices=[
            (Application.Kind.ORGANISATION, _("As an organisation, group or charity")),
            (Application.Kind.INDIVIDUAL, _("As an individual")),
            ("existing", _("My organisation is already a member: I want to join it")),
        ],
        widget=forms.RadioSelect,
    )
    required_messages = {"kind": _("Choose how you would like to join")}


class OrganisationApplicationForm(AccountFields):
    organisation_fields = (
        "name",
        "description",
        "website",
        "postcode",
        "area_served",
        "regions",
        "focus_areas",
        "audiences",
        "staff_size",
        "turnover",
        "why_join",
    )
    name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    description = forms.CharField(
        label=_("What your organisation does"),
        max_length=5000,
        help_text=_("A few sentences for the directory: who you work with and how."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    website = forms.URLField(
        label=_("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
        error_messages={"invalid": _("Enter a web address, like www.example.org")},
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        help_text=_(
            "Where you are based. If you have no premises, use a postcode in the area you "
            "serve. We use it to show people members near them."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "spellcheck": "false", "class": "input--short"}
        ),
    )
    area_served = forms.ChoiceField(
        label=_("Area you serve"),
        choices=AreaServed.choices,
        widget=forms.RadioSelect,
    )
    regions = TermsField(
        label=_("Nations and regions you work in"),
        queryset=Region.objects.all(),
        required=False,
    )
    focus_areas = TermsField(
        label=_("What you work on"),
        queryset=FocusArea.objects.all(),
        help_text=_("Choose all that apply."),
    )
    audiences = TermsField(
        label=_("Who you work with"),
        queryset=Audience.objects.all(),
        required=False,
        help_text=_("Choose all that apply."),
    )
    staff_size = forms.ChoiceField(
        label=_("How many paid staff do you have?"),
        choices=StaffSize.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    turnover = forms.ChoiceField(
        label=_("What is your yearly turnover?"),
        choices=Turnover.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Your income in a typical year. This helps us describe the network."),
    )
    why_join = forms.CharField(
        label=_("Why would you like to join?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    required_messages = {
        "name": _("Enter your organisation’s name"),
        "description": _("Describe what your organisation does"),
        "postcode": _("Enter a postcode, like LS1 4AP"),
        "area_served": _("Choose the area you serve"),
        "focus_areas": _("Choose at least one thing you work on"),
        "full_name": _("Enter your full name"),
        "email": _("Enter your email address"),
        "password": _("Create a password"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Errors are listed in the order of the page: the organisation first, then you.
        self.order_fields([*self.organisation_fields, *self.account_fields])

    def clean_postcode(self):
        return clean_organisation_postcode(self.cleaned_data.get("postcode", ""))

    def organisation_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.organisation_fields}

    def section(self, names):
        return [self[name] for name in names if name in self.fields]

    def organisation_section(self):
        return self.section(self.organisation_fields)

    def account_section(self):
        return self.section(self.account_fields)


class IndividualApplicationForm(AccountFields):
    account_fields = ("full_name", "email", "password", "newsletter_opt_in")
    why_join = forms.CharField(
        label=_("Why would you like to join?"),
        max_length=2000,
        help_text=_("Tell us a little about the work you do to bring people together."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    focus_areas = TermsField(
        label=_("What you work on"),
        queryset=FocusArea.objects.all(),
        required=False,
        help_text=_("Choose all that apply."),
    )
    field_order = ["full_name", "email", "password", "why_join", "focus_areas"]
    required_messages = {
        "why_join": _("Tell us why you would like to join"),
        "full_name": _("Enter your full name"),
        "email": _("Enter your email address"),
        "password": _("Create a password"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("job_title", None)


class AskToJoinForm(AccountFields):
    """A visitor asking to join a member organisation creates their account at the same time."""

    required_messages = {
        "full_name": _("Enter your full name"),
        "email": _("Enter your email address"),
        "password": _("Create a password"),
    }


class FindOrganisationForm(forms.Form):
    q = forms.CharField(label=_("Organisation name"), max_length=100, required=False)


class InviteForm(PlainForm):
    email = forms.EmailField(
        label=_("Their email address"),
        max_length=254,
        help_text=_("We will email them a link to join. It works for two weeks."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.org")
        },
    )
    required_messages = {"email": _("Enter their email address")}


class InvitationAccountForm(AccountFields):
    """A visitor accepting an invitation: the email address is the invited one."""

    account_fields = ("full_name", "job_title", "password", "newsletter_opt_in")

    def __init__(self, *args, email: str = "", **kwargs):
        self.invited_email = email
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        candidate = User(
            email=self.invited_email,
            full_name=self.data.get(self.add_prefix("full_name"), "") or "",
        )
        password_validation.validate_password(password, user=candidate)
        return password

    required_messages = {
        "full_name": _("Enter your full name"),
        "password": _("Create a password"),
    }


# --- Coordinators ---------------------------------------------------------------------------


class RejectForm(PlainForm):
    reason = forms.CharField(
        label=_("Reason for not approving"),
        max_length=2000,
        help_text=_("We send this to the applicant, so write it to them."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    required_messages = {"reason": _("Enter the reason: it is sent to the applicant")}


class StatusForm(PlainForm):
    status = forms.ChoiceField(
        label=_("Membership status"),
        choices=[
            (value, label)
            for value, label in MembershipStatus.choices
            if value != MembershipStatus.PENDING
        ],
        widget=forms.RadioSelect,
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or email address"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *MembershipStatus.choices],
        required=False,
    )


class OrganisationFilterForm(MemberFilterForm):
    q = forms.CharField(label=_("Organisation name"), max_length=100, required=False)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        labelled = sorted(((a, action_label(a)) for a in actions), key=lambda c: str(c[1]))
        self.fields["action"].choices = [("", _("All actions")), *labelled]


class TermForm(PlainForm):
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args, model, instance=None, **kwargs):
        self.model = model
        self.instance = instance
        super().__init__(*args, **kwargs)
        if model is Region:
            self.fields["kind"] = forms.ChoiceField(
                label=_("Kind"),
                choices=Region.Kind.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": gettext("Choose an option"),
                    "invalid_choice": gettext("Choose one of the options shown"),
                },
            )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        clash = self.model.objects.filter(name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                gettext("There is already one called “%(name)s”") % {"name": name}
            )
        return name
