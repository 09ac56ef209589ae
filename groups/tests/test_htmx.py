"""htmx on group pages: for an htmx request the same view answers with only the fragment that
changed; for a plain request (no JavaScript) the whole page or a redirect, as before."""

import re

import pytest

from core.pagination import DEFAULT_PER_PAGE
from groups import services
from groups.models import GroupKind, Membership, Reply, Report, Thread
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def is_fragment(response) -> bool:
    page = response.content.decode()
    return "<html" not in page and "<title>" not in page and 'id="main"' not in page


def is_full_page(response) -> bool:
    page = response.content.decode()
    return "<html" in page and 'id="main"' in page


# --- Replying -------------------------------------------------------------------------------


def test_a_reply_posted_with_htmx_comes_back_as_the_reply_and_a_fresh_form(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    response = client.post(
        f"/groups/threads/{thread.pk}/reply/", {"body": "Appended **in place**"}, headers=HX
    )
    assert response.status_code == 200 and is_fragment(response)
    assert "HX-Request" in response["Vary"]
    page = response.content.decode()
    reply = Reply.objects.get()
    assert page.startswith('<section id="reply-form"')
    assert "Your reply is posted." in page
    # The reply itself, appended to the list out of band, and the count updated.
    oob = page[page.index('hx-swap-oob="beforeend:#replies"') :]
    assert f'id="reply-{reply.pk}"' in oob and "<strong>in place</strong>" in oob
    assert re.search(r'<h2 id="replies-title" hx-swap-oob="true">\s*1 reply', page)
    # A fresh, empty form that still posts in place.
    form = page[: page.index("</form>")]
    assert "Appended" not in form and 'hx-post="/groups/threads/' in form


def test_without_javascript_a_reply_redirects_to_it(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    response = client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "Plain post"})
    reply = Reply.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#reply-{reply.pk}")
    page = client.get(response["Location"])
    assert is_full_page(page) and "Plain post" in page.content.decode()


