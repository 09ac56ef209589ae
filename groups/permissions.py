"""Who may see and do what in groups. Built on ``core.permissions``; every view asks here.

* Groups are for members of the network: visitors see none of them.
* Open and closed groups are listed; a closed group's threads are for its members only.
* Private groups are not listed and answer 404 to anyone who is neither a member nor invited.
* Coordinators see every group (they moderate); hosts moderate their own group.
"""

from __future__ import annotations

from django.http import Http404

from core.permissions import is_coordinator, is_member
from groups.models import Group, GroupKind, Membership, MembershipRole, MembershipStatus


def membership_for(user, group: Group) -> Membership | None:
    """The person's membership row (any status), cached per request on the group object."""
    if not user.is_authenticated:
        return None
    cache = group.__dict__.setdefault("_membership_cache", {})
    if user.pk not in cache:
        cache[user.pk] = Membership.objects.filter(group=group, user=user).first()
    return cache[user.pk]


def is_group_member(user, group: Group) -> bool:
    if not is_member(user):
        return False
    if group.is_network_wide:
        return True
    m = membership_for(user, group)
    return bool(m and m.status == MembershipStatus.ACTIVE)


def is_host(user, group: Group) -> bool:
    m = membership_for(user, group) if is_member(user) else None
    return bool(m and m.status == MembershipStatus.ACTIVE and m.role == MembershipRole.HOST)


def can_moderate(user, group: Group) -> bool:
    return is_coordinator(user) or is_host(user, group)


def can_see_group(user, group: Group) -> bool:
    """Sees that the group exists (its name and purpose)."""
    if not is_member(user):
        return False
    if group.kind != GroupKind.PRIVATE or is_coordinator(user):
        return True
    return membership_for(user, group) is not None


def can_read(user, group: Group) -> bool:
    """Reads the group's threads."""
    if is_coordinator(user):
        return True
    if group.kind == GroupKind.OPEN or group.is_network_wide:
        return is_member(user)
    return is_group_member(user, group)


def can_post(user, group: Group) -> bool:
    return is_group_member(user, group)


def can_see_post(user, post, group: Group) -> bool:
    """Hidden and held posts are seen by moderators and (held only) by their author."""
    if not (post.is_hidden or post.is_held):
        return True
    if can_moderate(user, group):
        return True
    return post.is_held and not post.is_hidden and post.author_id == user.pk


def can_edit_post(user, post) -> bool:
    return user.is_authenticated and post.author_id == user.pk


def access_group(user, group: Group) -> Group:
    """Raise 404 unless ``user`` may know the group exists."""
    if not can_see_group(user, group):
        raise Http404
    return group


def access_thread(user, thread) -> None:
    """Raise 404 unless ``user`` may read ``thread``."""
    if not can_read(user, thread.group) or not can_see_post(user, thread, thread.group):
        raise Http404
