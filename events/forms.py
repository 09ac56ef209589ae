"""Forms for events: each validates what a person typed and says plainly what is wrong."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import geo
from core.permissions import is_coordinator
from events.models import (
    DEFAULT_TIME_ZONE,
    Event,
    EventFormat,
    EventKind,
    EventVisibility,
    Series,
)
from events.selectors import EventFilters
from events.services import SessionTimes

MAX_SESSIONS = 12


def _any(label):
    return [("", label)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


# --- Finding events -------------------------------------------------------------------------


class EventFilterForm(forms.Form):
    """The filters above the events list and month view (sent with GET)."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Type of event"), required=False)
    format = forms.ChoiceField(label=_("Online or in person"), required=False)
    region = forms.ChoiceField(label=_("Nation or region"), required=False)
    series = forms.ChoiceField(label=_("Series or group"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args, regions=(), series=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _any(_("Any type")) + list(EventKind.choices)
        self.fields["format"].choices = _any(_("Either")) + [
            (EventFormat.ONLINE, _("Online")),
            (EventFormat.IN_PERSON, _("In person")),
        ]
        self.fields["region"].choices = _any(_("Anywhere")) + [(r.slug, r.name) for r in regions]
        self.fields["series"].choices = _any(_("Any")) + [(s.slug, s.title) for s in series]
        if not series:
            del self.fields["series"]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must be the same as or after the start."))
        return data

    def filters(self) -> EventFilters:
        """The valid filters (an invalid one is simply not applied)."""
        self.is_valid()  # fields with an error drop out of cleaned_data
        data = getattr(self, "cleaned_data", {})
        return EventFilters(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            format=data.get("format") or "",
            region=data.get("region") or "",
            series=data.get("series") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# --- Registration ---------------------------------------------------------------------------


class RegistrationForm(forms.Form):
    """Asks for a place. Visitors give a name and email; everyone may tell us about access
    needs, and answer the organiser's question if there is one."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_(
            "We will send a link to confirm your place. The organiser and the network's "
            "coordinators will see your email address so they can contact you about this "
            "event. We use it only for this event."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    access_needs = forms.CharField(
        label=_("Is there anything we can do to make it easier for you to take part?"),
        help_text=_(
            "For example captions, a sign language interpreter, step-free access, large print "
            "or a quiet space. Only the organisers see this."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    answer = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, event: Event, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_authenticated:
            del self.fields["name"]
            del self.fields["email"]
        if event.registration_question:
            self.fields["answer"].label = event.registration_question
        else:
            del self.fields["answer"]


# --- Creating and editing events ------------------------------------------------------------

TIME_ZONE_CHOICES = [(DEFAULT_TIME_ZONE, _("UK time (Europe/London)"))] + [
    (name, name.replace("_", " "))
    for name in sorted(available_timezones())
    if "/" in name
    and not name.startswith(("Etc/", "SystemV/", "US/"))
    and name != DEFAULT_TIME_ZONE
]

REPEAT_CHOICES = [
    ("7", _("Every week")),
    ("14", _("Every two weeks")),
    ("28", _("Every four weeks")),
]


def _formfield(field, **kwargs):
    # Links typed without a scheme are taken to be https (Django 6's default).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class EventForm(forms.ModelForm):
    """Create or change an event. A new event asks for the first session and how many
    sessions there are; changing an event shows each session's date and times."""

    MEMBER_KINDS = (EventKind.MEMBER_EVENT, EventKind.EXTERNAL)

    class Meta:
        model = Event
        formfield_callback = _formfield
        fields = [
            "kind",
            "title",
            "summary",
            "description",
            "visibility",
            "format",
            "time_zone",
            "join_url",
            "venue_name",
            "venue_address",
            "venue_postcode",
            "venue_accessibility",
            "region",
            "capacity",
            "registration_question",
            "external_url",
            "host_organisation",
            "series",
            "recording_url",
            "slides_url",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "visibility": forms.RadioSelect,
            "format": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 2}),
            "venue_address": forms.Textarea(attrs={"rows": 3}),
            "venue_accessibility": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, user, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        coordinator = is_coordinator(user)
        creating = self.instance.pk is None
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial=DEFAULT_TIME_ZONE
        )
        if not coordinator:
            self.fields["kind"].choices = [
                c for c in EventKind.choices if c[0] in self.MEMBER_KINDS
            ]
            self.fields["visibility"].choices = [
                c for c in EventVisibility.choices if c[0] != EventVisibility.INVITED
            ]
            del self.fields["series"]
        else:
            self.fields["series"].queryset = Series.objects.order_by("title")
            self.fields["invitees"] = forms.CharField(
                label=_("Invited people"),
                help_text=_(
                    "For an event only some people may see: their email addresses, one a line."
                ),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            if not creating:
                self.fields["invitees"].initial = "\n".join(
                    self.instance.invitees.order_by("email").values_list("email", flat=True)
                )
        if organisations is not None:
            self.fields["host_organisation"].queryset = organisations
        self.fields["host_organisation"].help_text = _(
            "The member organisation running it, if any."
        )
        if creating:
            del self.fields["recording_url"]
            del self.fields["slides_url"]
            self.fields["date"] = forms.DateField(
                label=_("Date of the first session"), widget=DateInput
            )
            self.fields["start_time"] = forms.TimeField(label=_("Start time"), widget=TimeInput)
            self.fields["end_time"] = forms.TimeField(label=_("End time"), widget=TimeInput)
            self.fields["session_count"] = forms.IntegerField(
                label=_("Number of sessions"),
                help_text=_("More than one for a course or series that people join once."),
                min_value=1,
                max_value=MAX_SESSIONS,
                initial=1,
            )
            self.fields["repeat_every"] = forms.ChoiceField(
                label=_("How often the sessions are"),
                help_text=_("Only matters for more than one session."),
                choices=REPEAT_CHOICES,
                required=False,
                initial="7",
                widget=forms.RadioSelect,
            )
        else:
            sessions = list(self.instance.sessions.all())
            self.session_numbers = [s.number for s in sessions]
            for session in sessions:
                local_start = session.starts_at.astimezone(self.instance.tz)
                local_end = session.ends_at.astimezone(self.instance.tz)
                prefix = f"session_{session.number}"
                label = (
                    _("Session %(number)s: ") % {"number": session.number}
                    if len(sessions) > 1
                    else ""
                )
                self.fields[f"{prefix}_date"] = forms.DateField(
                    label=f"{label}{_('Date')}", widget=DateInput, initial=local_start.date()
                )
                self.fields[f"{prefix}_start"] = forms.TimeField(
                    label=f"{label}{_('Start time')}",
                    widget=TimeInput,
                    initial=local_start.time(),
                )
                self.fields[f"{prefix}_end"] = forms.TimeField(
                    label=f"{label}{_('End time')}", widget=TimeInput, initial=local_end.time()
                )
        self.order_fields(self._field_order(creating))

    def _field_order(self, creating):
        when = (
            ["date", "start_time", "end_time", "session_count", "repeat_every"]
            if creating
            else [
                f"session_{n}_{part}"
                for n in self.session_numbers
                for part in ("date", "start", "end")
            ]
        )
        return [
            "kind",
            "title",
            "summary",
            "description",
            *when,
            "time_zone",
            "format",
            "join_url",
            "venue_name",
            "venue_address",
            "venue_postcode",
            "venue_accessibility",
            "region",
            "visibility",
            "invitees",
            "capacity",
            "registration_question",
            "external_url",
            "host_organisation",
            "series",
            "recording_url",
            "slides_url",
        ]

    def clean_venue_postcode(self):
        value = self.cleaned_data.get("venue_postcode", "")
        if not value:
            return ""
        try:
            return geo.normalise_postcode(value)
        except geo.PostcodeError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_invitees(self):
        from members.models import User

        text = self.cleaned_data.get("invitees", "")
        emails = {e.strip().lower() for e in text.replace(",", "\n").split() if e.strip()}
        users = list(User.objects.filter(email__in=emails, is_active=True))
        unknown = emails - {u.email for u in users}
        if unknown:
            raise ValidationError(
                _("These addresses do not belong to any member: %(emails)s")
                % {"emails": ", ".join(sorted(unknown))}
            )
        return users

    def _combine(self, day: date, at: time) -> datetime:
        tz = ZoneInfo(self.cleaned_data.get("time_zone") or DEFAULT_TIME_ZONE)
        return datetime.combine(day, at, tzinfo=tz)

    def clean(self):
        data = super().clean()
        sessions = []
        if self.instance.pk is None:
            day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
            if day and start and end:
                if end <= start:
                    self.add_error("end_time", _("The end time must be after the start time."))
                else:
                    step = timedelta(days=int(data.get("repeat_every") or 7))
                    for i in range(data.get("session_count") or 1):
                        sessions.append(
                            SessionTimes(
                                self._combine(day + i * step, start),
                                self._combine(day + i * step, end),
                            )
                        )
        else:
            for n in self.session_numbers:
                day = data.get(f"session_{n}_date")
                start, end = data.get(f"session_{n}_start"), data.get(f"session_{n}_end")
                if day and start and end:
                    if end <= start:
                        self.add_error(
                            f"session_{n}_end", _("The end time must be after the start time.")
                        )
                    else:
                        sessions.append(
                            SessionTimes(self._combine(day, start), self._combine(day, end))
                        )
        self.sessions = sessions
        fmt = data.get("format")
        if fmt in (EventFormat.IN_PERSON, EventFormat.HYBRID) and not (
            data.get("venue_name") or data.get("venue_address")
        ):
            self.add_error("venue_name", _("Enter where the event is, or choose online."))
        if data.get("kind") == EventKind.EXTERNAL and not data.get("external_url"):
            self.add_error(
                "external_url", _("Enter the organiser's web page, where people can book.")
            )
        return data

    def service_fields(self) -> dict:
        """The cleaned model fields, for ``event_create`` and ``event_update``."""
        names = [n for n in self._meta.fields if n in self.fields]
        return {name: self.cleaned_data[name] for name in names}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("We send this to the person who submitted the event."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CancelEventForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        help_text=_("We send this to everyone who registered."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- After the event ------------------------------------------------------------------------


class AttendanceForm(forms.Form):
    attended = forms.MultipleChoiceField(
        label=_("Who came"),
        help_text=_("Tick everyone who took part."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(str(r.pk), r.name) for r in registrations]

    def attended_ids(self) -> set[int]:
        return {int(pk) for pk in self.cleaned_data["attended"]}


RATING_CHOICES = [
    ("5", _("5 – very good")),
    ("4", _("4 – good")),
    ("3", _("3 – all right")),
    ("2", _("2 – poor")),
    ("1", _("1 – very poor")),
]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was it?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell the organisers?"),
        help_text=_("One line is plenty."),
        required=False,
        max_length=500,
    )


# --- Get-together tools ---------------------------------------------------------------------


class PromptsForm(forms.Form):
    prompts = forms.CharField(
        label=_("Conversation prompts"),
        help_text=_("One prompt a line. The host shows them at get-togethers."),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    def texts(self) -> list[str]:
        return self.cleaned_data["prompts"].splitlines()


PAIR_ROWS = 3


class BreakoutForm(forms.Form):
    """The breakout planner's settings: room size, rounds, sessions and people to keep
    together or apart (up to three pairs of each)."""

    room_size = forms.IntegerField(
        label=_("People in each room"),
        help_text=_("Rooms are made as even as possible and never bigger than this."),
        min_value=2,
        max_value=20,
        initial=4,
    )
    rounds = forms.IntegerField(
        label=_("Rounds in each session"),
        help_text=_("How many times people move to a new room during a session."),
        min_value=1,
        max_value=6,
        initial=1,
    )
    sessions = forms.MultipleChoiceField(
        label=_("Sessions to plan"),
        help_text=_("Plan all the sessions of a series at once to give the most new meetings."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, people, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].choices = [(str(s.pk), s.label) for s in sessions]
        self.fields["sessions"].initial = [str(s.pk) for s in sessions]
        if len(sessions) == 1:
            self.fields["sessions"].widget = forms.MultipleHiddenInput()
        choices = [("", _("Nobody"))] + [(str(r.pk), r.name) for r in people]
        for kind, label in (
            ("together", _("Keep together, pair %(n)s")),
            ("apart", _("Keep apart, pair %(n)s")),
        ):
            for n in range(1, PAIR_ROWS + 1):
                for side in ("a", "b"):
                    self.fields[f"{kind}_{n}_{side}"] = forms.ChoiceField(
                        label=(label % {"n": n})
                        + " – "
                        + (_("first person") if side == "a" else _("second person")),
                        choices=choices,
                        required=False,
                    )

    def pairs(self, kind: str) -> list[tuple[int, int]]:
        pairs = []
        for n in range(1, PAIR_ROWS + 1):
            a = self.cleaned_data.get(f"{kind}_{n}_a")
            b = self.cleaned_data.get(f"{kind}_{n}_b")
            if a and b and a != b:
                pairs.append((int(a), int(b)))
        return pairs

    def clean(self):
        data = super().clean()
        for kind in ("together", "apart"):
            for n in range(1, PAIR_ROWS + 1):
                a, b = data.get(f"{kind}_{n}_a"), data.get(f"{kind}_{n}_b")
                if bool(a) != bool(b):
                    self.add_error(
                        f"{kind}_{n}_b" if a else f"{kind}_{n}_a", _("Choose both people.")
                    )
                elif a and a == b:
                    self.add_error(f"{kind}_{n}_b", _("Choose two different people."))
        clash = (
            set(map(frozenset, self.pairs("together"))) & set(map(frozenset, self.pairs("apart")))
            if not self.errors
            else set()
        )
        if clash:
            raise ValidationError(_("The same two people cannot be kept both together and apart."))
        return data

    def session_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["sessions"]]
