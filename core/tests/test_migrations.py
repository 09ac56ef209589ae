from io import StringIO

from django.core.management import call_command


def test_no_missing_migrations(db):
    """Every model change has its migration committed."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when something is missing
        raise AssertionError(f"Missing migrations:\n{out.getvalue()}") from exc
