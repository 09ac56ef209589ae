"""Forms for subscribing, asking for a preference link and the preference centre.

The words a person is shown beside each tick box are the ones stored in their consent record,
so the labels come from :mod:`newsletter.services.subscribers`.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from newsletter.models import Stream
from newsletter.services import subscribers as services

EMAIL_FORMAT = _("Enter an email address in the correct format, like name@example.org")


def stream_choices(*, digests: bool) -> list[tuple[str, str]]:
    return [
        (stream.value, services.stream_wording(stream))
        for stream in Stream
        if digests or stream != Stream.DIGESTS
    ]


class EmailField(forms.EmailField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Email address"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "widget", forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"})
        )
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Enter your email address"),
                "invalid": EMAIL_FORMAT,
                "max_length": _("An email address must be 254 characters or fewer"),
            },
        )
        super().__init__(**kwargs)


class HoneypotMixin(forms.Form):
    """A field people never see (the page hides it) but form-filling robots do. When it has
    anything in it, the view pretends all went well and does nothing."""

    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        template_name="newsletter/subscribe_honeypot_field.html",
    )

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())


class SubscribeForm(HoneypotMixin):
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        help_text=_("So we can say hello. You can leave it out."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"max_length": _("Your name must be 150 characters or fewer")},
    )
    email = EmailField(help_text=_("We will send you an email to check it is yours."))
    streams = forms.MultipleChoiceField(
        label=_("What would you like to receive?"),
        choices=stream_choices(digests=False),
        help_text=services.SUBSCRIBE_WORDING,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one thing to receive"),
            "invalid_choice": _("Choose only from the options shown"),
        },
    )

    wording = services.SUBSCRIBE_WORDING

    def clean_name(self):
        name = " ".join(self.cleaned_data.get("name", "").split())
        if any(ch in name for ch in "<>@/:") or any(ord(ch) < 32 for ch in name):
            raise forms.ValidationError(
                _("Your name can only have letters, spaces and simple punctuation")
            )
        return name


class PreferencesLinkForm(HoneypotMixin):
    email = EmailField(help_text=_("The address our emails come to."))


class PreferencesForm(forms.Form):
    streams = forms.MultipleChoiceField(
        label=_("What would you like to receive?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=services.PREFERENCES_WORDING,
        error_messages={"invalid_choice": _("Choose only from the options shown")},
    )

    def __init__(self, *args, digests: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["streams"].choices = stream_choices(digests=digests)


class SubscriberSearchForm(forms.Form):
    q = forms.CharField(label=_("Email address or name"), max_length=100, required=False)
