"""The reply markup written by ``groups.rendering`` (the thread page's hot loop): what each
viewer sees on a reply, escaped, and the same on the page and in the htmx fragment."""

import pytest
from bs4 import BeautifulSoup

from groups import services
from groups.models import Reply, Thread
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def reply_item(response, reply) -> BeautifulSoup:
    soup = BeautifulSoup(response.content, "html.parser")
    item = soup.select_one(f"#reply-{reply.pk}")
    assert item is not None, f"reply {reply.pk} not on the page"
    return item


def actions(item) -> list[str]:
    return [" ".join(li.get_text(" ").split()) for li in item.select(".post__actions > li")]


@pytest.fixture
def setting():
    host = UserFactory(full_name="Hana Host")
    group = make_group(hosts=[host])
    author = make_member(group, UserFactory(full_name='Ann <script>alert("x")</script> Lee'))
    thread = make_thread(group, kind="question")
    first = services.reply_create(author=author, thread=thread, body="First **words**")
    second = services.reply_create(
        author=make_member(group), thread=thread, body="Agreed.", quoted=first
    )
    return host, group, author, thread, first, second


def test_a_member_sees_quote_and_report_links_labelled_with_whose_reply(client, setting):
    _host, group, author, thread, first, second = setting
    viewer = make_member(group)
    client.force_login(viewer)
    item = reply_item(client.get(thread.get_absolute_url()), first)
    # The author's name is text, never markup.
    meta = item.select_one(".post__meta strong")
    assert meta.get_text() == 'Ann <script>alert("x")</script> Lee'
    assert item.select("script") == []
    assert item.select_one(".prose strong").get_text() == "words"
    assert actions(item) == [
        'Quote the reply by Ann <script>alert("x")</script> Lee',
        'Report the reply by Ann <script>alert("x")</script> Lee',
    ]
    assert item.select_one(f'a[href="?quote={first.pk}#reply-form"]')
    report = item.select_one(f'a[hx-target="#report-reply-{first.pk}"]')
    assert report["href"] == report["hx-get"] == f"/groups/replies/{first.pk}/report/"
    assert item.select_one(f"#report-reply-{first.pk}.report-slot") is not None
    # No moderation or accepting for a plain member.
    assert item.select("form") == []
    # The quoting reply shows who wrote what it quotes.
    quote = reply_item(client.get(thread.get_absolute_url()), second).select_one("blockquote")
    assert "wrote:" in quote.get_text() and "First **words**" in quote.get_text()


def test_the_author_can_edit_and_the_asker_can_accept(client, setting):
    _host, _group, author, thread, first, _second = setting
    client.force_login(author)
    item = reply_item(client.get(thread.get_absolute_url()), first)
    assert item.select_one(f'a[href="/groups/replies/{first.pk}/edit/"]').get_text(" ").split() == [
        "Edit",
        "your",
        "reply",
    ]
    client.force_login(thread.author)
    item = reply_item(client.get(thread.get_absolute_url()), first)
    form = item.select_one(f'form[action="/groups/replies/{first.pk}/accept/"]')
    assert form["method"] == "post" and form.select_one("[name=csrfmiddlewaretoken]")["value"]
    assert client.post(form["action"]).status_code == 302
    item = reply_item(client.get(thread.get_absolute_url()), first)
    assert "post--accepted" in item["class"]
    assert item.select_one(".tag").get_text() == "Accepted answer"
    assert not item.select(f'form[action="/groups/replies/{first.pk}/accept/"]')


def test_hosts_get_hide_and_restore_and_see_hidden_replies_marked(client, setting):
    host, _group, _author, thread, first, second = setting
    client.force_login(host)
    item = reply_item(client.get(thread.get_absolute_url()), first)
    form = item.select_one(f'form[action="/groups/replies/{first.pk}/moderate/"]')
    assert form.select_one("[name=csrfmiddlewaretoken]")["value"]
    button = form.select_one("button[name=action]")
    assert button["value"] == "hide" and button.get_text(" ").split()[0] == "Hide"
    client.post(form["action"], {"action": "hide"})
    page = client.get(thread.get_absolute_url())
    item = reply_item(page, first)
    assert item.select_one(".tag--warning").get_text() == "Hidden"
    assert item.select_one("button[name=action]")["value"] == "restore"
    # The quote of a hidden reply doesn't show its words, even to a host.
    quote = reply_item(page, second).select_one("blockquote").get_text()
    assert "A post that a host has hidden." in quote and "First" not in quote


def test_the_htmx_fragment_carries_the_same_markup_as_the_page(client, setting):
    _host, group, _author, thread, _first, _second = setting
    viewer = make_member(group)
    client.force_login(viewer)
    response = client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "In place"}, headers=HX)
    reply = Reply.objects.latest("pk")
    fragment = reply_item(response, reply)
    page = reply_item(client.get(thread.get_absolute_url()), reply)
    assert str(fragment) == str(page)
    assert "Edit your reply" in " ".join(actions(page))


