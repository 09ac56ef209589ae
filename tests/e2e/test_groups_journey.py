"""A member joins an open group and starts a thread; another member replies with an @mention;
the first gets the notification email (from a real SMTP server) and replies to it by email; the
reply appears in the thread; a member reports it and a host hides it from the moderation queue.
Every page passes axe-core (WCAG 2.2 AA) on a phone-sized screen. With JavaScript, htmx does
the joining, replying, reporting and hiding in place (the address never changes); without it,
the same steps are plain form posts and pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from groups import services
from groups.inbound import reply_from_raw
from groups.models import Reply
from members.tests.factories import UserFactory
from tests.e2e.pages import check_page, sign_in_as


def heading(page: Page):
    return page.get_by_role("heading", level=1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_discuss_mention_reply_by_email_and_moderate(
    new_page, live_server, smtp_server, javascript
):
    host = UserFactory(full_name="Hana Host")
    ann = UserFactory(full_name="Ann Example")
    bob = UserFactory(full_name="Bob Member")
    group = services.group_create(
        name="Youth loneliness network",
        slug="youth-loneliness-network",
        purpose="Members working with young people who feel isolated.",
        hosts=[host],
    )

    # Ann joins the open group and starts a thread.
    page = new_page(javascript=javascript)
    sign_in_as(page, ann, live_server)
    page.goto("/groups/")
    expect(heading(page)).to_have_text("Groups")
    check_page(page)
    page.get_by_role("link", name="Youth loneliness network").click()
    expect(heading(page)).to_have_text("Youth loneliness network")
    check_page(page)
    if javascript:
        page.evaluate("window.samePage = true")  # gone if the page loads again
    page.get_by_role("button", name="Join this group").click()
    expect(page.get_by_text("You have joined Youth loneliness network.")).to_be_visible()
    expect(page.get_by_role("button", name="Leave this group")).to_be_visible()
    if javascript:  # swapped in place by htmx: no page load
        assert page.evaluate("window.samePage === true")
    check_page(page)
    page.get_by_role("link", name="Start a thread").click()
    expect(heading(page)).to_have_text("Start a thread")
    check_page(page)
    page.get_by_label("Title").fill("How do you reach young people?")
    page.get_by_label("Message").fill("We run a **drop-in** on Thursdays. Ideas welcome.")
    page.get_by_role("button", name="Post thread").click()
    expect(heading(page)).to_have_text("How do you reach young people?")
    check_page(page)
    thread_url = page.url

    # Bob joins and replies, mentioning Ann.
    services.group_join(user=bob, group=group)
    bob_page = new_page(javascript=javascript)
    sign_in_as(bob_page, bob, live_server)
    bob_page.goto(thread_url)
    check_page(bob_page)
    bob_page.get_by_label("Your reply").fill("Try the skate park, @Ann Example.")
    bob_page.get_by_role("button", name="Post reply").click()
    expect(bob_page.get_by_text("Your reply is posted.")).to_be_visible()
    replies = bob_page.locator("#replies > li")
    expect(replies).to_have_count(1)
    expect(replies.first).to_contain_text("Try the skate park")
    # The mention is a link to Ann's page (members may see it).
    expect(replies.first.get_by_role("link", name="@Ann Example")).to_have_attribute(
        "href", f"/members/people/{ann.pk}/"
    )
    expect(bob_page.get_by_role("heading", name="1 reply")).to_be_visible()
    if javascript:  # appended in place, with an empty form ready for the next one
        assert bob_page.url == thread_url
        expect(bob_page.get_by_label("Your reply")).to_have_value("")
    check_page(bob_page)

    # Ann gets the email and answers it by email.
    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == (ann.email,)
    assert "How do you reach young people?" in message.subject
    assert "Try the skate park" in message.text and message.html
    assert message.message["List-Unsubscribe"]
    reply_to = str(message.message["Reply-To"])
    raw = (
        f"From: Ann Example <{ann.email}>\r\nTo: {reply_to}\r\n"
        "Subject: Re: How do you reach young people?\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Thank you Bob, we will try it this week.\r\n\r\nOn Wed, Bob wrote:\r\n> quoted\r\n"
    ).encode()
    emailed = reply_from_raw(raw)
    assert emailed is not None and emailed.author == ann

    page.goto(thread_url)
    expect(page.get_by_text("Thank you Bob, we will try it this week.")).to_be_visible()
    check_page(page)

    # Bob reports it; the host hides it from the queue.
    bob_page.goto(thread_url)
    check_page(bob_page)
    bob_page.get_by_role("link", name="Report the reply by Ann Example").click()
    if javascript:  # the form opens under the post, ready to type in
        reason = bob_page.get_by_label("What is wrong with this post?")
        expect(reason).to_be_focused()
        assert bob_page.url == thread_url
    else:
        expect(heading(bob_page)).to_have_text("Report a post")
    check_page(bob_page)
    bob_page.get_by_label("What is wrong with this post?").fill("Testing the report button")
    bob_page.get_by_role("button", name="Send report").click()
    expect(bob_page.get_by_text("Thank you. A host will look at this post.")).to_be_visible()
    check_page(bob_page)

    host_page = new_page(javascript=javascript)
    sign_in_as(host_page, host, live_server)
    host_page.goto("/groups/moderation/")
    expect(host_page.get_by_text("Testing the report button")).to_be_visible()
    check_page(host_page)
    host_page.get_by_role("button", name="Hide the post").click()
    if javascript:  # the row says what happened and offers to undo it
        expect(host_page.get_by_text("The post is hidden.")).to_be_visible()
        expect(host_page.get_by_role("button", name="Restore the post")).to_be_visible()
        check_page(host_page)
        host_page.reload()
    expect(host_page.get_by_text("No reports waiting.")).to_be_visible()
    check_page(host_page)
    assert Reply.objects.get(pk=emailed.pk).is_hidden

    bob_page.goto(thread_url)
    expect(bob_page.get_by_text("Try the skate park")).to_be_visible()
    expect(bob_page.get_by_text("Thank you Bob, we will try it this week.")).to_have_count(0)
    check_page(bob_page)


def test_the_other_group_pages_pass_axe(new_page, live_server):
    """Pages the journey does not pass through: each loads, fits a phone and passes axe."""
    from groups.models import GroupKind

    host = UserFactory(full_name="Hana Host")
    member = UserFactory(full_name="Ann Example")
    cohort = services.group_create(
        name="Community of practice", slug="cop", kind=GroupKind.CLOSED, hosts=[host],
        is_cohort=True,
    )  # fmt: skip
    services.group_invite(actor=host, group=cohort, user=member)
    services.group_join(user=member, group=cohort)
    services.challenge_save(user=member, group=cohort, question="How do we keep people coming?")
    thread = services.thread_create(
        author=member, group=cohort, title="Session one notes", body="We met."
    )
    requester = UserFactory(full_name="Rui Requester")
    open_group = services.group_create(name="Open group", slug="open-group", hosts=[host])
    services.group_join(user=requester, group=cohort)
    token = services.unsubscribe_token(member.pk, f"group:{open_group.pk}")

    page = new_page()
    sign_in_as(page, host, live_server)
    for url in [
        "/groups/cop/members/",
        "/groups/cop/challenges/",
        "/groups/cop/share-learning/",
        "/groups/cop/edit/",
        "/groups/cop/emails/",
        "/groups/settings/",
        "/groups/notifications/",
        "/groups/search/?q=session",
        "/groups/moderation/",
        f"/groups/threads/{thread.pk}/move/",
        f"/groups/threads/{thread.pk}/",
        f"/groups/unsubscribe/{token}/",
    ]:
        page.goto(url)
        expect(heading(page)).to_be_visible()
        check_page(page)
    page.goto("/groups/cop/new/")
    check_page(page)
    page.get_by_role("button", name="Post thread").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page)
