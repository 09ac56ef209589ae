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
