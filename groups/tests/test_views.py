import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from core.models import AuditEntry
from groups import services
from groups.models import Attachment, Group, GroupKind, Reply, Report, Thread
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import CoordinatorFactory, UserFactory

pytestmark = pytest.mark.django_db


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_visitors_are_sent_to_sign_in(client):
    group = make_group()
    assert client.get(group.get_absolute_url()).status_code == 302


def test_member_joins_starts_a_thread_and_replies(signed_in):
    group = make_group()
    user = UserFactory()
    client = signed_in(user)
    assert client.get("/groups/").status_code == 200
    client.post(f"/groups/{group.slug}/join/")
    response = client.post(
        f"/groups/{group.slug}/new/",
        {"kind": "discussion", "title": "Hello all", "body": "<script>x</script> **hi**"},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<strong>hi</strong>" in page and "<script>x" not in page
    client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "A reply"})
    assert Reply.objects.get().body == "A reply"


def test_event_post_without_an_event_says_what_is_wrong(signed_in):
    group = make_group()
    client = signed_in(make_member(group))
    response = client.post(
        f"/groups/{group.slug}/new/", {"kind": "event", "title": "Come along", "body": "Do"}
    )
    assert response.status_code == 200
    assert "Choose the event this post is about." in response.content.decode()


def test_event_post_links_the_real_event(signed_in):
    from events.tests.factories import EventFactory

    event = EventFactory(title="Monthly get-together")
    group = make_group()
    client = signed_in(make_member(group))
    response = client.post(
        f"/groups/{group.slug}/new/",
        {"kind": "event", "title": "Come along", "body": "All welcome", "event": event.pk},
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.event == event
    assert event.get_absolute_url() in client.get(thread.get_absolute_url()).content.decode()


def test_edited_posts_say_so(signed_in):
    group = make_group()
    thread = make_thread(group)
    client = signed_in(thread.author)
    client.post(f"/groups/threads/{thread.pk}/edit/", {"title": "Better title", "body": "Body"})
    assert "edited" in client.get(thread.get_absolute_url()).content.decode()


def test_quote_prefills_the_reply(signed_in):
    group = make_group()
    thread = make_thread(group)
    reply = services.reply_create(author=make_member(group), thread=thread, body="Quote me")
    page = signed_in(thread.author).get(f"{thread.get_absolute_url()}?quote={reply.pk}")
    assert "&gt; Quote me" in page.content.decode()


@pytest.mark.parametrize("kind", [GroupKind.CLOSED, GroupKind.PRIVATE])
def test_closed_and_private_content_is_not_shown_to_non_members(signed_in, kind):
    group = make_group(kind=kind)
    thread = make_thread(group, title="Confidential thread", body="secretword")
    outsider = signed_in(UserFactory())
    detail = outsider.get(group.get_absolute_url())
    if kind == GroupKind.PRIVATE:
        assert detail.status_code == 404
        assert group.name not in outsider.get("/groups/").content.decode()
    else:
        assert detail.status_code == 200
        assert "Confidential thread" not in detail.content.decode()
    assert outsider.get(thread.get_absolute_url()).status_code == 404
    search = outsider.get("/groups/search/?q=secretword").content.decode()
    assert "Confidential thread" not in search
    insider = signed_in(thread.author)
    assert "Confidential thread" in insider.get("/groups/search/?q=secretword").content.decode()


def test_coordinators_can_read_every_group(signed_in):
    group = make_group(kind=GroupKind.PRIVATE)
    thread = make_thread(group)
    assert signed_in(CoordinatorFactory()).get(thread.get_absolute_url()).status_code == 200


def test_report_is_hidden_by_a_host_from_the_queue(signed_in):
    host = UserFactory()
    group = make_group(hosts=[host])
    thread = make_thread(group)
    reply = services.reply_create(author=make_member(group), thread=thread, body="Rude words")
    reporter = make_member(group)
    client = signed_in(reporter)
    client.post(
        f"/groups/replies/{reply.pk}/report/", {f"report-reply-{reply.pk}-reason": "Unkind"}
    )
    assert Report.objects.get().reason == "Unkind"
    assert client.get("/groups/moderation/").status_code == 403
    client = signed_in(host)
    assert "Unkind" in client.get("/groups/moderation/").content.decode()
    client.post(f"/groups/replies/{reply.pk}/moderate/", {"action": "hide", "next": "queue"})
    reply.refresh_from_db()
    assert reply.is_hidden and Report.objects.get().status == "resolved"
    assert AuditEntry.objects.filter(action="groups.reply.hide").exists()
    page = signed_in(reporter).get(thread.get_absolute_url()).content.decode()
    assert "Rude words" not in page


def test_members_cannot_moderate(signed_in):
    group = make_group()
    thread = make_thread(group)
    client = signed_in(make_member(group))
    assert (
        client.post(f"/groups/threads/{thread.pk}/moderate/", {"action": "hide"}).status_code == 403
    )
    assert client.get(f"/groups/{group.slug}/members/").status_code == 403


def _thread_with_replies(n):
    group = make_group()
    thread = make_thread(group)
    people = [make_member(group) for _ in range(3)]
    Reply.objects.bulk_create(
        Reply(thread=thread, author=people[i % 3], body=f"Reply {i} with **bold**")
        for i in range(n)
    )
    Thread.objects.filter(pk=thread.pk).update(reply_count=n)
    return thread


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_thread_page_query_count_does_not_grow_with_replies(signed_in):
    small, large = _thread_with_replies(10), _thread_with_replies(2000)
    client = signed_in(CoordinatorFactory())
    _count(client, small.get_absolute_url())  # warm caches (sessions, content types)
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())


