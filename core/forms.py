from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.html import escape
from django.utils.safestring import mark_safe


class SiteFormRenderer(TemplatesSetting):
    """Every form on the site: an error summary first, then each field with its label, hint and
    message beside it (the GOV.UK pattern)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class TermsField(forms.ModelMultipleChoiceField):
    """Tick boxes for database rows. A value too big for a database id is refused like any
    other unknown choice (SQLite would otherwise raise OverflowError: a server error)."""

    widget = forms.CheckboxSelectMultiple

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


class FilterFormMixin:
    """For the GET filter forms of list pages (directory, library): a search box ``q`` cleaned
    to plain words, and each field as plain values for a hand-written template, with a
    select's options already rendered (Django's widget templates cost a template per option,
    which adds up on a page served thousands of times)."""

    def controls(self) -> list[dict]:
        selected = mark_safe(" selected")  # noqa: S308 - a constant
        controls = []
        for bound in self:
            value = bound.value() or ""
            options = None
            if isinstance(bound.field, forms.ChoiceField):
                chosen = str(value)
                options = mark_safe(  # noqa: S308 - every value and label is escaped here
                    "".join(
                        f'<option value="{escape(choice)}"'
                        f"{selected if str(choice) == chosen else ''}>{escape(label)}</option>"
                        for choice, label in bound.field.choices
                    )
                )
            described = [f"{bound.auto_id}_helptext"] if bound.help_text else []
            if bound.errors:
                described.append(f"{bound.auto_id}_error")
            controls.append(
                {
                    "name": bound.html_name,
                    "id": bound.auto_id,
                    "label": bound.label,
                    "help_text": bound.help_text,
                    "errors": bound.errors,
                    "value": value,
                    "options": options,
                    "max_length": getattr(bound.field, "max_length", None),
                    "described_by": " ".join(described),
                }
            )
        return controls

    def clean_q(self):
        # Collapse whitespace and drop control characters: the search engine sees words.
        value = self.cleaned_data.get("q", "")
        return " ".join("".join(ch for ch in value if ch.isprintable()).split())
