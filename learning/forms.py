"""The library's search form (the same interface as the directory's) and the forms members and
coordinators fill in."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import FilterFormMixin, TermsField
from events.models import Event, EventStatus
from learning.files import validate_resource_file
from learning.models import (
    Licence,
    ReportReason,
    ResourceKind,
    ResourceVisibility,
    Theme,
)
from members.models import AffiliationStatus, Audience, FocusArea, Organisation

SORT_CHOICES = [
    ("", _("Best match, then newest")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("title", _("Title, A to Z")),
]
DATE_CHOICES = [
    ("", _("Any time")),
    ("month", _("In the last month")),
    ("year", _("In the last year")),
    ("3years", _("In the last 3 years")),
]


class EventField(forms.ModelChoiceField):
    """A choice of event; an id too big for the database is refused like any unknown choice
    (SQLite would otherwise raise OverflowError: a server error)."""

    def to_python(self, value):
        try:
            number = int(str(value)) if value not in self.empty_values else None
        except ValueError:
            number = None
        if number is not None and not -(2**63) <= number < 2**63:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class LibraryFilterForm(FilterFormMixin, forms.Form):
    """Search words, filters and sorting, read from the query string (a GET form). A bad value
    is dropped with a message beside its field, never fatal."""

    template_name = "learning/_partials/filter_fields.html"

    q = forms.CharField(
        label=_("Search by title or what it covers"),
        required=False,
        max_length=200,
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *ResourceKind.choices]
    )
    theme = forms.ChoiceField(label=_("Key for connection"), required=False)
    focus = forms.ChoiceField(label=_("Focus"), required=False)
    audience = forms.ChoiceField(label=_("Who it is for"), required=False)
    date = forms.ChoiceField(label=_("Date"), required=False, choices=DATE_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, data, *, terms):
        super().__init__(data)
        for name, values, any_label in (
            ("theme", terms.themes, _("Any key")),
            ("focus", terms.focus_areas, _("Any focus")),
            ("audience", terms.audiences, _("Anyone")),
        ):
            self.fields[name].choices = [("", any_label), *((t.slug, t.name) for t in values)]
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = _("Choose one of the options in the list.")
        self.fields["q"].error_messages["max_length"] = _("Search for at most 200 characters.")

    def valid_filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value and name not in self.errors
        }


# The form's fields that are the resource's own columns, and its tag lists.
RESOURCE_TEXT_FIELDS = (
    "title",
    "kind",
    "summary",
    "body",
    "url",
    "tried",
    "happened",
    "learned",
    "licence",
    "visibility",
)
RESOURCE_TAG_FIELDS = ("themes", "focus_areas", "audiences", "organisations")


class ResourceForm(forms.Form):
    """What a member fills in to share a resource or a case study."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("What kind of resource is it?"), choices=ResourceKind.choices)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        help_text=_("One or two sentences that say what it is and who it helps."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    body = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        help_text=_("You can use Markdown for headings, lists and links."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    url = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Where it is on the web, if it is there, like https://example.org/guide."),
    )
    file = forms.FileField(
        label=_("Or upload a file"),
        required=False,
        help_text=_(
            "A PDF, Word, Excel, PowerPoint or OpenDocument file, or a picture. Up to 20 MB."
        ),
    )
    tried = forms.CharField(
        label=_("What did you try?"),
        required=False,
        max_length=5000,
        help_text=_("For a case study."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    happened = forms.CharField(
        label=_("What happened?"),
        required=False,
        max_length=5000,
        help_text=_("For a case study."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    learned = forms.CharField(
        label=_("What did you learn?"),
        required=False,
        max_length=5000,
        help_text=_("For a case study."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    themes = TermsField(
        label=_("Which keys for connection does it show?"),
        queryset=Theme.objects.all(),
        required=False,
    )
    focus_areas = TermsField(
        label=_("Focus areas"),
        queryset=FocusArea.objects.all(),
        required=False,
    )
    audiences = TermsField(
        label=_("Who is it for?"),
        queryset=Audience.objects.all(),
        required=False,
    )
    organisations = TermsField(
        label=_("Which organisation is it from?"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    event = EventField(
        label=_("Which event is it a recording of?"),
        queryset=Event.objects.none(),
        required=False,
        empty_label=_("Not a recording of one of our events"),
        help_text=_("For a recording: the event's page will show it."),
    )
    published_on = forms.DateField(
        label=_("Date"),
        required=False,
        help_text=_(
            "When it was written or recorded, for example 2025-03-27. Leave it blank for today."
        ),
    )
    licence = forms.ChoiceField(
        label=_("Licence"), choices=Licence.choices, initial=Licence.ALL_RIGHTS
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it?"),
        choices=ResourceVisibility.choices,
        initial=ResourceVisibility.MEMBERS,
        widget=forms.RadioSelect,
    )

    CASE_STUDY_FIELDS = ("tried", "happened", "learned")

    def __init__(self, *args, user, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_type = ""
        # Editing a resource that already has a file: keeping it counts as giving one.
        self.has_file = has_file
        if has_file:
            self.fields["remove_file"] = forms.BooleanField(
                label=_("Remove the current file"), required=False
            )
            self.fields["file"].label = _("Replace the file")
            order = [n for n in self.fields if n != "remove_file"]
            order.insert(order.index("file") + 1, "remove_file")
            self.order_fields(order)
        # Members share on behalf of their own organisations only.
        self.fields["organisations"].queryset = Organisation.objects.filter(
            memberships__user=user, memberships__status=AffiliationStatus.ACTIVE
        ).order_by("name", "id")
        if not self.fields["organisations"].queryset.exists():
            del self.fields["organisations"]
        # Published events of the last two years (a recording comes after its event).
        now = timezone.now()
        self.fields["event"].queryset = Event.objects.filter(
            status=EventStatus.PUBLISHED,
            starts_at__lt=now,
            starts_at__gte=now - datetime.timedelta(days=730),
        ).order_by("-starts_at", "-id")
        self.fields["title"].error_messages["required"] = _("Enter a title.")
        self.fields["summary"].error_messages["required"] = _("Enter a summary.")
        self.fields["file"].error_messages["empty"] = _("The file is empty. Choose another file.")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            self.content_type = validate_resource_file(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        keeps_file = self.has_file and not cleaned.get("remove_file")
        if cleaned.get("url") and (cleaned.get("file") or keeps_file):
            self.add_error(
                "file",
                _("Give a link or a file, not both.")
                if not keeps_file or cleaned.get("file")
                else _("Give a link or keep the file, not both: tick “Remove the current file”."),
            )
        if kind == ResourceKind.LINK and not cleaned.get("url") and "url" not in self.errors:
            self.add_error("url", _("Enter the link for an external link."))
        if cleaned.get("event") and kind != ResourceKind.RECORDING:
            self.add_error("event", _("Only a recording can belong to an event."))
        if kind == ResourceKind.CASE_STUDY:
            messages = {
                "tried": _("Say what you tried."),
                "happened": _("Say what happened."),
                "learned": _("Say what you learned."),
            }
            for name in self.CASE_STUDY_FIELDS:
                if not cleaned.get(name):
                    self.add_error(name, messages[name])
        elif (
            kind
            and not cleaned.get("url")
            and not cleaned.get("file")
            and not keeps_file
            and not cleaned.get("body")
            and not self.errors.get("file")
            and not self.errors.get("url")
        ):
            self.add_error("url", _("Give a link, upload a file or write a description."))
        return cleaned

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data.get(name)
            for name in (*RESOURCE_TEXT_FIELDS, *RESOURCE_TAG_FIELDS, "event")
        }
        if data["kind"] != ResourceKind.CASE_STUDY:
            for name in self.CASE_STUDY_FIELDS:
                data[name] = ""
        if self.cleaned_data.get("published_on"):
            data["published_on"] = self.cleaned_data["published_on"]
        data["organisations"] = data["organisations"] or []
        return data


def resource_initial(resource) -> dict:
    """The edit form's starting values from a resource (its tags already prefetched)."""
    initial = {name: getattr(resource, name) for name in RESOURCE_TEXT_FIELDS}
    initial["published_on"] = resource.published_on
    initial["event"] = resource.event_id
    for name in RESOURCE_TAG_FIELDS:
        initial[name] = [term.pk for term in getattr(resource, name).all()]
    return initial


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=ReportReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Tell us more"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("Choose what is wrong.")


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("What should they change?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ThemeForm(forms.ModelForm):
    """A coordinator edits one part of the learning framework."""

    class Meta:
        model = Theme
        fields = ["name", "summary", "explanation", "position"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "explanation": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {"position": _("Lower numbers come first.")}
