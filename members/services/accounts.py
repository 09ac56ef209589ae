"""Writes about accounts and organisations. Each function is one transaction."""

from django.db import transaction

from core.audit import audit_log
from members.models import MembershipStatus, User
from newsletter.services.subscribers import member_subscription_start


@transaction.atomic
def user_update_profile(*, user: User, full_name: str) -> User:
    """Change the name a person is known by on the site."""
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    return user


@transaction.atomic
def user_set_status(*, actor: User, user: User, status: str) -> User:
    """A coordinator changes someone's membership status (recorded in the audit log)."""
    if status not in MembershipStatus.values:
        raise ValueError(f"Unknown membership status {status!r}")
    previous = user.status
    user.status = status
    user.save(update_fields=["status"])
    if status == MembershipStatus.ACTIVE:
        member_subscription_start(user=user)
    audit_log(
        actor=actor, action="members.user.status", target=user, previous=previous, status=status
    )
    return user
