from django import forms
from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Every form on the site: an error summary first, then each field with its label, hint and
    message beside it (the GOV.UK pattern)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class TermsField(forms.ModelMultipleChoiceField):
    """Tick boxes for database rows. A value too big for a database id is refused like any
    other unknown choice (SQLite would otherwise raise OverflowError: a server error)."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # not a number at all: Django's own check says so
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
