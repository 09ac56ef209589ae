"""The newsletter archive as an RSS feed: one entry per sent issue, linking to its public page."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from newsletter.rendering import sections_of
from newsletter.selectors import archive as selectors


class IssuesFeed(Feed):
    link = reverse_lazy("newsletter:archive")
    description = _("Each fortnightly newsletter of the network, as it was sent.")

    def title(self):
        return _("Newsletter – %(site)s") % {"site": settings.SITE_NAME}

    def items(self):
        return selectors.feed_issues()

    def item_title(self, item):
        return f"#{item.number}: {item.subject}"

    def item_description(self, item):
        parts = []
        for _key, heading, items in sections_of(list(item.items.all())):
            parts.append(f"{heading}: " + "; ".join(i.title for i in items))
        return "\n".join(parts)

    def item_pubdate(self, item):
        return item.sent_at

    def item_link(self, item):
        return item.get_absolute_url()
