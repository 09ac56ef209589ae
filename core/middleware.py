from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.permissions import is_coordinator


class CoordinatorTwoFactorMiddleware:
    """When ``REQUIRE_2FA_FOR_COORDINATORS`` is on, a coordinator without an authenticator app
    is sent to set one up before they can use any page but the account pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.REQUIRE_2FA_FOR_COORDINATORS and is_coordinator(request.user):
            path = request.path
            # Every method counts: a POST must not slip past the requirement either.
            exempt = path.startswith(("/accounts/", settings.STATIC_URL, "/healthz"))
            if not exempt and not _has_totp(request.user):
                messages.warning(
                    request,
                    _("Coordinators must turn on two-factor authentication before continuing."),
                )
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
