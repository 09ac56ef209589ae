"""The audit log: one call records a sensitive action (approve, reject, export, hide...)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry


def audit_log(*, actor, action: str, target=None, **data) -> AuditEntry:
    """Record that ``actor`` did ``action`` (a dotted code) to ``target``, with any details."""
    entry = AuditEntry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        data=data,
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        # What coordinators read in the audit log: a person without a name by their address.
        label = target.audit_label() if hasattr(target, "audit_label") else str(target)
        entry.target_label = label[:255]
    entry.save()
    return entry


# --- Reading the log ------------------------------------------------------------------------
# Coordinators read "Application approved", not "members.application.approve": an action's
# code is "<app>.<thing>.<verb>", and each thing and verb has words of its own.

_THINGS = {
    "application": _("Application"),
    "attendance": _("Attendance"),
    "attendees": _("Attendee list"),
    "audience": _("Audience"),
    "breakouts": _("Breakout rooms"),
    "category": _("Category"),
    "cohort": _("Cohort"),
    "collaboration": _("Collaboration"),
    "directory": _("Directory"),
    "event": _("Event"),
    "feedback": _("Feedback"),
    "focusarea": _("Focus area"),
    "group": _("Group"),
    "invitation": _("Invitation"),
    "issue": _("Newsletter issue"),
    "join_request": _("Request to join"),
    "member": _("Group member"),
    "organisation": _("Organisation"),
    "person": _("Profile"),
    "prompts": _("Conversation prompts"),
    "region": _("Nation or region"),
    "reply": _("Reply"),
    "report": _("Report"),
    "resource": _("Resource"),
    "series": _("Series"),
    "theme": _("Theme"),
    "thread": _("Thread"),
    "user": _("Member"),
}
_DONE = {
    "approve": _("approved"),
    "cancel": _("cancelled"),
    "change": _("changed"),
    "confirm": _("details confirmed"),
    "confirm_request": _("asked to confirm its details"),
    "create": _("created"),
    "decline": _("declined"),
    "delete": _("deleted"),
    "dismiss": _("dismissed"),
    "export": _("exported"),
    "hide": _("hidden"),
    "invite": _("invited"),
    "invite_email": _("invited by email"),
    "leave": _("left"),
    "lock": _("locked"),
    "logo": _("logo changed"),
    "logo_removed": _("logo removed"),
    "move": _("moved"),
    "photo": _("photo changed"),
    "photo_removed": _("photo removed"),
    "pin": _("pinned"),
    "plan": _("planned"),
    "publish": _("published"),
    "record": _("recorded"),
    "reject": _("turned down"),
    "remove": _("removed"),
    "replace": _("replaced"),
    "request": _("requested"),
    "resolve": _("resolved"),
    "restore": _("restored"),
    "role": _("role changed"),
    "schedule": _("scheduled"),
    "send": _("sent"),
    "share_learning": _("learning shared"),
    "status": _("status changed"),
    "unlock": _("unlocked"),
    "unpin": _("unpinned"),
    "unschedule": _("unscheduled"),
    "update": _("edited"),
    "withdraw": _("withdrawn"),
}
_DETAIL_KEYS = {
    "fields": _("What changed"),
    "previous": _("Before"),
    "status": _("Now"),
    "reason": _("Reason"),
    "person": _("Person"),
    "role": _("Role"),
    "email": _("Email address"),
    "applicant": _("Applicant"),
    "organisation": _("Organisation"),
    "organisations": _("Organisations"),
    "kind": _("Kind"),
    "name": _("Name"),
}


def action_label(action: str) -> str:
    """Words for an action's code ("members.application.approve" → "Application approved");
    a code it has no words for is shown as it is."""
    parts = action.split(".")
    if len(parts) == 3 and parts[1] in _THINGS and parts[2] in _DONE:
        return gettext("%(thing)s %(done)s") % {
            "thing": _THINGS[parts[1]],
            "done": _DONE[parts[2]],
        }
    return action


def _words(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_words(item) for item in value)
    if isinstance(value, str) and value.isidentifier():  # a field's name: "focus_areas"
        return value.replace("_", " ")
    return "" if value is None else str(value)


def entry_details(entry: AuditEntry) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs a person can read, in the same order on
    every database (PostgreSQL's jsonb does not keep the order they were written in): the
    known ones in ``_DETAIL_KEYS``'s order ("Before" ahead of "Now"), then the rest by name."""
    known = list(_DETAIL_KEYS)
    data = entry.data or {}
    order = sorted(data, key=lambda k: (known.index(k) if k in known else len(known), k))
    return [
        (str(_DETAIL_KEYS.get(key, key.replace("_", " ").capitalize())), _words(data[key]))
        for key in order
    ]
