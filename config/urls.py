from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("members.urls")),
    path("join/", include("members.urls_join")),
    path("coordinator/", include("members.urls_coordinator")),
    path("matching/", include("matching.urls")),
    path("events/", include("events.urls")),
    path("resources/", include("learning.urls")),
    path("groups/", include("groups.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("django-admin/", admin.site.urls),
    # Email providers' webhooks (inbound replies to group emails, later bounces).
    path("anymail/", include("anymail.urls")),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
