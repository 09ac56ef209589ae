"""The emails groups send: one for a post, one digest. Each carries a one-click unsubscribe
from its own stream (RFC 8058 ``List-Unsubscribe`` headers and a link in the body); a post's
email can be answered, through a signed address for that person and thread."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.html import escape

from core.email import absolute_url, build_email
from core.markdown import render_markdown
from groups.services import MENTIONS_STREAM, REPLY_ABOVE, reply_address, unsubscribe_token


def _unsubscribe(user_pk: int, stream: str) -> tuple[str, dict]:
    url = absolute_url(
        reverse("groups:unsubscribe", kwargs={"token": unsubscribe_token(user_pk, stream)})
    )
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return url, headers


def post_email(*, user, post, thread, stream: str, mentioned: dict | None = None):
    """The email about one new post. ``mentioned`` (``services.mention_people``) links each
    @mention whose page ``user`` may see, so the caller can look the names up once."""
    from groups.services import mention_links, mention_people, render_post

    url, headers = _unsubscribe(user.pk, stream)
    is_reply = post is not thread
    if mentioned is None:
        mentioned = mention_people([post.body])
    context = {
        "recipient_name": user.get_short_name(),
        "author_name": str(post.author) if post.author_id else "",
        "group_name": thread.group.name,
        "thread_title": thread.title,
        "is_reply": is_reply,
        "body_text": post.body,
        "body_html": render_post(
            post.body, mention_links(user, mentioned, absolute=True), post.body_html
        ),
        "post_url": absolute_url(post.get_absolute_url()),
        "unsubscribe_url": url,
        "is_mention_stream": stream == MENTIONS_STREAM,
        "reply_above": REPLY_ABOVE,
    }
    return build_email(
        to=user.email,
        template="groups_post",
        context=context,
        headers=headers,
        reply_to=[reply_address(user.pk, thread.pk)],
    )


def _digest_thread(item) -> dict:
    """A digest's view of one thread, built once and kept on the ``DigestThread``: the
    items of a batch of digests are shared, so each post's Markdown is rendered once however
    many people's digests include it."""
    cached = item.__dict__.get("_email")
    if cached is not None:
        return cached
    from groups.selectors import SHORT_POST_CHARS

    posts = ([item.thread] if item.is_new else []) + list(item.replies)
    item._email = {
        "title": item.thread.title,
        "url": absolute_url(item.thread.get_absolute_url()),
        "is_new": item.is_new,
        "more_replies": item.more_replies,
        "posts": [
            {
                "author": str(p.author) if p.author_id else "",
                "text": p.body if len(p.body) <= SHORT_POST_CHARS else "",
                "html": render_markdown(p.body) if len(p.body) <= SHORT_POST_CHARS else "",
                "excerpt": p.body[:SHORT_POST_CHARS].rsplit(" ", 1)[0] + "…"
                if len(p.body) > SHORT_POST_CHARS
                else "",
                "url": absolute_url(p.get_absolute_url()),
            }
            for p in posts
        ],
    }
    return item._email


# Stand-ins for what differs between two people's digests of the same news (a mail merge):
# private-use characters, which neither escaping nor the templates change.
_NAME, _URL, _GROUP_URL = "\ue000name\ue001", "\ue000url\ue001", "\ue000group{}\ue001"


def _digest_message(digest, *, to, name, url, group_urls, headers):
    groups = [
        {
            "name": entry.group.name,
            "url": absolute_url(entry.group.get_absolute_url()),
            "threads": [_digest_thread(item) for item in entry.threads],
            "unsubscribe_url": group_url,
        }
        for entry, group_url in zip(digest.groups, group_urls, strict=True)
    ]
    context = {
        "recipient_name": name,
        "is_daily": digest.frequency == "daily",
        "groups": groups,
        "settings_url": absolute_url(reverse("groups:settings")),
        "unsubscribe_url": url,
    }
    return build_email(to=to, template="groups_digest", context=context, headers=headers)


def digest_email(digest, *, merged: dict | None = None):
    """The digest email. ``merged``, a dict kept through one batch of digests, lets people
    whose digests hold the same news share one rendering, with only their name and their
    unsubscribe links put in (the same message as rendering each one afresh)."""
    user = digest.user
    # The digest is its own stream: one click stops this digest (every group sending it);
    # each group's section also has its own link.
    url, headers = _unsubscribe(user.pk, f"digest:{digest.frequency}")
    group_urls = [
        absolute_url(
            reverse(
                "groups:unsubscribe",
                kwargs={"token": unsubscribe_token(user.pk, f"group:{entry.group.pk}")},
            )
        )
        for entry in digest.groups
    ]
    name = user.get_short_name()
    if merged is None:
        return _digest_message(
            digest, to=user.email, name=name, url=url, group_urls=group_urls, headers=headers
        )
    key = (
        digest.frequency,
        tuple((e.group.pk, tuple(i.thread.pk for i in e.threads)) for e in digest.groups),
    )
    if key not in merged:
        merged[key] = _digest_message(
            digest, to=[], name=_NAME, url=_URL, headers={},
            group_urls=[_GROUP_URL.format(n) for n in range(len(digest.groups))],
        )  # fmt: skip
    shared = merged[key]

    def fill(content: str, as_html: bool) -> str:
        put = escape if as_html else str
        content = content.replace(_NAME, put(name)).replace(_URL, put(url))
        for n, group_url in enumerate(group_urls):
            content = content.replace(_GROUP_URL.format(n), put(group_url))
        return content

    message = EmailMultiAlternatives(
        subject=shared.subject,
        body=fill(shared.body, False),
        from_email=shared.from_email,
        to=[user.email],
        headers=headers,
    )
    for content, mimetype in shared.alternatives:
        message.attach_alternative(fill(content, True), mimetype)
    return message
