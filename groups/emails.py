"""The emails groups send: one for a post, one digest. Each carries a one-click unsubscribe
from its own stream (RFC 8058 ``List-Unsubscribe`` headers and a link in the body); a post's
email can be answered, through a signed address for that person and thread."""

from __future__ import annotations

from django.urls import reverse

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


def post_email(*, user, post, thread, stream: str):
    url, headers = _unsubscribe(user.pk, stream)
    is_reply = post is not thread
    context = {
        "recipient_name": user.get_short_name(),
        "author_name": str(post.author) if post.author_id else "",
        "group_name": thread.group.name,
        "thread_title": thread.title,
        "is_reply": is_reply,
        "body_text": post.body,
        "body_html": render_markdown(post.body),
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


def digest_email(digest):
    from groups.selectors import SHORT_POST_CHARS

    user = digest.user
    # The digest is its own stream: one click stops this digest (every group sending it);
    # each group's section also has its own link.
    url, headers = _unsubscribe(user.pk, f"digest:{digest.frequency}")
    groups = []
    for entry in digest.groups:
        threads = []
        for item in entry.threads:
            posts = ([item.thread] if item.is_new else []) + list(item.replies)
            threads.append(
                {
                    "title": item.thread.title,
                    "url": absolute_url(item.thread.get_absolute_url()),
                    "is_new": item.is_new,
                    "more_replies": item.more_replies,
                    "posts": [
                        {
                            "author": str(p.author) if p.author_id else "",
                            "text": p.body if len(p.body) <= SHORT_POST_CHARS else "",
                            "html": render_markdown(p.body)
                            if len(p.body) <= SHORT_POST_CHARS
                            else "",
                            "excerpt": p.body[:SHORT_POST_CHARS].rsplit(" ", 1)[0] + "…"
                            if len(p.body) > SHORT_POST_CHARS
                            else "",
                            "url": absolute_url(p.get_absolute_url()),
                        }
                        for p in posts
                    ],
                }
            )
        groups.append(
            {
                "name": entry.group.name,
                "url": absolute_url(entry.group.get_absolute_url()),
                "threads": threads,
                "unsubscribe_url": absolute_url(
                    reverse(
                        "groups:unsubscribe",
                        kwargs={"token": unsubscribe_token(user.pk, f"group:{entry.group.pk}")},
                    )
                ),
            }
        )
    context = {
        "recipient_name": user.get_short_name(),
        "is_daily": digest.frequency == "daily",
        "groups": groups,
        "settings_url": absolute_url(reverse("groups:settings")),
        "unsubscribe_url": url,
    }
    return build_email(to=user.email, template="groups_digest", context=context, headers=headers)