def test_the_group_page_lists_threads_with_tags_byline_and_time(client, setting):
    from django.template.defaultfilters import date as date_filter

    host, group, author, thread, _first, _second = setting
    odd = make_thread(group, author=author, title="<b>Bold</b> & brave")
    services.thread_moderate(actor=host, thread=odd, action="pin")
    odd.refresh_from_db()
    client.force_login(make_member(group))
    soup = BeautifulSoup(client.get(group.get_absolute_url()).content, "html.parser")
    items = soup.select("#threads > li.result")
    assert len(items) == 2
    pinned = next(li for li in items if "Bold" in li.get_text())
    link = pinned.select_one("h3 a")
    assert link.get_text() == "<b>Bold</b> & brave" and link["href"] == f"/groups/threads/{odd.pk}/"
    text = " ".join(pinned.get_text(" ").split())
    assert "Pinned" in text and "Discussion" in text
    assert 'By Ann <script>alert("x")</script> Lee · 0 replies' in text
    assert pinned.select("script") == [] and pinned.select("b") == []
    time = pinned.select_one("time")
    # The same words and machine-readable time as Django's date filter gives.
    assert time.get_text() == date_filter(odd.last_activity_at, "j M Y, H:i")
    assert time["datetime"] == date_filter(odd.last_activity_at, "c")
    question = next(li for li in items if li is not pinned)
    assert "2 replies" in question.get_text() and "Question" in question.get_text()


def test_attachments_show_under_their_own_post(client, setting, settings, tmp_path):
    from django.core.files.base import ContentFile

    from groups.models import Attachment

    settings.PRIVATE_FILES_ROOT = str(tmp_path)
    _host, group, _author, thread, first, second = setting

    def attach(name, reply=None):
        Thread.objects.filter(pk=thread.pk).update(has_attachments=True)  # as posting does
        return Attachment.objects.create(
            thread=thread,
            reply=reply,
            file=ContentFile(b"%PDF-1.4", name=name),
            original_name=name,
            content_type="application/pdf",
            size=2048,
        )

    on_thread = attach("agenda.pdf")
    on_second = attach("minutes.pdf", reply=second)
    client.force_login(make_member(group))
    response = client.get(thread.get_absolute_url())
    soup = BeautifulSoup(response.content, "html.parser")
    opening = soup.select_one("article.post .attachments")
    assert [a.get_text() for a in opening.select("a")] == ["agenda.pdf"]
    assert opening.select_one("a")["href"] == f"/groups/attachments/{on_thread.pk}/"
    assert "(2.0\xa0KB)" in opening.get_text()
    assert reply_item(response, first).select(".attachments") == []
    listed = reply_item(response, second).select(".attachments a")
    assert [(a.get_text(), a["href"]) for a in listed] == [
        ("minutes.pdf", f"/groups/attachments/{on_second.pk}/")
    ]


def test_the_opening_post_shows_its_author_and_time_as_markup(client, setting):
    _host, group, _author, thread, _first, _second = setting
    client.force_login(make_member(group))
    soup = BeautifulSoup(client.get(thread.get_absolute_url()).content, "html.parser")
    meta = soup.select_one("#thread-by .post__meta")
    assert meta is not None and "&lt;" not in str(soup.select_one("#thread-by"))
    assert meta.select_one("strong").get_text() == str(thread.author)
    assert meta.select_one("time")["datetime"].startswith(str(thread.created_at.year))


def test_the_empty_reply_form_is_drawn_once_and_a_quote_or_errors_afresh(client, setting):
    from groups.forms import ReplyForm

    _host, group, _author, thread, first, _second = setting
    client.force_login(make_member(group))
    ReplyForm._empty_html.clear()
    empty = BeautifulSoup(client.get(thread.get_absolute_url()).content, "html.parser")
    # The page drew the form through the cache (templates call ``__html__``, not ``render``).
    assert len(ReplyForm._empty_html) == 1
    assert empty.select_one("#reply-form textarea[name=body]").get_text().strip() == ""
    assert empty.select_one("#reply-form [name=csrfmiddlewaretoken]")["value"]
    # A quote fills the box; the next empty form is empty again.
    quoted = BeautifulSoup(
        client.get(f"{thread.get_absolute_url()}?quote={first.pk}").content, "html.parser"
    )
    assert (
        quoted.select_one("textarea[name=body]").get_text().strip().startswith("> First **words**")
    )
    assert quoted.select_one("input[name=quote]")["value"] == str(first.pk)
    again = BeautifulSoup(client.get(thread.get_absolute_url()).content, "html.parser")
    assert again.select_one("textarea[name=body]").get_text().strip() == ""
    assert not again.select_one("input[name=quote]").get("value")
    # Errors come back beside the field with what was typed.
    form = ReplyForm({"body": "x" * 20001})
    assert not form.is_valid()
    page = BeautifulSoup(str(form), "html.parser")
    assert page.select_one(".field-error") is not None
    assert page.select_one("textarea").get_text().strip() == "x" * 20001