def test_group_page_query_count_does_not_grow_with_threads(signed_in):
    few, many = make_group(), make_group()
    author = UserFactory()
    for group, n in ((few, 10), (many, 300)):
        Thread.objects.bulk_create(
            Thread(group=group, author=author, title=f"T{i}", body="b") for i in range(n)
        )
    client = signed_in(CoordinatorFactory())
    _count(client, few.get_absolute_url())
    assert _count(client, few.get_absolute_url()) == _count(client, many.get_absolute_url())


def test_attachments_are_validated(signed_in):
    group = make_group()
    client = signed_in(make_member(group))
    bad = [
        SimpleUploadedFile("notes.pdf", b"this is not a pdf", content_type="application/pdf"),
        SimpleUploadedFile("photo.png", b"GIF89a not really", content_type="image/png"),
        SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        SimpleUploadedFile("report.docx", b"PK not a zip", content_type="application/msword"),
        SimpleUploadedFile(
            "big.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
        ),
    ]
    for upload in bad:
        response = client.post(
            f"/groups/{group.slug}/new/",
            {"kind": "discussion", "title": "With a file", "body": "see", "attachments": [upload]},
        )
        assert response.status_code == 200, upload.name
        assert "There is a problem" in response.content.decode()
    assert not Thread.objects.exists()


