"""@mentions link to the person's page, only when that page is visible to the reader (their
privacy choice); otherwise the name stays plain text. The Markdown stays safe."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from hypothesis import given, settings
from hypothesis import strategies as st

from groups import services
from groups.models import Frequency
from groups.tests.factories import make_group, make_member, make_thread
from members.tests.factories import CoordinatorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_module():
    from django.conf import settings as django_settings

    return django_settings


def person_url(user):
    return f"/members/people/{user.pk}/"


def rendered(viewer, text):
    return str(
        services.render_post(text, services.mention_links(viewer, services.mention_people([text])))
    )


@pytest.fixture
def people():
    return {
        "public": UserFactory(full_name="Pat Public", profile_visibility="public"),
        "members": UserFactory(full_name="Mo Members", profile_visibility="members"),
        "hidden": UserFactory(full_name="Hana Hidden", profile_visibility="hidden"),
    }


TEXT = "Thanks @Pat Public, @Mo Members and @Hana Hidden!"


def test_a_member_sees_links_to_pages_they_may_see(people):
    html = rendered(UserFactory(), TEXT)
    assert f'<a href="{person_url(people["public"])}"' in html
    assert f'<a href="{person_url(people["members"])}"' in html
    assert person_url(people["hidden"]) not in html and "@Hana Hidden" in html


def test_a_visitor_sees_only_public_profiles_linked(people):
    html = rendered(AnonymousUser(), TEXT)
    assert person_url(people["public"]) in html
    assert person_url(people["members"]) not in html and "@Mo Members" in html
    assert person_url(people["hidden"]) not in html and "@Hana Hidden" in html


def test_a_coordinator_sees_every_profile_linked(people):
    html = rendered(CoordinatorFactory(), TEXT)
    assert all(person_url(person) in html for person in people.values())


def test_first_name_only_and_unknown_names(people):
    ann = UserFactory(full_name="Ann")
    html = rendered(UserFactory(), "Hi @Ann Smith and @Nobody Here")
    # "@Ann Smith" is nobody; "@Ann" is Ann (a one-word name), " Smith" stays text.
    assert (
        f'<a href="{person_url(ann)}" rel="nofollow noopener noreferrer ugc">@Ann</a> Smith' in html
    )
    assert "@Nobody Here" in html and html.count("<a ") == 1


def test_markdown_stays_safe_and_code_and_links_are_left_alone(people):
    text = (
        "**Bold** @Pat Public <script>alert(1)</script>\n\n"
        "`@Pat Public` and [@Pat Public](https://example.org)\n\n"
        "    @Pat Public in a code block\n"
    )
    html = rendered(UserFactory(), text)
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.count(person_url(people["public"])) == 1
    assert "<code>@Pat Public</code>" in html
    assert (
        '<a href="https://example.org" rel="nofollow noopener noreferrer ugc">@Pat Public</a>'
        in html
    )


def test_names_with_apostrophes_and_escaping():
    person = UserFactory(full_name="Siobhán O'Neill", profile_visibility="public")
    html = rendered(UserFactory(), "Ask @Siobhán O'Neill & co <b>")
    assert f'href="{person_url(person)}"' in html
    assert "&amp; co &lt;b&gt;" in html


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@<>&\"'`*[]()!:/ aPtPublicx\n=")), max_size=80))
def test_any_text_renders_without_markup_getting_through(text):
    html = str(
        services.link_mentions(services.render_post(text, {}), {"pat": "/members/people/1/"})
    )
    assert "<script" not in html.lower() and " on" not in html.lower().replace(" one", "")
    for tag in ("<img", "<iframe", "<style", "javascript:"):
        assert tag not in html.lower()


def test_the_thread_page_links_visible_mentions_only(client, people):
    group = make_group()
    reader = make_member(group)
    thread = make_thread(group, body="Over to @Mo Members")
    services.reply_create(author=thread.author, thread=thread, body="And @Hana Hidden too")
    client.force_login(reader)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'href="{person_url(people["members"])}"' in page
    assert person_url(people["hidden"]) not in page and "@Hana Hidden" in page


def test_the_thread_page_query_count_does_not_grow_with_mentions(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = make_group()
    thread = make_thread(group)
    client.force_login(thread.author)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(thread.get_absolute_url())
        return len(queries)

    services.reply_create(author=thread.author, thread=thread, body="@Pat Public")
    count()
    before = count()
    for n in range(10):
        UserFactory(full_name=f"Person Number{chr(97 + n)}")
        services.reply_create(
            author=make_member(group), thread=thread, body=f"@Person Number{chr(97 + n)}"
        )
    assert count() == before


def test_the_email_links_mentions_the_recipient_may_see(
    settings_module, django_capture_on_commit_callbacks, people
):
    group = make_group()
    keen = make_member(group)
    services.membership_frequency_set(user=keen, group=group, frequency=Frequency.EVERY_POST)
    author = make_member(group)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(group, author=author, body="Meet @Mo Members and @Hana Hidden")
    [message] = [m for m in mail.outbox if m.to == [keen.email]]
    html = message.alternatives[0][0]
    assert f'href="{settings_module.SITE_URL}{person_url(people["members"])}"' in html
    assert person_url(people["hidden"]) not in html and "@Hana Hidden" in html
