"""Forms for groups: each validates what a person typed and says plainly what is wrong."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.forms import TermsField
from groups.attachments import MAX_FILES, prepare, validate_attachment
from groups.models import Frequency, GroupKind, ThreadKind

MARKDOWN_HINT = _(
    "You can use Markdown: **bold**, *italic*, [a link](https://example.org), > a quote."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to five files, each checked by its contents (``groups.attachments``); cleans to
    what ``groups.attachments.prepare`` makes of them (pictures without metadata)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise ValidationError(_("Attach up to %(max)s files.") % {"max": MAX_FILES})
        errors = []
        for upload in files:
            try:
                validate_attachment(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        # Re-encode pictures now, outside the service's transaction (it can take a moment).
        return [prepare(upload) for upload in files]


class ThreadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of post"), choices=ThreadKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HINT,
    )  # fmt: skip
    event = forms.ModelChoiceField(
        label=_("The event (for an event post)"),
        queryset=None,
        required=False,
        help_text=_("Choose the event from the events calendar, so nobody enters it twice."),
    )
    resource = forms.ModelChoiceField(
        label=_("The library entry (for a resource post)"),
        queryset=None,
        required=False,
        help_text=_("Choose it from the resource library, or give a link below."),
    )
    resource_url = forms.URLField(
        label=_("Link to the resource (for a resource post)"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    attachments = AttachmentsField(
        label=_("Attach pictures or documents"),
        required=False,
        help_text=_("Up to 5 files: pictures up to 5 MB; PDF, Word, Excel, PowerPoint, "
                    "OpenDocument, text or CSV up to 10 MB."),
    )  # fmt: skip

    def __init__(self, *args, events=None, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        from events.models import Event
        from learning.models import Resource

        self.fields["event"].queryset = events if events is not None else Event.objects.none()
        self.fields["resource"].queryset = (
            resources if resources is not None else Resource.objects.none()
        )

    def clean(self):
        data = super().clean()
        if data.get("kind") == ThreadKind.EVENT and not data.get("event"):
            self.add_error("event", _("Choose the event this post is about."))
        if (
            data.get("kind") == ThreadKind.RESOURCE
            and not data.get("resource")
            and not data.get("resource_url")
        ):
            self.add_error(
                "resource", _("Choose the resource from the library, or give a link to it.")
            )
        return data


class ThreadEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HINT,
    )  # fmt: skip


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Mention someone with @ and their name, e.g. @Ann Example. ") + MARKDOWN_HINT,
    )  # fmt: skip
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = AttachmentsField(label=_("Attach pictures or documents"), required=False)

    # The empty form is on every thread page and the same for everyone (the CSRF token is
    # outside it, in reply_form.html): drawn once per process and language. A form with what
    # someone typed, a quote or errors is drawn afresh.
    _empty_html: dict = {}

    def render(self, template_name=None, context=None, renderer=None):
        if self.is_bound or self.initial or template_name or context or renderer:
            return super().render(template_name, context, renderer)
        language = get_language()
        html = self._empty_html.get(language)
        if html is None:
            html = self._empty_html[language] = super().render()
        return html

    # ``RenderableMixin`` binds these to its own ``render``; templates call ``__html__``.
    __str__ = render
    __html__ = render


class ReplyEditForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this post?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Hosts and coordinators will read this. The author will not see who reported it."
        ),
    )


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Emails from this group"), choices=Frequency.choices, widget=forms.RadioSelect
    )


class PersonSettingsForm(forms.Form):
    default_frequency = forms.ChoiceField(
        label=_("When you join a group, email me"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
    )
    network_frequency = forms.ChoiceField(
        label=_("From the network-wide space, email me"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
    )
    mention_emails = forms.BooleanField(
        label=_("Email me when someone mentions me or replies to my thread"), required=False
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_(
            "If a member of the network uses this address, they are invited. To keep members' "
            "addresses private, we do not say whether one does."
        ),
    )


class InviteSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a member by name"),
        max_length=100,
        required=False,
        help_text=_("Only members whose profile you can see are found."),
    )


class InvitePersonForm(forms.Form):
    """The member a host chose from the names found. A person the host may not see is
    refused with the same words as one who does not exist."""

    person = forms.ModelChoiceField(
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a member from the list.")},
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class MoveForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Move this thread to"), queryset=None)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search discussions"), max_length=200, required=False)


class ChallengeForm(forms.Form):
    question = forms.CharField(
        label=_("Your challenge question"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What do you want the cohort's help with over the sessions?"),
    )


class ChallengeUpdateForm(forms.Form):
    body = forms.CharField(
        label=_("An update on your challenge"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ShareLearningForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), max_length=300, help_text=_("One or two sentences for lists.")
    )
    body = forms.CharField(
        label=_("What the cohort agreed to share"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Share only what everyone in the cohort agreed to. ") + MARKDOWN_HINT,
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    purpose = forms.CharField(
        label=_("Purpose"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}), help_text=MARKDOWN_HINT,
    )  # fmt: skip
    kind = forms.ChoiceField(
        label=_("Who can join"), choices=GroupKind.choices, widget=forms.RadioSelect
    )
    is_cohort = forms.BooleanField(
        label=_("A community of practice cohort (each participant brings a challenge)"),
        required=False,
    )
    hold_first_posts = forms.BooleanField(
        label=_("Hold a new member's first post until a host approves it"), required=False
    )
    events = TermsField(
        label=_("Sessions and events of this group"),
        queryset=None,
        required=False,
        help_text=_("They are listed on the group's page."),
    )

    def __init__(self, *args, events=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].queryset = events
