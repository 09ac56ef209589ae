from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self):
        from anymail.signals import inbound, tracking

        from newsletter import signals

        # anymail's webhook views (mounted by config/urls.py) announce each report and message.
        tracking.connect(signals.handle_tracking, dispatch_uid="newsletter.bounces")
        inbound.connect(signals.handle_inbound, dispatch_uid="newsletter.unsubscribe_by_email")
