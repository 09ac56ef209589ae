"""Forms for composing an issue: its subject and introduction, an item's words, a custom item,
and the date and time to send it (UK time)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newsletter.models import Issue, IssueItem, Section

LONDON = ZoneInfo("Europe/London")


def _no_control_characters(value: str) -> str:
    # A null byte cannot be stored by PostgreSQL; other control characters are never meant.
    return "".join(ch for ch in value if ch in "\n\r\t" or ord(ch) >= 32)


class _CleanText:
    """Strip control characters from every text field before validation."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = _no_control_characters(value)
        return cleaned


class IssueForm(_CleanText, forms.ModelForm):
    class Meta:
        model = Issue
        fields = ["subject", "intro"]
        labels = {"subject": _("Subject line"), "intro": _("Introduction")}
        help_texts = {
            "subject": _("What people see in their inbox. Keep it short and specific."),
            "intro": _(
                "A few words from the coordinator at the top of the issue. You can use Markdown: "
                "**bold**, *italic*, [a link](https://example.org), and lists starting with -."
            ),
        }
        widgets = {"intro": forms.Textarea(attrs={"rows": 8})}
        error_messages = {
            "subject": {
                "required": _("Enter a subject line."),
                "max_length": _("Keep the subject line to %(limit_value)d characters or fewer."),
            },
            "intro": {
                "max_length": _("Keep the introduction to %(limit_value)d characters or fewer.")
            },
        }

    def clean_subject(self):
        subject = " ".join(_no_control_characters(self.cleaned_data["subject"]).split())
        if not subject:
            raise forms.ValidationError(_("Enter a subject line."))
        return subject


class ItemForm(_CleanText, forms.ModelForm):
    """The words of one item (its link and where it came from stay as they were)."""

    class Meta:
        model = IssueItem
        fields = ["title", "summary"]
        labels = {"title": _("Title"), "summary": _("Summary")}
        help_texts = {"summary": _("One or two sentences. Plain text.")}
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "title": {
                "required": _("Enter a title."),
                "max_length": _("Keep the title to %(limit_value)d characters or fewer."),
            },
            "summary": {
                "max_length": _("Keep the summary to %(limit_value)d characters or fewer.")
            },
        }

    def clean_title(self):
        title = " ".join(_no_control_characters(self.cleaned_data["title"]).split())
        if not title:
            raise forms.ValidationError(_("Enter a title."))
        return title


class CustomItemForm(ItemForm):
    """An item the coordinator writes: a notice, a link to something outside the network."""

    url = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("A full web address starting with https://, if there is one."),
        error_messages={"invalid": _("Enter a web address like https://example.org/page.")},
    )

    class Meta(ItemForm.Meta):
        fields = ["section", "title", "summary", "url"]
        labels = {**ItemForm.Meta.labels, "section": _("Section")}
        error_messages = {
            **ItemForm.Meta.error_messages,
            "section": {
                "required": _("Choose a section."),
                "invalid_choice": _("Choose one of the sections shown."),
            },
        }
        widgets = {**ItemForm.Meta.widgets, "section": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = Section.choices


class ScheduleForm(forms.Form):
    """When to send: a date and a time in UK time, in the future."""

    send_at = forms.DateTimeField(
        label=_("Send at (UK time)"),
        help_text=_("For example, 3 December at 9am."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={
            "required": _("Enter the date and time to send the issue."),
            "invalid": _("Enter a real date and time, like 2026-12-03 09:00."),
        },
    )

    def clean_send_at(self):
        value: datetime = self.cleaned_data["send_at"]
        value = value.replace(tzinfo=LONDON) if timezone.is_naive(value) else value
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a date and time in the future."))
        return value
