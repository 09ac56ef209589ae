"""The directory: organisations for everyone, people for members, CSV for coordinators.

One view serves the whole page and, for an htmx request, only the results fragment. The filter
form is a plain GET form, so every filter and every chip also works without JavaScript.
"""

from __future__ import annotations

import csv
import time
from urllib.parse import quote, urlencode

from django.contrib.messages import get_messages
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format, number_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.pagination import carried as carried_in
from core.permissions import coordinator_required, is_coordinator, is_member, member_required
from members import cache as directory_cache
from members.forms import DirectoryFilterForm
from members.models import AreaServed
from members.selectors import directory as selectors

PER_PAGE = 20
# Counting stops here: "more than 1,000" is as useful as 45,115, and cheaper. The lists' own
# queries use the same cap to choose how to read a page, so they count it once.
COUNT_LIMIT = selectors.COUNT_CAP
FILTERS_FORM_ID = "directory-filters"
# The filters folded under "More filters" (open when one is in use), so that on a phone the
# results start soon after the search box and the postcode.
MORE_FILTERS = DirectoryFilterForm.ORGANISATION_FIELDS[2:]
# What an organisation's "Back to the directory" link may carry: the directory's own filters,
# nothing else, and not a page cursor (up to 2,000 characters, in each of 20 cards). A value is
# cut at the longest a filter takes (the search words), and a longer ``from`` is ignored.
RETURN_FIELDS = DirectoryFilterForm.ORGANISATION_FIELDS
RETURN_MAX_VALUE = 200
RETURN_MAX_CHARS = 3000


def directory_query(params) -> str:
    """The directory's filters in ``params`` (a QueryDict) as a query string: only the
    directory's own fields, each once, in a fixed order, empty ones left out. Result cards
    pass it to the organisation's page (``?from=``) so that "Back to the directory" returns to
    the same search; it depends only on the query, so the cached page stays the same for
    everyone who asks it (decision 0008)."""
    pairs = []
    for name in RETURN_FIELDS:
        value = params.get(name, "")
        if isinstance(value, str) and value.strip():
            pairs.append((name, value[:RETURN_MAX_VALUE]))
    return urlencode(pairs)


def directory_return_url(carried: str | None) -> str:
    """Where an organisation page's "Back to the directory" goes: the directory, with the
    search it was opened from (``?from=``) when there was one. Only the directory's own filters
    are kept from ``carried``, so the link can only ever lead to the directory."""
    url = reverse("members:directory")
    if not carried or len(carried) > RETURN_MAX_CHARS:
        return url
    try:
        query = directory_query(QueryDict(carried))
    except (ValueError, SuspiciousOperation):  # e.g. too many fields: not from our cards
        return url
    return f"{url}?{query}#results" if query else url


def _count_text(count: int) -> str:
    if count > COUNT_LIMIT:
        return _("More than %(limit)s organisations found") % {
            "limit": number_format(COUNT_LIMIT, force_grouping=True)
        }
    return ngettext("%(counter)s organisation found", "%(counter)s organisations found", count) % {
        "counter": count
    }


def _chip_labels() -> dict:
    return {
        "q": _("Search"),
        "near": _("Near"),
        "focus": _("Focus"),
        "audience": _("Works with"),
        "region": _("Where"),
        "area": _("Area served"),
        "size": _("Paid staff"),
    }


def _chips(request, form, filters: dict, terms) -> list[dict]:
    """One chip per active filter, each with a link that removes just that filter."""
    chips = []
    labels = _chip_labels()
    for name, value in filters.items():
        field = form.fields[name]
        if name in ("focus", "audience", "region"):
            kind = name
            term = terms.term(kind, value)
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
                "name": name,
                "label": labels.get(name, field.label),
                "value": shown,
                "remove_url": f"{request.path}?{encoded}" if encoded else request.path,
            }
        )
    return chips


