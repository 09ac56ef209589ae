"""The coordinators' pages for composing issues: the list, starting an issue, editing it item
by item (plain form posts; htmx swaps the changed item or section in place when JavaScript
runs), and previewing the email as HTML and text on a narrow and a wide screen."""

from __future__ import annotations

from csp.decorators import csp
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core.markdown import render_markdown
from core.pagination import paginate_keyset_request
from core.permissions import coordinator_required
from newsletter import forms_issues as forms
from newsletter.models import Issue
from newsletter.rendering import personalise, render_issue
from newsletter.selectors import archive as selectors
from newsletter.selectors import figures
from newsletter.services import issues as services


def _issue_or_404(pk: int) -> Issue:
    issue = selectors.issue_for_edit(pk)
    if issue is None:
        raise Http404
    return issue


def _issue_url(issue_pk: int, anchor: str = "") -> str:
    url = reverse("newsletter:issue", kwargs={"pk": issue_pk})
    return f"{url}#{anchor}" if anchor else url


def _posted(request):
    return request.POST if request.method == "POST" else None


@coordinator_required
def manage(request):
    """Every issue by number, with how many are drafts, scheduled, sending and sent."""
    page = paginate_keyset_request(
        request, selectors.issues_for_manage(), ordering=("-number", "-pk")
    )
    return render(
        request,
        "newsletter/manage.html",
        {"page": page, "status_counts": selectors.issue_status_counts()},
    )


@coordinator_required
@require_POST
def issue_new(request):
    try:
        issue = services.issue_start(actor=request.user)
    except services.IssueError as exc:
        messages.error(request, str(exc))
        return redirect("newsletter:manage")
    count = issue.items.count()
    messages.success(
        request,
        ngettext(
            "Issue #%(number)s is started with %(count)s item from what is new.",
            "Issue #%(number)s is started with %(count)s items from what is new.",
            count,
        )
        % {"number": issue.number, "count": count},
    )
    return redirect(_issue_url(issue.pk))


def _issue_page_context(request, issue: Issue, form=None, schedule_form=None) -> dict:
    editable = issue.status in services.EDITABLE
    delivering = issue.status in (Issue.Status.SENDING, Issue.Status.SENT)
    context = {
        "issue": issue,
        "editable": editable,
        "intro_html": "" if editable else render_markdown(issue.intro),
        "form": form if form is not None else forms.IssueForm(instance=issue),
        "schedule_form": schedule_form or forms.ScheduleForm(),
        "sections": selectors.issue_sections(issue, included_only=not editable),
    }
    if delivering:  # the sending part's progress and figures (newsletter/_partials/)
        context["progress"] = figures.issue_progress(issue)
        context["figures"] = figures.issue_figures(issue)
    return context


@coordinator_required
def issue_edit(request, pk):
    """The issue page: its subject and introduction, every item with include/drop and move
    buttons, and the ways to preview, test and send it. Read-only once it is sending."""
    issue = _issue_or_404(pk)
    form = None
    if request.method == "POST":
        form = forms.IssueForm(request.POST, instance=Issue.objects.get(pk=issue.pk))
        if form.is_valid():
            try:
                services.issue_update(
                    issue=issue,
                    actor=request.user,
                    subject=form.cleaned_data["subject"],
                    intro=form.cleaned_data["intro"],
                )
            except services.IssueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The subject and introduction are saved."))
            return redirect(_issue_url(issue.pk))
    return render(request, "newsletter/issue.html", _issue_page_context(request, issue, form))


@coordinator_required
@require_POST
def issue_refresh(request, pk):
    issue = _issue_or_404(pk)
    try:
        added = services.issue_refresh(issue=issue, actor=request.user)
    except services.IssueError as exc:
        messages.error(request, str(exc))
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "%(count)s new item was added to the draft.",
                    "%(count)s new items were added to the draft.",
                    added,
                )
                % {"count": added},
            )
        else:
            messages.info(request, _("Nothing new since the draft was made."))
    return redirect(_issue_url(issue.pk, "items"))


def _item_or_404(issue_pk: int, pk: int):
    item = selectors.item_get(issue_pk=issue_pk, pk=pk)
    if item is None:
        raise Http404
    return item


def _section_fragment(request, item, *, focus: str, announce: str):
    """The item's whole section, for htmx to swap in place, with the keyboard focus put back
    on the button that was pressed and a message for screen readers."""
    items = selectors.section_items(item)
    if focus in ("up", "down") and items:
        # At either end the button that was pressed is gone: focus the other one.
        if focus == "up" and items[0].pk == item.pk:
            focus = "down"
        elif focus == "down" and items[-1].pk == item.pk:
            focus = "up"
        if len(items) == 1:
            focus = "include"
    return render(
        request,
        "newsletter/_partials/issue_section_items.html",
        {
            "issue": item.issue,
            "section": selectors.IssueSection(item.section, item.get_section_display(), items),
            "editable": True,
            "focus": focus,
            "focus_pk": item.pk,
            "announce": announce,
        },
    )


