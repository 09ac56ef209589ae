from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Every form on the site: an error summary first, then each field with its label, hint and
    message beside it (the GOV.UK pattern)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
