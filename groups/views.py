"""Group pages. Each view checks permission (``groups.permissions``), parses its form, calls one
service or selector, and renders or redirects. Everything works as plain HTML forms; for an htmx
request the same view answers with only the fragment that changed (``_partials/``): a reply
appended in place, join and leave, the report form under a post, a moderation queue row, the
next page of a group's threads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.markdown import render_markdown
from core.pagination import DEFAULT_PER_PAGE, paginate_keyset_request
from core.permissions import coordinator_required, is_coordinator, member_required
from groups import forms, rendering, selectors, services
from groups import permissions as perms
from groups.models import (
    Attachment,
    Challenge,
    Group,
    Membership,
    MembershipStatus,
    Reply,
    Report,
    Thread,
)

THREAD_ORDERING = ("-is_pinned", "-last_activity_at", "-pk")
REPLY_ORDERING = ("created_at", "pk")
# As every other list on the site (and Discourse's 20 posts per load): a page of a long thread
# reads comfortably on a phone and costs little to serve.
REPLIES_PER_PAGE = DEFAULT_PER_PAGE


def _posted(request):
    return request.POST if request.method == "POST" else None


def _group(request, slug) -> Group:
    return perms.access_group(request.user, get_object_or_404(Group, slug=slug))


def _thread(request, pk) -> Thread:
    # The event or library entry a thread links to (few do) is read when it is shown: four
    # joins of wide rows cost every thread page more than the occasional extra query.
    thread = get_object_or_404(Thread.objects.select_related("group", "author"), pk=pk)
    perms.access_thread(request.user, thread)
    return thread


def _reply(request, pk) -> Reply:
    reply = get_object_or_404(Reply.objects.select_related("thread__group", "author"), pk=pk)
    perms.access_thread(request.user, reply.thread)
    if not perms.can_see_post(request.user, reply, reply.thread.group):
        raise Http404
    return reply


def _fail(request, error):
    messages.error(request, str(error))


def _htmx(request) -> bool:
    """An htmx request for a fragment (not a boosted page load or a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _fragment(request, template: str, context: dict, status: int = 200):
    """Render ``template``; the same URL answers with a page or a fragment, so caches are
    told to keep them apart."""
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _rate_limited_status(request, error) -> int:
    # htmx swaps only 2xx answers; a plain form post hears 429 Too Many Requests.
    return 429 if isinstance(error, services.RateLimited) and not _htmx(request) else 200


# --- Groups ---------------------------------------------------------------------------------


@member_required
def group_list(request):
    groups = selectors.groups_listed_for(request.user)
    return render(
        request,
        "groups/list.html",
        {
            "groups": groups,
            "search_form": forms.SearchForm(),
            "unread": selectors.unread_count(request.user),
        },
    )


@member_required
def group_detail(request, slug):
    group = _group(request, slug)
    can_read = perms.can_read(request.user, group)
    page = None
    if can_read:
        page = paginate_keyset_request(
            request, selectors.group_threads(request.user, group), ordering=THREAD_ORDERING
        )
        items = rendering.thread_items(page)
        if _htmx(request) and request.htmx.target == "threads":
            # "More threads": the next page's threads, appended to the list.
            return _fragment(
                request,
                "groups/_partials/thread_page.html",
                {"page": page, "thread_items": items},
            )
    return _fragment(
        request,
        "groups/detail.html",
        {
            **_membership_context(request, group),
            "page": page,
            "thread_items": items if page is not None else [],
            "can_read": can_read,
            "purpose_html": render_markdown(group.purpose),
            **selectors.group_sidebar(group),
        },
    )


def _membership_context(request, group) -> dict:
    return {
        "group": group,
        "membership": perms.membership_for(request.user, group),
        "is_group_member": perms.is_group_member(request.user, group),
        "can_moderate": perms.can_moderate(request.user, group),
    }


def _membership_changed(request, group, could_read: bool, fallback: str):
    """After join or leave: htmx swaps the buttons in place, unless what the person may read
    has changed (a closed or private group), when the whole page must load again."""
    if not _htmx(request):
        return redirect(fallback)
    group.__dict__.pop("_membership_cache", None)
    if perms.can_read(request.user, group) != could_read:
        return HttpResponseClientRedirect(fallback)
    return _fragment(
        request, "groups/_partials/membership.html", _membership_context(request, group)
    )


def _group_form_page(request, group):
    initial = {"kind": "open"}
    if group is not None:
        initial = {
            "name": group.name, "purpose": group.purpose, "kind": group.kind,
            "is_cohort": group.is_cohort, "hold_first_posts": group.hold_first_posts,
            "events": list(group.events.values_list("pk", flat=True)),
        }  # fmt: skip
    form = forms.GroupForm(
        _posted(request), initial=initial, events=selectors.group_events_choices(group)
    )
    if form.is_valid():
        group = services.group_save(actor=request.user, group=group, data=form.cleaned_data)
        messages.success(request, _("The group is saved."))
        return redirect(group)
    return render(
        request, "groups/form_page.html",
        {"form": form, "back": group, "button": _("Save"),
         "title": _("Create a group") if group is None else _("Change the group")},
    )  # fmt: skip


@coordinator_required
def group_new(request):
    return _group_form_page(request, None)


@member_required
def group_edit(request, slug):
    group = _group(request, slug)
    if not perms.can_moderate(request.user, group):
        raise PermissionDenied
    return _group_form_page(request, group)


@member_required
@require_POST
def group_join(request, slug):
    group = _group(request, slug)
    could_read = perms.can_read(request.user, group)
    try:
        membership = services.group_join(user=request.user, group=group)
    except services.GroupError as error:
        _fail(request, error)
    else:
        if membership.status == MembershipStatus.ACTIVE:
            messages.success(request, _("You have joined %(group)s.") % {"group": group.name})
        else:
            messages.success(request, _("You have asked to join. A host will reply soon."))
    return _membership_changed(request, group, could_read, group.get_absolute_url())


@member_required
@require_POST
def group_leave(request, slug):
    group = _group(request, slug)
    could_read = perms.can_read(request.user, group)
    services.group_leave(user=request.user, group=group)
    messages.success(request, _("You have left %(group)s.") % {"group": group.name})
    return _membership_changed(request, group, could_read, reverse("groups:list"))


@member_required
def group_members(request, slug):
    """The group's people, for its hosts, and two ways to invite: by name, choosing from
    members the host may see, or by any email address, with the same answer whoever (if
    anyone) uses it, so the form never tells a host whose a hidden address is."""
    group = _group(request, slug)
    if not perms.can_moderate(request.user, group):
        raise PermissionDenied
    posted = _posted(request)
    by_name = posted is not None and "person" in posted
    form = forms.InviteForm(None if by_name else posted)
    if by_name:
        person_form = forms.InvitePersonForm(
            posted, people=selectors.invitable_people(request.user)
        )
        if person_form.is_valid():
            person = person_form.cleaned_data["person"]
            try:
                services.group_invite(actor=request.user, group=group, user=person)
            except services.GroupError as error:
                _fail(request, error)
            else:
                messages.success(request, _("%(name)s is invited.") % {"name": person})
                return redirect("groups:members", slug=group.slug)
        else:
            _fail(request, _("Choose a member from the list."))
    elif form.is_valid():
        services.group_invite_by_email(
            actor=request.user, group=group, email=form.cleaned_data["email"]
        )
        messages.success(
            request,
            _("If a member of the network uses that address, we have sent them an invitation."),
        )
        return redirect("groups:members", slug=group.slug)
    search_form = forms.InviteSearchForm(request.GET or None)
    q = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    invitations, more_invitations = selectors.group_email_invitations(request.user, group)
    return render(
        request,
        "groups/members.html",
        {
            "group": group,
            "memberships": selectors.group_members(request.user, group),
            "form": form,
            "search_form": search_form,
            "q": q,
            "candidates": selectors.invite_candidates(request.user, q),
            "invitations": invitations,
            "more_invitations": more_invitations,
        },
    )


@member_required
@require_POST
def membership_action(request, slug, pk, action):
    if action not in ("approve", "remove"):
        raise Http404
    group = _group(request, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("group", "user"), pk=pk, group=group
    )
    try:
        if action == "approve":
            services.membership_approve(actor=request.user, membership=membership)
        else:
            services.member_remove(actor=request.user, membership=membership)
    except services.GroupError as error:
        raise PermissionDenied(str(error)) from None
    messages.success(request, _("Done."))
    if request.POST.get("next") == "queue":
        return redirect("groups:queue")
    return redirect("groups:members", slug=group.slug)


@member_required
def group_emails(request, slug):
    group = _group(request, slug)
    if not perms.is_group_member(request.user, group):
        raise PermissionDenied
    if group.is_network_wide:
        current = services.person_settings(request.user).network_frequency
    else:
        current = perms.membership_for(request.user, group).email_frequency
    form = forms.FrequencyForm(_posted(request), initial={"frequency": current})
    if form.is_valid():
        services.membership_frequency_set(
            user=request.user, group=group, frequency=form.cleaned_data["frequency"]
        )
        messages.success(request, _("Your email choice is saved."))
        return redirect(group)
    return render(
        request,
        "groups/form_page.html",
        {"form": form, "title": _("Emails from %(group)s") % {"group": group.name}, "back": group,
         "button": _("Save")},
    )  # fmt: skip


# --- Threads --------------------------------------------------------------------------------


@member_required
def thread_new(request, slug):
    group = _group(request, slug)
    if not perms.can_post(request.user, group):
        raise PermissionDenied
    form = forms.ThreadForm(
        _posted(request), request.FILES or None, events=selectors.linkable_events(request.user),
        resources=selectors.linkable_resources(request.user),
        initial={"kind": request.GET.get("kind", "discussion")},
    )  # fmt: skip
    if form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_create(
                author=request.user, group=group, title=data["title"], body=data["body"],
                kind=data["kind"], event=data["event"], resource=data["resource"],
                resource_url=data["resource_url"],
                attachments=data["attachments"],
            )  # fmt: skip
        except services.GroupError as error:
            # Too many posts, or no longer a member: say so above the form, keep the text.
            form.add_error(None, str(error))
            return render(
                request, "groups/thread_form.html", {"form": form, "group": group},
                status=_rate_limited_status(request, error),
            )  # fmt: skip
        else:
            if thread.is_held:
                messages.success(request, _("Thank you. A host will check your first post soon."))
            else:
                messages.success(request, _("Your thread is posted."))
            return redirect(thread)
    return render(request, "groups/thread_form.html", {"form": form, "group": group})


@member_required
def thread_detail(request, pk):
    thread = _thread(request, pk)
    page = paginate_keyset_request(
        request, selectors.thread_replies(request.user, thread), ordering=REPLY_ORDERING,
        per_page=REPLIES_PER_PAGE,
    )  # fmt: skip
    initial = {}
    quote_pk = request.GET.get("quote", "")
    if quote_pk.isdigit():
        quoted = Reply.objects.filter(
            pk=int(quote_pk), thread=thread, is_hidden=False, is_held=False
        ).first()
        if quoted:
            initial = {
                "quote": quoted.pk,
                "body": "> " + quoted.body.replace("\n", "\n> ") + "\n\n",
            }
    replies = list(page)
    thread_attachments = selectors.attach_post_attachments(thread, replies)
    links = services.mention_links(
        request.user, services.mention_people([thread.body, *(r.body for r in replies)])
    )
    context = _thread_context(request, thread)
    renderer = _reply_renderer(request, context)
    for reply in replies:
        reply.html = services.render_post(reply.body, links, reply.body_html)
    return _fragment(
        request,
        "groups/thread.html",
        {
            **context,
            "page": page,
            "replies_html": [renderer.render(reply) for reply in replies],
            "thread_meta": rendering.post_meta(thread, renderer.words),
            "body_html": services.render_post(thread.body, links, thread.body_html),
            "attachments_html": renderer.attachments(thread_attachments),
            "reply_form": forms.ReplyForm(initial=initial),
            # Replies are added in place only where the newest ones are shown.
            "live_replies": not page.has_next,
        },
    )


def _reply_renderer(request, context: dict) -> rendering.ReplyRenderer:
    return rendering.ReplyRenderer(
        request,
        context["thread"],
        can_post=context["can_post"],
        can_moderate=context["can_moderate"],
        can_accept=context["can_accept"],
    )


def _thread_context(request, thread) -> dict:
    group = thread.group
    return {
        "thread": thread,
        "group": group,
        "can_post": perms.can_post(request.user, group)
        and (not thread.is_locked or perms.can_moderate(request.user, group)),
        "can_moderate": perms.can_moderate(request.user, group),
        "can_accept": thread.kind == "question"
        and (thread.author_id == request.user.pk or perms.can_moderate(request.user, group)),
    }


@member_required
@require_POST
def reply_new(request, pk):
    """Post a reply. Without JavaScript: redirect to it (or the form again, with what was
    typed and what is wrong). With htmx: a fresh form, the reply appended to the list."""
    thread = _thread(request, pk)
    form = forms.ReplyForm(request.POST, request.FILES or None)
    status = 200
    if form.is_valid():
        quoted = None
        if form.cleaned_data.get("quote"):
            quoted = Reply.objects.filter(pk=form.cleaned_data["quote"], thread=thread).first()
        try:
            reply = services.reply_create(
                author=request.user, thread=thread, body=form.cleaned_data["body"], quoted=quoted,
                attachments=form.cleaned_data["attachments"],
            )  # fmt: skip
        except services.GroupError as error:
            form.add_error(None, str(error))
            status = _rate_limited_status(request, error)
        else:
            if reply.is_held:
                messages.success(request, _("Thank you. A host will check your first post soon."))
            else:
                messages.success(request, _("Your reply is posted."))
            if not _htmx(request):
                return redirect(reply)
            thread.refresh_from_db(fields=["reply_count"])
            links = services.mention_links(request.user, services.mention_people([reply.body]))
            reply.html = services.render_post(reply.body, links, reply.body_html)
            context = _thread_context(request, thread)
            return _fragment(
                request, "groups/_partials/reply_posted.html",
                {**context, "reply_html": _reply_renderer(request, context).render(reply),
                 "live": True, "reply_form": forms.ReplyForm()},
            )  # fmt: skip
    if _htmx(request):
        return _fragment(
            request, "groups/_partials/reply_form.html",
            {**_thread_context(request, thread), "reply_form": form, "live": True},
        )  # fmt: skip
    return render(
        request,
        "groups/form_page.html",
        {"form": form, "title": _("Reply to %(title)s") % {"title": thread.title}, "back": thread,
         "button": _("Post reply"), "multipart": True},
        status=status,
    )  # fmt: skip


@member_required
def thread_edit(request, pk):
    thread = _thread(request, pk)
    if not perms.can_edit_post(request.user, thread):
        raise PermissionDenied
    form = forms.ThreadEditForm(
        _posted(request), initial={"title": thread.title, "body": thread.body}
    )
    if form.is_valid():
        services.thread_edit(user=request.user, thread=thread, **form.cleaned_data)
        messages.success(request, _("Your changes are saved."))
        return redirect(thread)
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Edit your post"), "back": thread, "button": _("Save changes")},
    )  # fmt: skip


