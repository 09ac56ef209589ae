from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from members.selectors.directory import register_search

        register_search()

        from django.db.models.signals import post_migrate

        from members import cache

        post_migrate.connect(cache.install, sender=self, dispatch_uid="members.cache.install")