def test_attachments_are_served_only_to_people_who_can_read_the_thread(signed_in, settings):
    group = make_group(kind=GroupKind.CLOSED)
    member = make_member(group)
    client = signed_in(member)
    client.post(
        f"/groups/{group.slug}/new/",
        {
            "kind": "discussion",
            "title": "Our guide",
            "body": "attached",
            "attachments": [
                SimpleUploadedFile("guide.pdf", b"%PDF-1.4 guide", content_type="application/pdf"),
                SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png"),
            ],
        },
    )
    pdf, png = Attachment.objects.order_by("pk")
    assert (pdf.content_type, png.is_image) == ("application/pdf", True)
    assert not pdf.file.path.startswith(str(settings.MEDIA_ROOT))  # never publicly served
    response = client.get(f"/groups/attachments/{pdf.pk}/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    # response.close() sends request_finished, which would close the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert signed_in(UserFactory()).get(f"/groups/attachments/{pdf.pk}/").status_code == 404


def test_a_reply_with_a_file_shows_it_on_a_thread_that_had_none(signed_in, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = str(tmp_path)
    group = make_group()
    member = make_member(group)
    thread = make_thread(group, member)
    client = signed_in(member)
    plain = _count(client, thread.get_absolute_url())
    pdf = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    client.post(f"/groups/threads/{thread.pk}/reply/", {"body": "Minutes", "attachments": [pdf]})
    attachment = Attachment.objects.get()
    with CaptureQueriesContext(connection) as queries:
        html = client.get(thread.get_absolute_url()).content.decode()
    assert f'href="/groups/attachments/{attachment.pk}/"' in html and "minutes.pdf" in html
    # Until then the page did not look for attachments; now it does, in one query.
    assert len(queries) == plain + 1


def test_cohort_challenges_on_one_page(signed_in):
    host = UserFactory()
    cohort = make_group(kind=GroupKind.CLOSED, is_cohort=True, hosts=[host])
    one, two = make_member(cohort), make_member(cohort)
    signed_in(one).post(f"/groups/{cohort.slug}/challenges/", {"question": "Keep people coming?"})
    client = signed_in(two)
    client.post(f"/groups/{cohort.slug}/challenges/", {"question": "Measure loneliness?"})
    challenge = two.group_challenges.get()
    client.post(f"/groups/challenges/{challenge.pk}/update/", {"body": "Tried a new survey."})
    page = client.get(f"/groups/{cohort.slug}/challenges/").content.decode()
    assert "Keep people coming?" in page and "Tried a new survey." in page
    assert signed_in(UserFactory()).get(f"/groups/{cohort.slug}/challenges/").status_code == 404


def test_resource_post_links_the_library_entry(signed_in):
    from learning.tests.factories import ResourceFactory

    resource = ResourceFactory(title="A welcoming first visit")
    group = make_group()
    client = signed_in(make_member(group))
    response = client.post(
        f"/groups/{group.slug}/new/", {"kind": "resource", "title": "Guide", "body": "Read it"}
    )
    assert "Choose the resource from the library" in response.content.decode()
    response = client.post(
        f"/groups/{group.slug}/new/",
        {"kind": "resource", "title": "Guide", "body": "Read it", "resource": resource.pk},
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.resource == resource, response
    page = client.get(thread.get_absolute_url()).content.decode()
    assert resource.get_absolute_url() in page


def test_hosts_share_a_cohorts_learning_into_the_library(signed_in):
    from learning.models import Resource

    host = UserFactory()
    cohort = make_group(kind=GroupKind.CLOSED, is_cohort=True, hosts=[host])
    member = make_member(cohort)
    services.challenge_save(user=member, group=cohort, question="Keep people coming?")
    assert signed_in(member).get(f"/groups/{cohort.slug}/share-learning/").status_code == 403
    client = signed_in(host)
    assert (
        "Keep people coming?"
        in client.get(f"/groups/{cohort.slug}/share-learning/").content.decode()
    )
    client.post(
        f"/groups/{cohort.slug}/share-learning/",
        {"title": "What we learned", "summary": "Six sessions.", "body": "Text a reminder."},
    )
    resource = Resource.objects.get()
    assert (resource.title, resource.kind, resource.visibility) == (
        "What we learned", "case_study", "members",
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="groups.cohort.share_learning").exists()


def test_coordinators_create_groups_and_hosts_change_them(signed_in):
    from events.tests.factories import EventFactory

    session = EventFactory(title="Session one")
    coordinator = CoordinatorFactory()
    client = signed_in(coordinator)
    response = client.post(
        "/groups/new/",
        {"name": "Search", "purpose": "A cohort", "kind": "closed", "is_cohort": "on",
         "events": [session.pk]},
    )  # fmt: skip
    group = Group.objects.get()
    assert group.slug == "search-2"  # "search" is one of the group pages' own addresses
    assert response.status_code == 302 and group.is_cohort and group.kind == "closed"
    assert group.memberships.get().user == coordinator
    member = make_member(group)
    assert signed_in(member).get("/groups/new/").status_code == 403
    assert signed_in(member).get(f"/groups/{group.slug}/edit/").status_code == 403
    page = signed_in(member).get(group.get_absolute_url()).content.decode()
    assert "Session one" in page
    client = signed_in(coordinator)
    client.post(f"/groups/{group.slug}/edit/", {"name": "Renamed", "kind": "open"})
    group.refresh_from_db()
    assert group.name == "Renamed" and group.kind == "open" and not group.events.exists()


def test_site_wide_setting_holds_first_posts(settings):
    settings.GROUPS_HOLD_FIRST_POSTS = True
    group = make_group()
    assert make_thread(group).is_held


def test_a_hidden_reply_does_not_show_through_a_quote(signed_in):
    host = UserFactory()
    group = make_group(hosts=[host])
    thread = make_thread(group)
    rude = services.reply_create(author=make_member(group), thread=thread, body="Rude words")
    services.reply_create(author=make_member(group), thread=thread, body="Reply", quoted=rude)
    services.reply_moderate(actor=host, reply=rude, action="hide")
    page = signed_in(thread.author).get(thread.get_absolute_url()).content.decode()
    assert "Rude words" not in page and "A post that a host has hidden." in page


def test_group_list_and_notifications_query_counts_do_not_grow(signed_in):
    from groups.models import Notification

    reader = UserFactory()
    author = UserFactory()
    client = signed_in(reader)

    def add(n):
        for _ in range(n):
            group = make_group()
            make_member(group, reader)
            thread = make_thread(group)
            Notification.objects.create(
                recipient=reader, kind="post", group=group, thread=thread, actor=author
            )

    add(3)
    _count(client, "/groups/")  # warm caches
    counts = (_count(client, "/groups/"), _count(client, "/groups/notifications/"))
    add(25)
    assert (_count(client, "/groups/"), _count(client, "/groups/notifications/")) == counts


def test_group_page_names_its_hosts_and_thread_pages_link_the_event_or_resource(signed_in):
    from bs4 import BeautifulSoup

    from events.tests.factories import EventFactory
    from groups.models import ThreadKind
    from learning.tests.factories import ResourceFactory

    host = UserFactory(full_name="Hana Host")
    group = make_group(hosts=[host])
    member = make_member(group)
    client = signed_in(member)
    page = BeautifulSoup(client.get(group.get_absolute_url()).content, "html.parser")
    assert "Hana Host" in [li.get_text() for li in page.select("aside li")]
    assert str(member) not in page.select_one("aside").get_text()

    event = EventFactory(title="Tea and talk")
    resource = ResourceFactory(title="Befriending guide")
    plain = make_thread(group, member)
    linked = {
        make_thread(group, member, kind=ThreadKind.EVENT, event=event): event,
        make_thread(group, member, kind=ThreadKind.RESOURCE, resource=resource): resource,
    }
    # The sidebar lists the group's upcoming events and its latest resource posts.
    group.events.add(event)
    aside = BeautifulSoup(client.get(group.get_absolute_url()).content, "html.parser").aside
    resource_post = next(t for t in linked if t.kind == ThreadKind.RESOURCE)
    assert aside.find("a", href=event.get_absolute_url()).get_text() == "Tea and talk"
    assert aside.find("a", href=resource_post.get_absolute_url()).get_text() == resource_post.title
    plain_count = _count(client, plain.get_absolute_url())
    for thread, target in linked.items():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(thread.get_absolute_url()).content.decode()
        link = BeautifulSoup(html, "html.parser").select_one(
            f'a[href="{target.get_absolute_url()}"]'
        )
        assert link is not None and link.get_text() == target.title
        assert len(queries) == plain_count + 1  # the linked entry, read when shown


def test_someone_without_a_name_is_shown_by_number_never_by_email(signed_in):
    """A name shows wherever other members see a person; an email address only where its owner
    chose. A host or author with no name (made on the command line) keeps a hidden address
    hidden on the group page (hosts, thread list) and the thread page; digests, lists and
    emails name people by ``str(user)``, which is the same."""
    from members.models import Visibility

    nameless = UserFactory(full_name="", email="quiet.host@example.org")
    nameless.email_visibility = Visibility.HIDDEN
    nameless.save()
    group = make_group(hosts=[nameless])
    thread = make_thread(group, nameless, title="Who is hosting?")
    services.reply_create(author=nameless, thread=thread, body="I am.")
    client = signed_in(make_member(group))
    for url in (group.get_absolute_url(), thread.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "quiet.host" not in html
        assert f"Member {nameless.pk}" in html
    assert str(nameless) == nameless.get_full_name() == f"Member {nameless.pk}"


# --- Inviting people to a group -------------------------------------------------------------

NEUTRAL_ANSWER = "If a member of the network uses that address, we have sent them an invitation."


def _person(**visibility):
    from members.models import Visibility

    person = UserFactory(full_name="Quentin Hiddleston")
    person.profile_visibility = visibility.get("profile", Visibility.MEMBERS)
    person.email_visibility = visibility.get("email", Visibility.HIDDEN)
    person.save()
    return person


def _invite_by_email(client, group, email):
    return client.post(f"/groups/{group.slug}/members/", {"email": email}, follow=True)


@pytest.mark.parametrize("profile", ["members", "hidden"])
def test_inviting_a_hidden_address_answers_as_an_unknown_one_does(signed_in, profile):
    """A host who types an address learns nothing about whose it is: the answer and the list
    of invitations are the same for a member who hid their address as for nobody at all, and
    the member's name shows nowhere on the page. The member is still invited."""
    from groups.models import Notification

    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    hidden = _person(profile=profile)
    client = signed_in(host)

    for email in (hidden.email.upper(), "nobody-at-all@example.org"):
        response = _invite_by_email(client, group, email)
        assert response.status_code == 200
        html = response.content.decode()
        assert NEUTRAL_ANSWER in html
        assert "Quentin" not in html and "Hiddleston" not in html
        assert "is invited" not in html and "No member" not in html

    page = client.get(f"/groups/{group.slug}/members/").content.decode()
    assert "Quentin" not in page
    rows = [
        row.get_text(" ", strip=True)
        for row in BeautifulSoup(page, "html.parser").select("tr")
        if "@" in row.get_text()
    ]
    assert len(rows) == 2 and all("Not shown" in row for row in rows)
    assert any(hidden.email in row for row in rows)

    # The member is invited just as before: a notification, the group, and "Accept".
    assert Notification.objects.filter(recipient=hidden, kind="invite", group=group).exists()
    invitee = signed_in(hidden)
    assert "Accept the invitation" in invitee.get(group.get_absolute_url()).content.decode()
    invitee.post(f"/groups/{group.slug}/join/")
    assert group.memberships.get(user=hidden).status == "active"


def test_a_member_whose_address_members_may_see_is_invited_and_shown_by_name(signed_in):
    from members.models import Visibility

    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    open_person = _person(email=Visibility.MEMBERS)
    client = signed_in(host)
    html = _invite_by_email(client, group, open_person.email).content.decode()
    assert NEUTRAL_ANSWER in html
    soup = BeautifulSoup(html, "html.parser")
    rows = [row.get_text(" ", strip=True) for row in soup.select("tr")]
    assert any(open_person.email in row and "Quentin Hiddleston" in row for row in rows)
    assert any("Quentin Hiddleston" in row and "Invited" in row for row in rows)
    assert group.memberships.get(user=open_person).status == "invited"


def test_an_address_does_not_change_a_request_to_join(signed_in):
    """Were a typed address to approve someone's request, the host would see whose it is."""
    host = UserFactory()
    group = make_group(kind=GroupKind.CLOSED, hosts=[host])
    asker = _person()
    services.group_join(user=asker, group=group)
    html = _invite_by_email(signed_in(host), group, asker.email).content.decode()
    assert NEUTRAL_ANSWER in html
    assert group.memberships.get(user=asker).status == "requested"


def test_a_host_finds_and_invites_by_name_only_people_they_may_see(signed_in):
    from groups.models import Membership
    from members.models import Visibility

    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    seen = _person()
    unseen = _person(profile=Visibility.HIDDEN)
    client = signed_in(host)
    url = f"/groups/{group.slug}/members/"

    found = BeautifulSoup(client.get(url, {"q": "hiddle"}).content, "html.parser")
    offered = {i["value"] for i in found.select("input[name=person]")}
    assert offered == {str(seen.pk)}

    # Someone hidden is refused with the same words as someone who does not exist.
    refusals = set()
    for pk in (unseen.pk, 999999):
        html = client.post(url, {"person": pk}).content.decode()
        assert "Quentin" not in html
        refusals.add("Choose a member from the list." in html)
    assert refusals == {True}
    assert not Membership.objects.filter(group=group, user=unseen).exists()

    html = client.post(url, {"person": seen.pk}, follow=True).content.decode()
    assert "Quentin Hiddleston is invited." in html
    assert group.memberships.get(user=seen).status == "invited"


def test_inviting_by_name_after_by_address_shows_the_person(signed_in):
    """Once the host has chosen someone by name, listing them tells nothing new."""
    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    person = _person()
    client = signed_in(host)
    _invite_by_email(client, group, person.email)
    assert "Quentin" not in client.get(f"/groups/{group.slug}/members/").content.decode()
    client.post(f"/groups/{group.slug}/members/", {"person": person.pk})
    html = client.get(f"/groups/{group.slug}/members/").content.decode()
    table = BeautifulSoup(html, "html.parser").select("table")
    assert "Quentin Hiddleston" in table[0].get_text()  # members and invitations by name
    assert "Quentin" not in table[1].get_text()  # the address stays unpaired


def test_members_page_queries_do_not_grow_with_invitations(signed_in):
    host = UserFactory()
    group = make_group(kind=GroupKind.PRIVATE, hosts=[host])
    client = signed_in(host)
    url = f"/groups/{group.slug}/members/"

    def count():
        client.get(url)  # warm caches (the menu, the session)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"q": "a"}).status_code == 200
        return len(queries)

    services.group_invite_by_email(actor=host, group=group, email=_person().email)
    before = count()
    for _ in range(5):
        services.group_invite_by_email(actor=host, group=group, email=UserFactory().email)
        services.group_invite(actor=host, group=group, user=UserFactory())
    assert count() == before
