from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from learning import selectors


class NewResourcesFeed(Feed):
    """New public resources (members-only and unpublished ones never appear)."""

    link = reverse_lazy("learning:list")
    description = _("New guides, recordings, case studies and reports shared in the network.")

    def title(self):
        return _("New resources – %(site)s") % {"site": settings.SITE_NAME}

    def items(self):
        return selectors.feed_items()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [item.get_kind_display()]
