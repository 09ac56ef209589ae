import pytest

from learning.models import Theme

pytestmark = pytest.mark.django_db


def test_the_framework_is_seeded_with_the_7_keys_in_order():
    names = list(Theme.objects.values_list("name", flat=True))
    assert len(names) == 7
    assert names[0] == "Consider your space"
    assert names[-1] == "Identify barriers to participation and how you might overcome them"
    explanation = Theme.objects.get(slug="allow-enough-time").explanation
    assert explanation.startswith("Building trust, relationships and creating meaningful")
