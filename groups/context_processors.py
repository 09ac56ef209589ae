"""``groups_unread``: the signed-in member's count of unread group notifications, for the
header (one small indexed query, only for signed-in people)."""

from core.permissions import is_member


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not is_member(user):
        return {}

    def count():
        from groups.selectors import unread_count

        return unread_count(user)

    from django.utils.functional import SimpleLazyObject

    return {"groups_unread": SimpleLazyObject(count)}
