import re

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import geo
from core.forms import FilterFormMixin, TermsField
from members.images import validate_image
from members.models import (
    AreaServed,
    Audience,
    FocusArea,
    Organisation,
    Region,
    StaffSize,
    User,
    Visibility,
)
from newsletter.services.subscribers import JOIN_WORDING


class SignupForm(AllauthSignupForm):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        help_text=_("As you would like other members to see it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    newsletter_opt_in = forms.BooleanField(label=JOIN_WORDING, required=False)
    field_order = ["full_name", "email", "password1", "password2", "newsletter_opt_in"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain-English labels and messages; labels, not placeholders, say what to type.
        self.fields["email"].label = _("Email address")
        self.fields["password1"].label = _("Create a password")
        self.fields["password2"].label = _("Type your password again")
        self.fields["full_name"].error_messages["required"] = _("Enter your full name")
        self.fields["email"].error_messages["required"] = _("Enter your email address")
        self.fields["password1"].error_messages["required"] = _("Create a password")
        self.fields["password2"].error_messages["required"] = _("Type your password again")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)


IMAGE_ACCEPT = "image/jpeg,image/png,image/gif,image/webp"
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,25}$")


def plain_length_messages(form):
    """GOV.UK-style messages for text that is too long: name the field and the limit ("Your
    answer" for a field asked as a question). The browser is not told the limit (Django's
    ``maxlength``): it would silently cut text pasted in, and a person would lose the end of
    what they wrote without knowing; the form says how much too long it is instead."""
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and field.max_length:
            field.widget.attrs.pop("maxlength", None)
            label = str(field.label or name)
            if label.rstrip().endswith("?"):
                label = gettext("Your answer")
            field.error_messages["max_length"] = gettext(
                "%(label)s must be %%(limit_value)d characters or fewer. "
                "You have used %%(show_value)d."
            ) % {"label": label.replace("%", "%%")}


def clean_uk_postcode(value: str, *, allow_outcode: bool = False, locate: bool = False) -> str:
    """A tidy UK postcode (``SW1A 1AA``) or, when allowed, an outward code (``SW1A``).

    With ``locate``, the district must also be one we know the position of. Raises
    ``ValidationError`` with a message a person can act on."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        normalised = geo.normalise_postcode(value)
    except geo.PostcodeError as error:
        raise forms.ValidationError(str(error), code="invalid_postcode") from None
    if not allow_outcode and " " not in normalised:
        raise forms.ValidationError(
            _("Enter the full postcode, like SW1A 1AA, not just the first part."),
            code="incomplete_postcode",
        )
    if locate and geo.centroid(normalised) is None:
        raise forms.ValidationError(
            _("We could not find where %(postcode)s is. Check it and try again.")
            % {"postcode": normalised},
            code="unknown_postcode",
        )
    return normalised


def clean_organisation_postcode(value: str) -> str:
    """The same rule when joining and when editing: a full postcode, or only the first half
    for a group with no premises, in a district we can place (else it would never show in a
    search near a postcode, and nobody would know why)."""
    return clean_uk_postcode(value, allow_outcode=True, locate=True)


def clean_phone(value: str) -> str:
    value = " ".join((value or "").split())
    if value and (not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 7):
        raise forms.ValidationError(
            _("Enter a phone number, like 01632 960 001 or +44 7700 900 982."),
            code="invalid_phone",
        )
    return value


class ImageUploadMixin:
    """A picture field validated with Pillow, plus a "remove" box. The field is a plain
    FileField so that our own checks (and messages) run, not Django's generic ones."""

    def _clean_image(self, name):
        upload = self.cleaned_data.get(name)
        if upload:
            validate_image(upload)
        return upload


class PersonProfileForm(ImageUploadMixin, forms.ModelForm):
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_(
            "A JPEG, PNG, GIF or WebP picture, smaller than 5 MB. We crop it to a square "
            "and remove hidden details such as where it was taken."
        ),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)
    focus_areas = TermsField(
        label=_("What you work on"),
        queryset=FocusArea.objects.all(),
        required=False,
        help_text=_("Choose any that apply. Other members use these to find you."),
    )
    profile_visibility = forms.ChoiceField(
        label=_("Who can see your profile page?"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Your page shows your name, role, photo, what you work on and your organisations. "
            "If you choose “Nobody”, you will not appear in the directory or on your "
            "organisation’s page. The network’s coordinators can always see it."
        ),
    )
    email_visibility = forms.ChoiceField(
        label=_("Who can see your email address?"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "It is shown on your profile page, so people who cannot see your page cannot see "
            "it either."
        ),
    )
    phone_visibility = forms.ChoiceField(
        label=_("Who can see your phone number?"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "It is shown on your profile page, so people who cannot see your page cannot see "
            "it either."
        ),
    )

    field_order = [
        "full_name",
        "job_title",
        "bio",
        "photo",
        "remove_photo",
        "phone",
        "postcode",
        "focus_areas",
        "profile_visibility",
        "email_visibility",
        "phone_visibility",
    ]

    class Meta:
        model = User
        fields = [
            "full_name",
            "job_title",
            "bio",
            "phone",
            "postcode",
            "focus_areas",
            "profile_visibility",
            "email_visibility",
            "phone_visibility",
        ]
        labels = {
            "full_name": _("Your full name"),
            "job_title": _("Your role or job title"),
            "bio": _("About you"),
            "phone": _("Phone number"),
            "postcode": _("Your postcode"),
        }
        help_texts = {
            "full_name": _("As you would like other members to see it."),
            "job_title": _("For example, volunteer coordinator or befriending lead."),
            "bio": _(
                "What you do and what you would like to talk to other members about. "
                "Up to 2,000 characters."
            ),
            "postcode": _(
                "Never shown to anyone. We use it to suggest members and activities near you."
            ),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "class": "input--short"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        if not self.instance.photo:
            del self.fields["remove_photo"]
        plain_length_messages(self)
        self.fields["full_name"].error_messages["required"] = _("Enter your full name.")

    def clean_photo(self):
        return self._clean_image("photo")

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone", ""))

    def clean_postcode(self):
        return clean_uk_postcode(self.cleaned_data.get("postcode", ""))

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())


