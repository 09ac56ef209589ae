import pytest
from django.test import RequestFactory

from core.views import server_error


def test_unknown_urls_get_the_sites_own_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert 'class="skip-link"' in body and '<main id="main"' in body


def test_the_500_page_renders_without_touching_the_database():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_the_shell_has_landmarks_a_skip_link_and_no_inline_script(client, db, path):
    body = client.get(path).content.decode()
    assert body.count("<h1") == 1
    assert '<a class="skip-link" href="#main">' in body
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in body
    assert "<script>" not in body and " style=" not in body  # the CSP forbids both
    assert "https://" not in body.split("<body", 1)[0].replace('content="https', "")


def test_forms_keep_what_was_typed_and_explain_errors(client, db):
    response = client.post(
        "/accounts/signup/",
        {"full_name": "Ann Example", "email": "not-an-email", "password1": "x", "password2": "y"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert 'value="Ann Example"' in body and 'value="not-an-email"' in body
    assert 'aria-invalid="true"' in body
    assert 'href="#id_email"' in body  # the summary links to the field


def _nav(client, path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(client.get(path).content, "html.parser").select_one("nav.site-nav")


def test_the_header_menu_is_each_viewers_own(db):
    """The menu is drawn once per kind of viewer and page, then reused: each person still
    sees their own unread count, a sign-out form with their own token, and where they are."""
    from django.test import Client

    from groups.models import Notification, NotificationKind
    from groups.tests.factories import make_group, make_member, make_thread
    from members.tests.factories import CoordinatorFactory

    group = make_group()
    busy, quiet = make_member(group), make_member(group)
    thread = make_thread(group, quiet)
    for kind in (NotificationKind.MENTION, NotificationKind.REPLY):
        Notification.objects.create(recipient=busy, kind=kind, group=group, thread=thread)
    clients = {}
    for name, person in (("busy", busy), ("quiet", quiet), ("coordinator", CoordinatorFactory())):
        clients[name] = Client(enforce_csrf_checks=True)
        clients[name].force_login(person)
    clients["visitor"] = Client()

    def groups_link(nav):
        return nav.find("a", href="/groups/")

    for _ in range(2):  # the second time, from what the first drew
        assert (
            groups_link(_nav(clients["busy"], "/")).get_text() == "Groups (2 unread notifications)"
        )
        assert groups_link(_nav(clients["quiet"], "/")).get_text().strip() == "Groups"
        visitor = _nav(clients["visitor"], "/")
        assert groups_link(visitor) is None and visitor.find("a", href="/accounts/login/")
        assert _nav(clients["coordinator"], "/").find("a", string="Coordinator") is not None
        current = _nav(clients["quiet"], "/groups/").select('[aria-current="page"]')
        assert [a["href"] for a in current] == ["/groups/"]

    # Each sign-out form carries its own person's token, and it works.
    tokens = {}
    for name in ("busy", "quiet"):
        form = _nav(clients[name], "/").find("form", action="/accounts/logout/")
        tokens[name] = form.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]
    for name in ("busy", "quiet"):
        response = clients[name].post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[name]})
        assert response.status_code == 302
        assert "_auth_user_id" not in clients[name].session


def test_the_home_page_leads_visitors_somewhere_useful(client, db):
    """Finding members and joining, not a bare account; each card goes where it says."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/").content, "html.parser")
    main = page.find("main")
    buttons = {a.get_text(strip=True): a["href"] for a in main.select(".button-row a")}
    assert buttons == {"Find members near you": "/members/", "Join the network": "/join/"}
    cards = {a.get_text(strip=True): a["href"] for a in main.select(".card h3 a")}
    assert cards == {
        "Find each other": "/members/",
        "Meet": "/events/",
        "Learn and share": "/resources/",
    }
    assert not page.find("a", string="Create an account")