@member_required
def reply_edit(request, pk):
    reply = _reply(request, pk)
    if not perms.can_edit_post(request.user, reply):
        raise PermissionDenied
    form = forms.ReplyEditForm(_posted(request), initial={"body": reply.body})
    if form.is_valid():
        services.reply_edit(user=request.user, reply=reply, body=form.cleaned_data["body"])
        messages.success(request, _("Your changes are saved."))
        return redirect(reply)
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Edit your reply"), "back": reply.thread, "button": _("Save changes")},
    )  # fmt: skip


@member_required
@require_POST
def reply_accept(request, pk):
    reply = _reply(request, pk)
    try:
        services.reply_accept(user=request.user, reply=reply)
    except services.GroupError as error:
        raise PermissionDenied(str(error)) from None
    messages.success(request, _("Marked as the answer."))
    return redirect(reply)


# --- Moderation -----------------------------------------------------------------------------


@member_required
@require_POST
def thread_moderate(request, pk):
    thread = _thread(request, pk)
    try:
        services.thread_moderate(
            actor=request.user, thread=thread, action=request.POST.get("action", "")
        )
    except services.GroupError as error:
        raise PermissionDenied(str(error)) from None
    if row := _queue_row(request, request.POST.get("action", "")):
        return row
    messages.success(request, _("Done."))
    if request.POST.get("next") == "queue":
        return redirect("groups:queue")
    return redirect(thread)


