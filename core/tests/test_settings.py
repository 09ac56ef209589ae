"""Production mode: the deploy checklist is clean and a default secret refuses to start."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "COALITION_TESTING": "0", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production_mode():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="network.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_with_the_default_secret():
    result = _manage("check", PRODUCTION="true", ALLOWED_HOSTS="network.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_sends_security_headers(client, settings, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


_TWO_REQUESTS = """
import io
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.client import RequestFactory
handler, factory = WSGIHandler(), RequestFactory()
seen = []
for _ in range(2):
    environ = factory._base_environ(PATH_INFO="/healthz", REQUEST_METHOD="GET", HTTP_HOST="localhost")
    environ["wsgi.input"] = io.BytesIO(b"")
    body = handler(environ, lambda *args: None)
    b"".join(body)
    body.close()
    seen.append(connection.connection)
print("same" if seen[0] is not None and seen[0] is seen[1] else "reopened")
"""


def test_an_sqlite_site_keeps_its_connection_between_requests(tmp_path):
    """Opening the database file costs a request more than a simple page's queries (decision
    0013): by default a process keeps it open; ``CONN_MAX_AGE=0`` closes it after each one."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CONN_MAX_AGE"}}

    def run(**env):
        return subprocess.run(  # noqa: S603
            [sys.executable, "-c", _TWO_REQUESTS],
            cwd=ROOT,
            env={
                **clean,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )

    kept, closed = run(), run(CONN_MAX_AGE="0")
    assert kept.stdout.strip() == "same", kept.stderr
    assert closed.stdout.strip() == "reopened", closed.stderr


_SHOW_PAGE_COST = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW random_page_cost")
    print(cursor.fetchone()[0])
"""


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL only (run with a PostgreSQL DATABASE_URL)")
    return url


def test_postgresql_connections_price_random_reads_for_ssds():
    """With the default page cost of 4 the planner reads every search entry for a common word
    instead of the full-text index (decision 0014); the site asks for 1.1 unless told not to,
    and a value that is not a number stops it starting with a message that names the setting."""
    url = _postgres_url()

    def run(**env):
        clean = {k: v for k, v in os.environ.items() if k != "DATABASE_RANDOM_PAGE_COST"}
        return subprocess.run(  # noqa: S603
            [sys.executable, "-c", _SHOW_PAGE_COST],
            cwd=ROOT,
            env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    default, chosen, server = (
        run(),
        run(DATABASE_RANDOM_PAGE_COST="2"),
        run(DATABASE_RANDOM_PAGE_COST=""),
    )
    assert default.stdout.strip() == "1.1", default.stderr
    assert chosen.stdout.strip() == "2", chosen.stderr
    import psycopg

    with psycopg.connect(url) as plain:  # what the server says with nobody asking
        servers_own = plain.execute("SHOW random_page_cost").fetchone()[0]
    assert server.stdout.strip() == servers_own, server.stderr
    for wrong in ("fast", "-1", "nan", "inf"):
        refused = run(DATABASE_RANDOM_PAGE_COST=wrong)
        assert refused.returncode != 0
        assert "DATABASE_RANDOM_PAGE_COST must be a number of 0 or more" in refused.stderr
