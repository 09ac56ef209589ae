"""The newsletter's routes, one module per area (each owned by its part of the app)."""

from newsletter import urls_archive, urls_issues, urls_sending, urls_subscribers

app_name = "newsletter"

urlpatterns = [
    *urls_subscribers.urlpatterns,
    *urls_issues.urlpatterns,
    *urls_sending.urlpatterns,
    *urls_archive.urlpatterns,  # last: it has the catch-all /newsletter/<number>/
]