@member_required
def thread_move(request, pk):
    thread = _thread(request, pk)
    if not perms.can_moderate(request.user, thread.group):
        raise PermissionDenied
    hosted = [
        g.pk
        for g in Group.objects.exclude(pk=thread.group_id)
        if perms.can_moderate(request.user, g)
    ]
    form = forms.MoveForm(_posted(request), groups=Group.objects.filter(pk__in=hosted))
    if form.is_valid():
        services.thread_move(actor=request.user, thread=thread, group=form.cleaned_data["group"])
        messages.success(request, _("The thread is moved."))
        return redirect(thread)
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Move this thread"), "back": thread, "button": _("Move")},
    )  # fmt: skip


@member_required
@require_POST
def reply_moderate(request, pk):
    reply = _reply(request, pk)
    try:
        services.reply_moderate(
            actor=request.user, reply=reply, action=request.POST.get("action", "")
        )
    except services.GroupError as error:
        raise PermissionDenied(str(error)) from None
    if row := _queue_row(request, request.POST.get("action", "")):
        return row
    messages.success(request, _("Done."))
    if request.POST.get("next") == "queue":
        return redirect("groups:queue")
    return redirect(reply.thread)


def _queue_row(request, action: str, pk=None):
    """For htmx from the moderation queue: the report's row, saying what was just done."""
    pk = pk or request.POST.get("report", "")
    if not _htmx(request) or not str(pk).isdigit():
        return None
    report = (
        Report.objects.select_related("thread__group", "thread__author", "reply__author")
        .filter(pk=int(pk))
        .first()
    )
    if report is None or not perms.can_moderate(request.user, report.thread.group):
        return None
    done = {
        "hide": _("The post is hidden."),
        "restore": _("The post is shown again."),
        "dismiss": _("The report is dismissed."),
    }.get(action, _("Done."))
    return _fragment(
        request, "groups/_partials/queue_report.html", {"report": report, "done": done}
    )