@coordinator_required
@require_POST
def item_include(request, pk, item_pk):
    """Include (``included=1``) or drop (``included=0``) one item. Setting the value rather
    than toggling it means a double click or a resubmitted form does no harm."""
    item = _item_or_404(pk, item_pk)
    included = request.POST.get("included") == "1"
    try:
        services.item_set_included(item=item, actor=request.user, included=included)
    except services.IssueError as exc:
        messages.error(request, str(exc))
        return _redirect_htmx_aware(request, _issue_url(pk))
    if included:
        message = _("“%(title)s” is back in the issue.") % {"title": item.title}
    else:
        message = _("“%(title)s” is dropped.") % {"title": item.title}
    if request.htmx:
        return _section_fragment(request, item, focus="include", announce=message)
    messages.success(request, message)
    return redirect(_issue_url(pk, f"item-{item.pk}"))


@coordinator_required
@require_POST
def item_move(request, pk, item_pk):
    """Move one item up or down within its section."""
    item = _item_or_404(pk, item_pk)
    direction = request.POST.get("direction", "")
    try:
        services.item_move(item=item, actor=request.user, direction=direction)
    except services.IssueError as exc:
        messages.error(request, str(exc))
        return _redirect_htmx_aware(request, _issue_url(pk))
    if direction == "up":
        message = _("“%(title)s” moved up.") % {"title": item.title}
    else:
        message = _("“%(title)s” moved down.") % {"title": item.title}
    if request.htmx:
        return _section_fragment(request, item, focus=direction, announce=message)
    messages.success(request, message)
    return redirect(_issue_url(pk, f"item-{item.pk}"))


def _redirect_htmx_aware(request, url: str):
    """A redirect that htmx follows with a full page load (so the message is seen)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@coordinator_required
def item_edit(request, pk, item_pk):
    item = _item_or_404(pk, item_pk)
    if item.issue.status not in services.EDITABLE:
        messages.error(request, _("This issue has been sent, so it can no longer be changed."))
        return redirect(_issue_url(pk))
    form = forms.ItemForm(_posted(request), instance=item)
    if request.method == "POST" and form.is_valid():
        services.item_update(
            item=item,
            actor=request.user,
            title=form.cleaned_data["title"],
            summary=form.cleaned_data["summary"],
        )
        messages.success(request, _("The item is saved."))
        return redirect(_issue_url(pk, f"item-{item.pk}"))
    return render(
        request, "newsletter/item_form.html", {"issue": item.issue, "item": item, "form": form}
    )


@coordinator_required
def item_add(request, pk):
    issue = _issue_or_404(pk)
    if issue.status not in services.EDITABLE:
        messages.error(request, _("This issue has been sent, so it can no longer be changed."))
        return redirect(_issue_url(pk))
    form = forms.CustomItemForm(_posted(request), initial={"section": request.GET.get("section")})
    if request.method == "POST" and form.is_valid():
        item = services.item_add(issue=issue, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your item is added."))
        return redirect(_issue_url(pk, f"item-{item.pk}"))
    return render(request, "newsletter/item_form.html", {"issue": issue, "form": form})


@coordinator_required
def issue_preview(request, pk):
    """The email as HTML (in frames as wide as a phone and as a desktop mail program) and as
    plain text, exactly as a subscriber would get it, with sample personal links."""
    issue = _issue_or_404(pk)
    rendered = render_issue(issue)
    text, _html = _personalised_sample(request, rendered)
    return render(
        request,
        "newsletter/preview.html",
        {"issue": issue, "text": text, "subject": rendered.subject},
    )


def _personalised_sample(request, rendered):
    full_name = getattr(request.user, "full_name", "") or ""
    return personalise(
        rendered,
        name=full_name.split(" ")[0] if full_name else "",
        unsubscribe_url=request.build_absolute_uri("#preview-unsubscribe"),
        preferences_url=request.build_absolute_uri("#preview-preferences"),
    )


@xframe_options_sameorigin
@csp(
    {
        # The email, as mail programs show it: inline styles, no scripts, shown only in a
        # frame of this site's own preview page.
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
)
@coordinator_required
def issue_preview_html(request, pk):
    """The HTML email alone, for the preview page's frames."""
    issue = _issue_or_404(pk)
    _text, html = _personalised_sample(request, render_issue(issue))
    # Links open outside the little frame (the site's pages refuse to be framed).
    html = html.replace("<head>", '<head>\n<base target="_blank">', 1)
    return HttpResponse(html)
