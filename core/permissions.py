"""Every permission check in one place.

Roles, from least to most trusted:

* visitor — anyone, signed in or not, without an active membership;
* member — a signed-in person whose membership is active;
* organisation admin — a member who administers at least one organisation;
* coordinator — the network's staff.

Views use the decorators and mixins below; templates get ``role`` from the context processor.
Helpers named ``can_*`` answer a question about one object and never raise.
"""

from __future__ import annotations

import enum
from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class Role(enum.IntEnum):
    VISITOR = 0
    MEMBER = 1
    ORG_ADMIN = 2
    COORDINATOR = 3

    @property
    def label(self) -> str:
        from django.utils.translation import gettext as _

        return {
            Role.VISITOR: _("Visitor"),
            Role.MEMBER: _("Member"),
            Role.ORG_ADMIN: _("Organisation admin"),
            Role.COORDINATOR: _("Coordinator"),
        }[self]


def is_coordinator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_coordinator)


def is_member(user) -> bool:
    """An active member of the network (coordinators always count)."""
    return bool(user.is_authenticated and (user.is_member or is_coordinator(user)))


def is_org_admin(user, organisation=None) -> bool:
    """Administers ``organisation`` (or any organisation when none is given)."""
    if not is_member(user):
        return False
    from members.models import OrganisationRole

    memberships = user.org_memberships.filter(role=OrganisationRole.ADMIN)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.exists()


def role_for(user) -> Role:
    """The highest role ``user`` holds; cached on the user object for the request."""
    cached = getattr(user, "_coalition_role", None)
    if cached is not None:
        return cached
    if is_coordinator(user):
        role = Role.COORDINATOR
    elif is_org_admin(user):
        role = Role.ORG_ADMIN
    elif is_member(user):
        role = Role.MEMBER
    else:
        role = Role.VISITOR
    if user.is_authenticated:
        user._coalition_role = role
    return role


def can_edit_organisation(user, organisation) -> bool:
    return is_coordinator(user) or is_org_admin(user, organisation)


def _require(test):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


login_required = _require(lambda user: True)
member_required = _require(is_member)
org_admin_required = _require(is_org_admin)
coordinator_required = _require(is_coordinator)


class RoleRequiredMixin(AccessMixin):
    """Class-based views: set ``required_role`` to a :class:`Role`."""

    required_role = Role.MEMBER

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if role_for(request.user) < self.required_role:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- joining: organisation admins manage their own organisation's people ---
def can_manage_members(user, organisation) -> bool:
    """Approves requests to join ``organisation`` and invites colleagues to it."""
    return is_coordinator(user) or is_org_admin(user, organisation)


manager_required = _require(lambda user: is_coordinator(user) or is_org_admin(user))