def _report(request, thread, reply):
    """The report form: a page of its own, or (htmx) in place under the post."""
    slot = f"report-reply-{reply.pk}" if reply else f"report-thread-{thread.pk}"
    form = forms.ReportForm(_posted(request), prefix=slot)
    status = 200
    if form.is_valid():
        try:
            services.report_create(
                reporter=request.user, thread=thread, reply=reply,
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except services.RateLimited as error:
            form.add_error(None, str(error))
            status = _rate_limited_status(request, error)
        else:
            if _htmx(request):
                return _fragment(request, "groups/_partials/report_done.html", {})
            messages.success(request, _("Thank you. A host will look at this post."))
            return redirect(thread)
    if _htmx(request):
        if request.method == "GET":
            form.fields["reason"].widget.attrs["autofocus"] = True
        return _fragment(
            request, "groups/_partials/report_form.html",
            {"form": form, "report_url": request.path},
        )  # fmt: skip
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Report a post"), "back": thread, "button": _("Send report")},
        status=status,
    )  # fmt: skip


@member_required
def thread_report(request, pk):
    return _report(request, _thread(request, pk), None)


@member_required
def reply_report(request, pk):
    reply = _reply(request, pk)
    return _report(request, reply.thread, reply)


@member_required
def moderation_queue(request):
    queue = selectors.moderation_queue(request.user)
    hosts_any = (
        is_coordinator(request.user)
        or Membership.objects.filter(
            user=request.user, role="host", status=MembershipStatus.ACTIVE
        ).exists()
    )
    if not hosts_any:
        raise PermissionDenied
    return render(request, "groups/queue.html", queue)