def _respond(request, *, template: str, partial: str, context: dict):
    if _is_fragment(request):
        # The results, plus the form out of band so that it always shows the filters in force
        # and their messages (after a chip was removed, or a mistake fixed). htmx puts focus
        # back on the field or button with the same id, so nobody loses their place.
        context["refresh_form"] = True
        response = render(request, partial, context)
    else:
        response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _summary(text: str, limit: int = 220) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _describe(organisations, *, query: str = "") -> None:
    """Write each result card's HTML (``org.card_html``) here, once per page, rather than
    through template tags for each of the 20 cards: the list is the directory's hot loop, and
    template nodes cost some microseconds each where a join of escaped strings costs little.
    Every value from the database goes through ``escape``/``format_html``. ``query`` (from
    ``directory_query``) is passed to each organisation's page, for its link back here."""
    areas = {
        value: escape(_("%(area)s organisation") % {"area": label})
        for value, label in AreaServed.choices
    }
    focus_label = escape(_("Focus areas"))
    # One reverse() for the page rather than one per card (slugs need no quoting).
    url = reverse("members:organisation", kwargs={"slug": "slug"})
    head, tail = url[: url.rindex("slug")], url[url.rindex("slug") + 4 :]
    if query:
        tail += "?from=" + quote(query, safe="")
    for org in organisations:
        town = selectors.town_for(org.outcode)
        place = f"{town} ({org.outcode})" if town else org.outcode
        parts = ['<li class="result">']
        if org.logo:
            parts.append(
                format_html(
                    '<img class="result__logo" src="{}" alt="" width="64" height="64" '
                    'loading="lazy">',
                    org.logo.url,
                )
            )
        parts.append(
            format_html(
                '<h3 class="result__title"><a href="{}">{}</a></h3>',
                f"{head}{org.slug}{tail}",
                org.name,
            )
        )
        meta = []
        if getattr(org, "distance_km", None) is not None:
            distance = _("%(km)s km away") % {"km": number_format(org.distance_km, 1)}
            meta.append(f"<strong>{escape(distance)}</strong>")
        if place:
            meta.append(escape(place))
        meta.append(areas.get(org.area_served, ""))
        parts.append(f'<p class="result__meta">{" · ".join(meta)}</p>')
        summary = _summary(org.description)
        if summary:
            parts.append(f"<p>{escape(summary)}</p>")
        if org.focus_list:
            tags = "".join(f'<li class="tag">{escape(t.name)}</li>' for t in org.focus_list)
            parts.append(f'<ul class="tags" aria-label="{focus_label}">{tags}</ul>')
        if org.is_stale:
            stale = _("Details not confirmed since %(date)s") % {
                "date": date_format(timezone.localtime(org.last_confirmed_at), "F Y")
            }
            parts.append(f'<p class="stale-note">{escape(stale)}</p>')
        parts.append("</li>")
        org.card_html = mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


def _is_fragment(request) -> bool:
    htmx = request.htmx
    return bool(htmx and not htmx.boosted and not htmx.history_restore_request)


def _directory_response(request, *, kind: str, html: str, has_filters: bool):
    if kind == "page":
        response = render(
            request, "members/directory.html", {"main": html, "has_filters": has_filters}
        )
    else:  # a fragment, or a whole page as a visitor sees it
        response = HttpResponse(html)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# A visitor's page around the results is the same for every query (no name, no CSRF token, no
# message: ``_cache_kind``), so it is drawn once per process, language and title, and each
# visitor's page is that shell with the main block put in. Settings and static file names only
# change with a restart, which starts a new process.
_MAIN_MARK = "<!--coalition:directory-main-->"
_visitor_shells: dict[tuple, tuple[str, str]] = {}


def _visitor_page(request, main: str, has_filters: bool) -> SafeString:
    key = (get_language(), has_filters)
    shell = _visitor_shells.get(key)
    if shell is None:
        page = render_to_string(
            "members/directory.html",
            {"main": SafeString(_MAIN_MARK), "has_filters": has_filters},
            request=request,
        )
        before, _mark, after = page.partition(_MAIN_MARK)
        shell = (before, after)
        if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # nothing personal in it
            _visitor_shells[key] = shell
    return SafeString(shell[0] + main + shell[1])


