from types import SimpleNamespace

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text or "")


@register.simple_tag(takes_context=True)
def querystring_replace(context, **kwargs):
    """The current query string with some parameters replaced (``None`` removes one)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


# --- The header's menu ------------------------------------------------------------------------
# Drawn on every page, it costs a dozen URL reversals and translations, yet it differs only by
# language, kind of viewer and current section, plus two per-request values put in afterwards:
# the unread count and the CSRF token. Stand-ins for those are private-use characters, which
# neither escaping nor the template changes.
_NAV_HTML: dict = {}
_NAV_MAX = 5000  # keys are bounded by the URL configuration; this only guards memory
_UNREAD = "\ue000unread\ue001"
_CSRF = "\ue000csrf\ue001"
_CSRF_INPUT = CsrfTokenNode().render({"csrf_token": _CSRF})  # the stand-in's hidden field


@register.simple_tag(takes_context=True)
def site_nav(context):
    """The header's menu (``includes/site_nav.html``), drawn once per process for each
    language, kind of viewer, current page and whether anything is unread."""
    match = getattr(context.get("request"), "resolver_match", None)
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    unread = context.get("groups_unread") or ""
    key = (
        get_language(),
        signed_in,
        bool(context.get("is_member")),
        bool(context.get("is_coordinator")),
        bool(unread),
        getattr(match, "url_name", None),
        getattr(match, "app_name", None),
        getattr(match, "view_name", None),
    )
    html = _NAV_HTML.get(key)
    if html is None:
        language, signed_in, member, coordinator, any_unread, url_name, app_name, view_name = key
        html = render_to_string(
            "includes/site_nav.html",
            {
                "request": SimpleNamespace(
                    resolver_match=SimpleNamespace(
                        url_name=url_name, app_name=app_name, view_name=view_name
                    )
                ),
                "user": SimpleNamespace(is_authenticated=signed_in),
                "is_member": member,
                "is_coordinator": coordinator,
                "groups_unread": _UNREAD if any_unread else "",
                "csrf_token": _CSRF,
            },
        )
        if len(_NAV_HTML) < _NAV_MAX:
            _NAV_HTML[key] = html
    if unread:
        html = html.replace(_UNREAD, escape(str(unread)))
    if signed_in:  # only the sign-out form has a token
        html = html.replace(_CSRF_INPUT, CsrfTokenNode().render(context))
    return mark_safe(html)  # noqa: S308 - drawn by the template; the count is escaped
