"""The audit log: one call records a sensitive action (approve, reject, export, hide...)."""

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
