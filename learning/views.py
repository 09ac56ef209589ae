"""The library's pages. Views are thin: parse the form, call a selector or one service, render.

The list serves the whole page and, for an htmx request, only the results fragment; the filter
form is a plain GET form, so everything works without JavaScript. Files are served only by
:func:`download`, which checks who is asking; they are never under MEDIA_URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pagination import paginate_keyset_request
from core.permissions import coordinator_required, is_coordinator, member_required
from learning import selectors, services
from learning.forms import (
    LibraryFilterForm,
    RejectForm,
    ReportForm,
    ResourceForm,
    ThemeForm,
    resource_initial,
)
from learning.models import Report, Resource, ResourceStatus, Theme

PER_PAGE = 20
FILTERS_FORM_ID = "library-filters"


def _chips(request, form, filters: dict, terms) -> list[dict]:
    """One chip per filter in use, each linking to the list without just that filter."""
    chips = []
    for name, value in filters.items():
        field = form.fields[name]
        if name in ("theme", "focus", "audience"):
            term = terms.term(name, value)
            shown = term.name if term else value
        elif hasattr(field, "choices"):
            shown = dict(field.choices).get(value, value)
        else:
            shown = value
        query = request.GET.copy()
        query.pop(name, None)
        query.pop("cursor", None)
        encoded = query.urlencode()
        chips.append(
            {
                "label": field.label,
                "value": shown,
                "remove_url": f"{request.path}?{encoded}" if encoded else request.path,
            }
        )
    return chips


def library(request):
    """Every published resource the viewer may see: search, filters, sorting, pages of 20."""
    terms = selectors.terms()
    form = LibraryFilterForm(request.GET, terms=terms)
    filters = form.valid_filters()
    found = selectors.resources_library(viewer=request.user, filters=filters, terms=terms)
    page = paginate_keyset_request(
        request, found.queryset, ordering=found.ordering, per_page=PER_PAGE
    )
    context = {
        "form": form,
        "form_id": FILTERS_FORM_ID,
        "page": page,
        "count": found.queryset.count(),
        "filters": filters,
        "chips": _chips(request, form, filters, terms),
        "themes": terms.themes,
    }
    htmx = request.htmx
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        context["refresh_form"] = True
        response = render(request, "learning/_partials/results.html", context)
    else:
        response = render(request, "learning/library.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def detail(request, slug):
    resource = selectors.resource_for_page(viewer=request.user, slug=slug)
    if resource is None:
        raise Http404
    context = {
        "resource": resource,
        "related": selectors.related_resources(viewer=request.user, resource=resource),
        "can_review": is_coordinator(request.user) and resource.status == ResourceStatus.PENDING,
        "can_edit": selectors.can_edit_resource(request.user, resource),
        "reject_form": RejectForm(),
    }
    return render(request, "learning/detail.html", context)


def download(request, slug):
    """The resource's file, to whoever may see the resource, and to nobody else."""
    resource = selectors.resource_for_page(viewer=request.user, slug=slug)
    if resource is None or not resource.file:
        raise Http404
    try:
        handle = resource.file.storage.open(resource.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=resource.file_name,
        content_type=resource.file_content_type or "application/octet-stream",
    )
    # Members-only files must not sit in a shared cache.
    patch_cache_control(response, private=True, no_store=resource.visibility != "public")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_required
def submit(request):
    """A member shares a resource or case study; it waits for approval unless they are trusted."""
    posted = request.method == "POST"
    form = ResourceForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if posted and form.is_valid():
        resource = services.resource_submit(
            submitted_by=request.user,
            data=form.service_data(),
            upload=form.cleaned_data.get("file"),
            content_type=form.content_type,
        )
        if resource.is_published:
            messages.success(request, _("Thank you. Your resource is published."))
        else:
            messages.success(
                request,
                _("Thank you. A coordinator will check your resource and publish it soon."),
            )
        return redirect(resource)
    return render(
        request,
        "learning/submit.html",
        {"form": form, "publishes_directly": services.can_publish_directly(request.user)},
    )