@member_required
@require_POST
def report_dismiss(request, pk):
    report = get_object_or_404(Report.objects.select_related("thread__group"), pk=pk)
    try:
        services.report_dismiss(actor=request.user, report=report)
    except services.GroupError as error:
        raise PermissionDenied(str(error)) from None
    if row := _queue_row(request, "dismiss", pk=report.pk):
        return row
    messages.success(request, _("The report is dismissed."))
    return redirect("groups:queue")


# --- Search, notifications, settings --------------------------------------------------------


@member_required
def thread_search(request):
    form = forms.SearchForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        page = paginate_keyset_request(
            request,
            selectors.threads_search(request.user, form.cleaned_data["q"]),
            ordering=("search_rank", "-last_activity_at", "pk"),
        )
    if _htmx(request) and request.htmx.target == "search-results":
        return _fragment(request, "groups/_partials/search_results.html", {"page": page})
    return _fragment(request, "groups/search.html", {"form": form, "page": page})


@member_required
def notifications(request):
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("groups:notifications")
    page = paginate_keyset_request(
        request, selectors.notifications_for(request.user), ordering=("-created_at", "-pk")
    )
    return render(
        request, "groups/notifications.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )  # fmt: skip


@member_required
def person_settings(request):
    row = services.person_settings(request.user)
    form = forms.PersonSettingsForm(
        _posted(request),
        initial={"default_frequency": row.default_frequency, "network_frequency": row.network_frequency,
                 "mention_emails": row.mention_emails},
    )  # fmt: skip
    if form.is_valid():
        services.person_settings_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your email choices are saved."))
        return redirect("groups:settings")
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Emails from groups"), "button": _("Save"),
         "intro": _("Choose each group's emails on the group's page.")},
    )  # fmt: skip


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail providers POST without a CSRF token
def unsubscribe(request, token):
    try:
        services.unsubscribe_read(token)
    except signing.BadSignature:
        return render(request, "groups/unsubscribe.html", {"bad": True}, status=400)
    if request.method == "POST":
        try:
            stream = services.unsubscribe(token=token)
        except (Group.DoesNotExist, get_user_model().DoesNotExist):
            return render(request, "groups/unsubscribe.html", {"bad": True}, status=400)
        return render(request, "groups/unsubscribe.html", {"done": True, "stream": stream})
    return render(request, "groups/unsubscribe.html", {"token": token})


