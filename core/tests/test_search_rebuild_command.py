from io import StringIO

from django.core.management import call_command

from core import search
from members.models import Organisation
from members.tests.factories import OrganisationFactory


def test_search_rebuild_indexes_rows_written_without_the_services(db):
    OrganisationFactory(name="Lantern Befriending Service")  # written directly: not indexed
    assert not search.search_filter(Organisation.objects.all(), "lantern").exists()
    out = StringIO()
    call_command("search_rebuild", stdout=out)
    assert "members.organisation: 1 indexed" in out.getvalue()
    assert search.search_filter(Organisation.objects.all(), "lantern").exists()