class OrganisationForm(ImageUploadMixin, forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "A JPEG, PNG, GIF or WebP picture, smaller than 5 MB. We shrink it to fit "
            "400 pixels and remove hidden details."
        ),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For example, https://www.example.org"),
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    regions = TermsField(
        label=_("Where you work"),
        queryset=Region.objects.all(),
        required=False,
        help_text=_("Choose the nations and regions where you run activities."),
    )
    focus_areas = TermsField(
        label=_("What you work on"),
        queryset=FocusArea.objects.all(),
        required=False,
    )
    audiences = TermsField(
        label=_("Who you work with"),
        queryset=Audience.objects.all(),
        required=False,
    )

    field_order = ["name", "description", "logo", "remove_logo"]

    class Meta:
        model = Organisation
        fields = [
            "name",
            "description",
            "website",
            "email",
            "phone",
            "address",
            "postcode",
            "area_served",
            "regions",
            "focus_areas",
            "audiences",
            "staff_size",
            "turnover",
            "charity_number",
            "company_number",
        ]
        labels = {
            "name": _("Organisation name"),
            "description": _("What your organisation does"),
            "email": _("Public contact email address"),
            "phone": _("Public phone number"),
            "area_served": _("Area you serve"),
            "staff_size": _("How many paid staff do you have?"),
            "turnover": _("What is your yearly turnover?"),
        }
        help_texts = {
            "description": _(
                "A few sentences in plain English: what you do, where, and who for. "
                "Up to 5,000 characters."
            ),
            "email": _("Shown to anyone who visits your page. Leave it empty to hide it."),
            "phone": _("Shown to anyone who visits your page. Leave it empty to hide it."),
            "address": _("Shown only to members of the network."),
            "postcode": _(
                "Used to find you by distance. If you have no premises, the first half (like "
                "SW1A) is enough. Visitors see only the first half."
            ),
            "turnover": _("Shown only to members of the network."),
            "charity_number": _("If you are a registered charity."),
            "company_number": _("If you are a registered company."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "class": "input--short"}
            ),
            "area_served": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.logo:
            del self.fields["remove_logo"]
        plain_length_messages(self)
        self.fields["name"].error_messages["required"] = _("Enter your organisation’s name.")
        self.fields["staff_size"].choices = [("", _("Prefer not to say")), *StaffSize.choices]
        self.fields["turnover"].choices = [
            ("", _("Prefer not to say")),
            *self.fields["turnover"].choices[1:],
        ]
        self.fields["website"].error_messages["invalid"] = _(
            "Enter a web address, like https://www.example.org"
        )
        self.fields["email"].error_messages["invalid"] = _(
            "Enter an email address in the correct format, like name@example.org"
        )

    def clean_logo(self):
        return self._clean_image("logo")

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone", ""))

    def clean_postcode(self):
        return clean_organisation_postcode(self.cleaned_data.get("postcode", ""))

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class DirectoryFilterForm(FilterFormMixin, forms.Form):
    """The directory's search and filters, read from the query string (a GET form).

    Choices for the taxonomy come from the view (loaded once per request) so that the same
    lists can label the filter chips without further queries."""

    # Every filter is optional: no "(optional)" after each label.
    template_name = "members/_partials/filter_fields.html"

    q = forms.CharField(
        label=_("Search by name or what they do"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"}),
    )
    near = forms.CharField(
        label=_("Near a postcode"),
        required=False,
        max_length=20,
        help_text=_("A full postcode, like SW1A 1AA, or the first half, like SW1A."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "class": "input--short"}),
    )
    focus = forms.ChoiceField(label=_("Focus"), required=False)
    audience = forms.ChoiceField(label=_("Who they work with"), required=False)
    region = forms.ChoiceField(label=_("Nation or region"), required=False)
    area = forms.ChoiceField(
        label=_("Area served"),
        required=False,
        choices=[("", _("Any area")), *AreaServed.choices],
    )
    size = forms.ChoiceField(
        label=_("Paid staff"),
        required=False,
        choices=[("", _("Any size")), *StaffSize.choices],
    )

    # Which filters each list offers (people have no regions, audiences or sizes).
    ORGANISATION_FIELDS = ("q", "near", "focus", "audience", "region", "area", "size")
    PEOPLE_FIELDS = ("q", "focus")

    def __init__(self, data, *, taxonomy, fields=ORGANISATION_FIELDS):
        super().__init__(data)
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]
        any_labels = {
            "focus": _("Any focus"),
            "audience": _("Anyone"),
            "region": _("Anywhere in the UK"),
        }
        for name, terms in (
            ("focus", taxonomy.focus_areas),
            ("audience", taxonomy.audiences),
            ("region", taxonomy.regions),
        ):
            if name in self.fields:
                self.fields[name].choices = [
                    ("", any_labels[name]),
                    *((t.slug, t.name) for t in terms),
                ]
        invalid_choice = _("Choose one of the options in the list.")
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = invalid_choice
        plain_length_messages(self)

    def clean_near(self):
        return clean_uk_postcode(self.cleaned_data.get("near", ""), allow_outcode=True, locate=True)

    def valid_filters(self) -> dict:
        """The filters that passed validation (a bad one is dropped, not fatal)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value and name not in self.errors
        }