def _cache_kind(request, fragment: bool) -> str:
    """What of the response can be kept: the fragment; the whole page for a visitor with no
    message waiting (it then has nothing personal: no name, no CSRF token); else the main block
    (the header, with the viewer's links and messages, is drawn afresh)."""
    if fragment:
        return "fragment"
    if not request.user.is_authenticated and not len(get_messages(request)):
        return "whole"
    return "page"


def _count_carry(found, request, *, version: int | None, filters: dict) -> dict | None:
    """The count, carried in the page's links so that the next page need not count again.

    Counting a common word's matches is a search page's costliest query, and it is the same on
    every page of a list. So a page's "next" and "previous" cursors carry its count, when it
    was counted, and a digest of what it was counted for: the data version (any write to the
    directory changes it), the filters and the count limit, keyed with the site's secret so the
    version itself is not shown. A page reached by such a link uses the count only if the
    digest still matches and it was counted no longer ago than the directory's cache keeps a
    page (``DIRECTORY_CACHE_SECONDS``), which bounds changes no version sees (a rebuilt search
    index, a restored backup). Without a version (coordinators, inside a transaction, the cache
    turned off) every page counts."""
    if version is None:
        return None
    described = repr((version, COUNT_LIMIT, sorted((k, str(v)) for k, v in filters.items())))
    counted_for = salted_hmac("members.directory.count", described).hexdigest()[:16]
    carried = carried_in(request.GET.get("cursor"), found.ordering)
    count, counted_at, now = carried.get("count"), carried.get("at"), int(time.time())
    if (
        carried.get("for") == counted_for
        and isinstance(count, int)
        and 0 <= count <= COUNT_LIMIT + 1
        and isinstance(counted_at, int)
        and 0 <= now - counted_at <= directory_cache.seconds()
    ):
        found.known_count(COUNT_LIMIT, count)
        now = counted_at  # the count is as old as when it was counted
    return {"count": found.count(COUNT_LIMIT), "at": now, "for": counted_for}


def directory(request):
    """Member organisations: search, filters, "near a postcode", pages of 20.

    What it renders for a query is cached until any organisation or the taxonomy changes
    (``members.cache``); coordinators always get a fresh page."""
    fragment = _is_fragment(request)
    coordinator = is_coordinator(request.user)
    version = None if coordinator else directory_cache.data_version()
    cache_key = None
    kind = _cache_kind(request, fragment)
    if version is not None:
        cache_key = directory_cache.key(
            request,
            version=version,
            kind=kind,
            member=is_member(request.user),
            htmx=bool(request.htmx),
        )
        hit = directory_cache.get(cache_key)
        if hit is not None and isinstance(hit[0], SafeString):
            html, has_filters = hit
            return _directory_response(request, kind=kind, html=html, has_filters=has_filters)

    terms = selectors.taxonomy(version=version)
    form = DirectoryFilterForm(request.GET, taxonomy=terms)
    filters = form.valid_filters()
    found = selectors.organisations_directory(viewer=request.user, filters=filters, terms=terms)
    carry = _count_carry(found, request, version=version, filters=filters)
    page = found.page(request, per_page=PER_PAGE, carry=carry)
    selectors.attach_focus_areas(page.object_list, terms)
    _describe(page.object_list, query=directory_query(request.GET))
    export_query = request.GET.copy()
    export_query.pop("cursor", None)
    count = found.count(COUNT_LIMIT)
    context = {
        "form": form,
        "form_id": FILTERS_FORM_ID,
        "page": page,
        "count": count,
        "count_text": _count_text(count),
        "filters": filters,
        "has_filters": bool(filters),
        "more_filters": MORE_FILTERS,
        "more_filters_open": any(n in filters or n in form.errors for n in MORE_FILTERS),
        "chips": _chips(request, form, filters, terms),
        "near": found.near,
        "list_kind": "organisations",
        "can_export": coordinator,
        "export_query": export_query.urlencode(),
        # A fragment brings the form out of band too (see ``_respond``).
        "refresh_form": fragment,
    }
    template = (
        "members/_partials/directory_results.html"
        if fragment
        else "members/_partials/directory_main.html"
    )
    html = render_to_string(template, context, request=request)
    has_filters = bool(filters)
    if kind == "whole":
        html = _visitor_page(request, html, has_filters)
        response = _directory_response(request, kind=kind, html=html, has_filters=has_filters)
    else:
        response = _directory_response(request, kind=kind, html=html, has_filters=has_filters)
    # A page that asked for a CSRF token has something personal in it: never keep that.
    if cache_key is not None and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        directory_cache.put(cache_key, (html, has_filters))
    return response


