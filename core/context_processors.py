from django.conf import settings

from core.permissions import Role, role_for


def site(request):
    role = role_for(request.user) if hasattr(request, "user") else Role.VISITOR
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_DESCRIPTION": settings.SITE_DESCRIPTION,
        "role": role,
        "Role": Role,
        "is_member": role >= Role.MEMBER,
        "is_coordinator": role >= Role.COORDINATOR,
    }
