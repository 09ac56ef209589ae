from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core.permissions import Role, is_coordinator, is_member, role_for


def site(request):
    """The site's name and the viewer's standing, on every page. ``is_member`` and
    ``is_coordinator`` come from the user row already loaded; ``role`` (which tells an
    organisation admin apart, one query) is worked out only by a page that shows it."""
    user = getattr(request, "user", None)
    if user is None:
        role, member, coordinator = Role.VISITOR, False, False
    else:
        member, coordinator = is_member(user), is_coordinator(user)
        role = SimpleLazyObject(lambda: role_for(user))
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_DESCRIPTION": settings.SITE_DESCRIPTION,
        "role": role,
        "Role": Role,
        "is_member": member,
        "is_coordinator": coordinator,
    }