@member_required
def people(request):
    """Individual members whose pages the viewer may see (members only)."""
    terms = selectors.taxonomy()
    form = DirectoryFilterForm(
        request.GET, taxonomy=terms, fields=DirectoryFilterForm.PEOPLE_FIELDS
    )
    filters = form.valid_filters()
    found = selectors.people_directory(viewer=request.user, filters=filters, terms=terms)
    page = found.page(request, per_page=PER_PAGE)
    page.object_list = selectors.people_cards(viewer=request.user, people=page.object_list)
    context = {
        "form": form,
        "form_id": FILTERS_FORM_ID,
        "page": page,
        "count": found.count(COUNT_LIMIT),
        "count_limit": COUNT_LIMIT,
        "count_limit_text": number_format(COUNT_LIMIT, force_grouping=True),
        "filters": filters,
        "chips": _chips(request, form, filters, terms),
        "list_kind": "people",
    }
    return _respond(
        request,
        template="members/people.html",
        partial="members/_partials/people_results.html",
        context=context,
    )


class _Echo:
    def write(self, value):
        return value


# Spreadsheets run cells that start with these as formulas; a leading quote stops that.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@coordinator_required
def export_csv(request):
    """The filtered directory as CSV, every column (coordinators only; audited)."""
    terms = selectors.taxonomy()
    form = DirectoryFilterForm(request.GET, taxonomy=terms)
    filters = form.valid_filters()
    found = selectors.organisations_directory(
        viewer=request.user, filters=filters, terms=terms, for_export=True
    )
    queryset = found.queryset.order_by(*found.ordering)
    audit_log(
        actor=request.user,
        action="members.directory.export",
        filters={k: str(v) for k, v in filters.items()},
    )
    header = [
        _("Name"),
        _("Directory page"),
        _("Website"),
        _("Public email"),
        _("Public phone"),
        _("Address"),
        _("Postcode"),
        _("Area served"),
        _("Nations and regions"),
        _("Focus areas"),
        _("Who they work with"),
        _("Paid staff"),
        _("Yearly turnover"),
        _("Charity number"),
        _("Company number"),
        _("Joined"),
        _("Details last confirmed"),
    ]
    if found.near:
        header.append(_("Distance (km)"))
    base = request.build_absolute_uri("/")[:-1]

    def rows():
        writer = csv.writer(_Echo())
        yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8
        yield writer.writerow(header)
        for org in queryset.iterator(chunk_size=1000):
            confirmed = org.last_confirmed_at
            row = [
                org.name,
                base + org.get_absolute_url(),
                org.website,
                org.email,
                org.phone,
                " ".join(org.address.split()),
                org.postcode,
                org.get_area_served_display(),
                "; ".join(t.name for t in org.regions.all()),
                "; ".join(t.name for t in org.focus_areas.all()),
                "; ".join(t.name for t in org.audiences.all()),
                org.get_staff_size_display(),
                org.get_turnover_display(),
                org.charity_number,
                org.company_number,
                org.created_at.date().isoformat(),
                confirmed.date().isoformat() if confirmed else "",
            ]
            if found.near:
                row.append(f"{org.distance_km:.1f}")
            yield writer.writerow([_cell(v) for v in row])

    filename = f"members-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