def test_a_reply_with_a_mistake_comes_back_with_the_message_and_the_text(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    too_long = "x" * 20001
    response = client.post(f"/groups/threads/{thread.pk}/reply/", {"body": too_long}, headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    page = response.content.decode()
    assert "There is a problem" in page and too_long in page
    response = client.post(f"/groups/threads/{thread.pk}/reply/", {"body": too_long})
    assert response.status_code == 200 and is_full_page(response)
    assert "There is a problem" in response.content.decode()
    assert not Reply.objects.exists()


def test_replies_are_added_in_place_only_on_the_newest_page(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'hx-post="/groups/threads/{thread.pk}/reply/"' in page
    Reply.objects.bulk_create(
        Reply(thread=thread, author=thread.author, body="r") for _ in range(60)
    )
    page = client.get(thread.get_absolute_url()).content.decode()
    # Page one of two: a reply would land on the last page, so the form posts normally.
    assert f'hx-post="/groups/threads/{thread.pk}/reply/"' not in page
    assert f'action="/groups/threads/{thread.pk}/reply/"' in page


# --- Join and leave -------------------------------------------------------------------------


def test_join_and_leave_swap_the_buttons_in_place(client):
    group = make_group(name="Walking group")
    user = UserFactory()
    client.force_login(user)
    response = client.post(f"/groups/{group.slug}/join/", headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    page = response.content.decode()
    assert page.startswith('<div id="membership">')
    assert "You have joined Walking group." in page and "Leave this group" in page
    assert "Start a thread" in page
    response = client.post(f"/groups/{group.slug}/leave/", headers=HX)
    page = response.content.decode()
    assert is_fragment(response) and "You have left Walking group." in page
    assert "Join this group" in page
    assert not Membership.objects.filter(user=user).exists()


def test_join_and_leave_without_javascript_redirect(client):
    group = make_group()
    client.force_login(UserFactory())
    response = client.post(f"/groups/{group.slug}/join/")
    assert response.status_code == 302 and response["Location"] == group.get_absolute_url()
    response = client.post(f"/groups/{group.slug}/leave/")
    assert response.status_code == 302 and response["Location"] == "/groups/"


def test_asking_to_join_a_closed_group_swaps_in_place(client):
    group = make_group(kind=GroupKind.CLOSED)
    client.force_login(UserFactory())
    response = client.post(f"/groups/{group.slug}/join/", headers=HX)
    assert is_fragment(response)
    assert "You have asked to join. A host will reply soon." in response.content.decode()


def test_when_what_one_may_read_changes_the_whole_page_reloads(client):
    host = UserFactory()
    group = make_group(kind=GroupKind.CLOSED, hosts=[host])
    user = UserFactory()
    services.group_invite(actor=host, group=group, user=user)
    client.force_login(user)
    response = client.post(f"/groups/{group.slug}/join/", headers=HX)
    assert response["HX-Redirect"] == group.get_absolute_url()
    response = client.post(f"/groups/{group.slug}/leave/", headers=HX)
    assert response["HX-Redirect"] == "/groups/"


# --- Reporting ------------------------------------------------------------------------------


def test_the_report_form_opens_and_sends_in_place(client):
    group = make_group()
    thread = make_thread(group)
    reply = services.reply_create(author=make_member(group), thread=thread, body="Rude")
    client.force_login(make_member(group))
    url = f"/groups/replies/{reply.pk}/report/"
    response = client.get(url, headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    page = response.content.decode()
    assert f'hx-target="#report-reply-{reply.pk}"' in page and "autofocus" in page
    assert f'id="id_report-reply-{reply.pk}-reason"' in page

    field = f"report-reply-{reply.pk}-reason"
    response = client.post(url, {field: ""}, headers=HX)
    assert is_fragment(response) and "There is a problem" in response.content.decode()

    response = client.post(url, {field: "Unkind words"}, headers=HX)
    assert is_fragment(response)
    assert "Thank you. A host will look at this post." in response.content.decode()
    assert Report.objects.get().reason == "Unkind words"


def test_the_report_page_works_without_javascript(client):
    group = make_group()
    thread = make_thread(group)
    client.force_login(make_member(group))
    url = f"/groups/threads/{thread.pk}/report/"
    response = client.get(url)
    assert is_full_page(response) and "Report a post" in response.content.decode()
    response = client.post(url, {f"report-thread-{thread.pk}-reason": "Spam"})
    assert response.status_code == 302 and Report.objects.get().reply is None
    page = client.get(response["Location"]).content.decode()
    assert "Thank you. A host will look at this post." in page


def test_the_thread_page_has_a_place_for_each_report_form(client):
    group = make_group()
    thread = make_thread(group)
    reply = services.reply_create(author=make_member(group), thread=thread, body="Hi")
    client.force_login(make_member(group))
    page = client.get(thread.get_absolute_url()).content.decode()
    for slot in (f"report-thread-{thread.pk}", f"report-reply-{reply.pk}"):
        assert f'<div id="{slot}" class="report-slot"></div>' in page
        assert f'hx-target="#{slot}"' in page


# --- The moderation queue -------------------------------------------------------------------


@pytest.fixture
def reported(client):
    host = UserFactory()
    group = make_group(hosts=[host])
    thread = make_thread(group)
    reply = services.reply_create(author=make_member(group), thread=thread, body="Rude")
    report = services.report_create(
        reporter=make_member(group), thread=thread, reply=reply, reason="Unkind"
    )
    client.force_login(host)
    return report


def test_hide_and_restore_update_the_queue_row_in_place(client, reported):
    url = f"/groups/replies/{reported.reply.pk}/moderate/"
    data = {"action": "hide", "next": "queue", "report": reported.pk}
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    page = response.content.decode()
    assert page.startswith(f'<li class="result" id="report-{reported.pk}">')
    assert "The post is hidden." in page and "Restore the post" in page
    assert "Dismiss the report" not in page  # hiding dealt with the report
    assert Reply.objects.get(pk=reported.reply.pk).is_hidden

    response = client.post(url, {**data, "action": "restore"}, headers=HX)
    page = response.content.decode()
    assert "The post is shown again." in page and "Hide the post" in page
    assert not Reply.objects.get(pk=reported.reply.pk).is_hidden


def test_a_thread_report_and_dismissing_update_the_row_in_place(client, reported):
    thread = reported.thread
    report = services.report_create(
        reporter=UserFactory(), thread=thread, reply=None, reason="Off topic"
    )
    response = client.post(f"/groups/reports/{report.pk}/dismiss/", headers=HX)
    page = response.content.decode()
    assert is_fragment(response) and "The report is dismissed." in page
    assert "Dismiss the report" not in page and "Hide the post" in page
    response = client.post(
        f"/groups/threads/{thread.pk}/moderate/",
        {"action": "hide", "next": "queue", "report": report.pk},
        headers=HX,
    )
    assert "The post is hidden." in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).is_hidden


def test_queue_actions_without_javascript_go_back_to_the_queue(client, reported):
    response = client.post(
        f"/groups/replies/{reported.reply.pk}/moderate/",
        {"action": "hide", "next": "queue", "report": reported.pk},
    )
    assert response.status_code == 302 and response["Location"] == "/groups/moderation/"
    page = client.get("/groups/moderation/").content.decode()
    assert "No reports waiting." in page


def test_an_htmx_row_is_never_shown_to_someone_who_cannot_moderate(client, reported):
    client.force_login(make_member(reported.thread.group))
    response = client.post(f"/groups/reports/{reported.pk}/dismiss/", headers=HX)
    assert response.status_code == 403 and "Unkind" not in response.content.decode()


# --- More threads ---------------------------------------------------------------------------


def test_more_threads_appends_the_next_page_with_htmx_and_is_a_link_without(client):
    group = make_group()
    author = UserFactory()
    Thread.objects.bulk_create(
        Thread(group=group, author=author, title=f"Thread {i:03}", body="b")
        for i in range(DEFAULT_PER_PAGE + 5)
    )
    client.force_login(UserFactory())
    response = client.get(group.get_absolute_url())
    assert is_full_page(response)
    page = response.content.decode()
    more = re.search(r'<a href="([^"]+)" rel="next" hx-get="([^"]+)" hx-target="#threads"', page)
    assert more and "More threads" in page
    next_url = more.group(1).replace("&amp;", "&")

    plain = client.get(next_url)  # no JavaScript: the next page, with a way back
    assert is_full_page(plain) and 'rel="prev"' in plain.content.decode()

    response = client.get(next_url, headers={**HX, "HX-Target": "threads"})
    assert is_fragment(response) and "HX-Request" in response["Vary"]
    fragment = response.content.decode()
    assert fragment.count('<li class="result">') == 5
    assert '<div id="threads-more" hx-swap-oob="true">' in fragment
    assert 'rel="next"' not in fragment and 'rel="prev"' not in fragment


# --- Search ---------------------------------------------------------------------------------


def test_search_swaps_the_results_with_htmx_and_is_a_page_without(client):
    group = make_group()
    make_thread(group, title="Befriending by phone", body="Calls every week")
    client.force_login(UserFactory())
    response = client.get("/groups/search/?q=befriending")
    assert is_full_page(response)
    page = response.content.decode()
    assert '<div id="search-results">' in page and "Befriending by phone" in page
    assert 'hx-target="#search-results"' in page

    response = client.get(
        "/groups/search/?q=befriending", headers={**HX, "HX-Target": "search-results"}
    )
    assert is_fragment(response) and "HX-Request" in response["Vary"]
    fragment = response.content.decode()
    assert "Befriending by phone" in fragment and 'id="search-results"' not in fragment
    assert 'role="search"' not in fragment  # the form stays where it is
