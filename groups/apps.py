from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Groups and discussions")

    def ready(self):
        from anymail.signals import inbound

        from groups.inbound import handle_inbound
        from groups.selectors import register_search

        register_search()
        # anymail's inbound webhook views (mounted by config/urls.py) announce each message.
        inbound.connect(handle_inbound, dispatch_uid="groups.reply_by_email")
