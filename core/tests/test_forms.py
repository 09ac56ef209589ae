import pytest
from django import forms

from core.forms import TermsField
from members.models import FocusArea


class Form(forms.Form):
    areas = TermsField(queryset=FocusArea.objects.all())


@pytest.mark.parametrize("value", ["99999999999999999999999", "-99999999999999999999999"])
def test_an_impossibly_large_id_is_a_clear_message_not_a_server_error(db, value):
    form = Form({"areas": [value]})
    assert not form.is_valid()
    assert "is not a valid value" in form.errors["areas"][0]


def test_real_choices_still_work(db):
    area = FocusArea.objects.first()
    form = Form({"areas": [str(area.pk)]})
    assert form.is_valid(), form.errors
    assert list(form.cleaned_data["areas"]) == [area]