@member_required
def edit(request, slug):
    """Change a resource: its author while it is a draft or waiting (it goes back to the
    queue), coordinators at any time."""
    resource = selectors.resource_for_page(viewer=request.user, slug=slug)
    if resource is None or not selectors.can_edit_resource(request.user, resource):
        raise Http404
    posted = request.method == "POST"
    form = ResourceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        has_file=bool(resource.file),
        initial=resource_initial(resource),
    )
    if posted and form.is_valid():
        data = form.service_data()
        if "organisations" not in form.fields:
            data.pop("organisations")  # not theirs to change: they belong to none of them
        resource = services.resource_update(
            resource=resource,
            by=request.user,
            data=data,
            upload=form.cleaned_data.get("file"),
            content_type=form.content_type,
            remove_file=bool(form.cleaned_data.get("remove_file")),
        )
        if resource.status == ResourceStatus.PENDING and not is_coordinator(request.user):
            messages.success(
                request, _("Your changes are saved. A coordinator will check them soon.")
            )
        else:
            messages.success(request, _("Your changes are saved."))
        return redirect(resource)
    return render(request, "learning/edit.html", {"form": form, "resource": resource})


@member_required
def mine(request):
    return render(
        request, "learning/mine.html", {"resources": selectors.resources_submitted_by(request.user)}
    )


@member_required
def report(request, slug):
    resource = selectors.resource_for_page(viewer=request.user, slug=slug)
    if resource is None:
        raise Http404
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.report_create(
            resource=resource,
            reported_by=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Thank you. A coordinator will look at it."))
        return redirect(resource)
    return render(request, "learning/report.html", {"resource": resource, "form": form})


def themes(request):
    return render(request, "learning/themes.html", {"themes": list(Theme.objects.all())})


def theme(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    case_studies = selectors.theme_resources(viewer=request.user, theme=theme, case_studies=True)
    others = selectors.theme_resources(viewer=request.user, theme=theme, case_studies=False)
    page = paginate_keyset_request(
        request, others, ordering=("-published_on", "-pk"), per_page=PER_PAGE
    )
    return render(
        request,
        "learning/theme.html",
        {
            "theme": theme,
            "case_studies": list(case_studies.order_by("-published_on", "-pk")[: PER_PAGE + 1]),
            "page": page,
            "per_page": PER_PAGE,
        },
    )


@coordinator_required
def queue(request):
    return render(request, "learning/queue.html", selectors.review_queue())


@coordinator_required
def theme_gaps(request):
    return render(request, "learning/theme_gaps.html", {"themes": selectors.theme_gaps()})


@coordinator_required
def theme_edit(request, slug=None):
    """Coordinators add a theme to the framework or reword one."""
    theme = get_object_or_404(Theme, slug=slug) if slug else Theme()
    form = ThemeForm(request.POST if request.method == "POST" else None, instance=theme)
    if request.method == "POST" and form.is_valid():
        theme = services.theme_save(theme=form.save(commit=False), by=request.user)
        messages.success(request, _("“%(name)s” is saved.") % {"name": theme.name})
        return redirect(theme)
    return render(request, "learning/theme_edit.html", {"form": form, "theme": theme})


@coordinator_required
@require_POST
def approve(request, slug):
    resource = get_object_or_404(Resource, slug=slug)
    services.resource_approve(resource=resource, by=request.user)
    messages.success(request, _("“%(title)s” is published.") % {"title": resource.title})
    return redirect("learning:queue")


@coordinator_required
@require_POST
def reject(request, slug):
    resource = get_object_or_404(Resource, slug=slug)
    form = RejectForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.resource_reject(resource=resource, by=request.user, note=note)
    messages.success(
        request, _("“%(title)s” was sent back to its author.") % {"title": resource.title}
    )
    return redirect("learning:queue")


@coordinator_required
@require_POST
def report_resolve(request, pk):
    report = get_object_or_404(Report, pk=pk)
    services.report_resolve(report=report, by=request.user)
    messages.success(request, _("The report is closed."))
    return redirect("learning:queue")