@member_required
def attachment(request, pk):
    item = get_object_or_404(Attachment.objects.select_related("thread__group", "reply"), pk=pk)
    perms.access_thread(request.user, item.thread)
    if item.reply and not perms.can_see_post(request.user, item.reply, item.thread.group):
        raise Http404
    response = FileResponse(
        item.file.open("rb"), content_type=item.content_type, as_attachment=not item.is_image,
        filename=item.original_name,
    )  # fmt: skip
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Communities of practice ----------------------------------------------------------------


@member_required
def challenges(request, slug):
    group = _group(request, slug)
    if not group.is_cohort or not perms.can_read(request.user, group):
        raise Http404
    mine = Challenge.objects.filter(group=group, user=request.user).first()
    form = forms.ChallengeForm(
        _posted(request), initial={"question": mine.question if mine else ""}
    )
    if perms.is_group_member(request.user, group) and form.is_valid():
        services.challenge_save(
            user=request.user, group=group, question=form.cleaned_data["question"]
        )
        messages.success(request, _("Your challenge question is saved."))
        return redirect("groups:challenges", slug=group.slug)
    return render(
        request,
        "groups/challenges.html",
        {
            "group": group,
            "challenges": selectors.cohort_challenges(group),
            "form": form,
            "mine": mine,
            "update_form": forms.ChallengeUpdateForm(),
            "can_write": perms.is_group_member(request.user, group),
            "can_share": perms.can_moderate(request.user, group),
        },
    )


@member_required
def share_learning(request, slug):
    group = _group(request, slug)
    if not group.is_cohort or not perms.can_moderate(request.user, group):
        raise PermissionDenied
    form = forms.ShareLearningForm(
        _posted(request),
        initial={"title": group.name, "body": services.cohort_learning_draft(group)},
    )
    if form.is_valid():
        resource = services.cohort_learning_share(
            actor=request.user, group=group, **form.cleaned_data
        )
        messages.success(
            request, _("The learning is in the library: %(title)s") % {"title": resource.title}
        )
        return redirect("groups:challenges", slug=group.slug)
    return render(
        request, "groups/form_page.html",
        {"form": form, "title": _("Share the cohort's learning in the library"), "back": group,
         "button": _("Share in the library")},
    )  # fmt: skip


@member_required
@require_POST
def challenge_update(request, pk):
    challenge = get_object_or_404(Challenge.objects.select_related("group"), pk=pk)
    perms.access_group(request.user, challenge.group)
    form = forms.ChallengeUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.challenge_update_add(
                user=request.user, challenge=challenge, body=form.cleaned_data["body"]
            )
        except services.GroupError as error:
            raise PermissionDenied(str(error)) from None
        messages.success(request, _("Your update is posted."))
    else:
        _fail(request, _("Write your update before posting it."))
    return redirect("groups:challenges", slug=challenge.group.slug)
