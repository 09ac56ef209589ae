"""Offers and needs, suggestions and introductions: thin views over services and selectors.

Each page works as plain HTML forms; with htmx, the board's results are swapped in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import coordinator_required, member_required
from matching import links, selectors, services
from matching.forms import (
    BoardFilterForm,
    CategoryForm,
    CollaborationForm,
    FollowUpForm,
    IntroductionAnswerForm,
    IntroductionRequestForm,
    ItemForm,
    ItemStatusForm,
    PairingCheckInForm,
    PairingPreferenceForm,
)
from matching.models import (
    Category,
    FollowUp,
    Introduction,
    IntroductionStatus,
    Item,
    PairingMember,
    PairingPreference,
)
from members.models import User

PAGE_SIZE = 20


# --- Board and one's own items -----------------------------------------------------------------


@member_required
def board(request):
    form = BoardFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    elif form.is_bound:
        filters = {k: v for k, v in form.cleaned_data.items() if v and k not in form.errors}
    items = selectors.board_items(viewer=request.user, filters=filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "filters": filters, "page": page}
    if request.htmx:
        return render(request, "matching/_partials/board_results.html", context)
    return render(request, "matching/board.html", context)


@member_required
def my_items(request):
    return render(
        request,
        "matching/my_items.html",
        {"items": selectors.items_of(request.user), "status_form": ItemStatusForm()},
    )


@member_required
def item_create(request):
    organisations = selectors.organisations_of(request.user)
    form = ItemForm(
        request.POST or None,
        organisations=organisations,
        initial={"kind": request.GET.get("kind", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.item_create(owner=request.user, **form.cleaned_data)
        except services.MatchingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Saved. We will look for members who match it; suggestions appear shortly."),
            )
            return redirect("matching:my_items")
    return render(request, "matching/item_form.html", {"form": form, "item": None})


@member_required
def item_edit(request, pk):
    item = selectors.item_for_owner(viewer=request.user, pk=pk)
    if item is None:
        raise Http404
    organisations = selectors.organisations_of(request.user)
    initial = {
        "kind": item.kind,
        "category": item.category,
        "description": item.description,
        "organisation": item.organisation_id,
    }
    form = ItemForm(
        request.POST or None,
        organisations=organisations,
        initial=initial,
        category_queryset=Category.objects.filter(is_active=True)
        | Category.objects.filter(pk=item.category_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.item_update(item=item, actor=request.user, **form.cleaned_data)
        except services.MatchingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("matching:my_items")
    return render(request, "matching/item_form.html", {"form": form, "item": item})


@member_required
@require_POST
def item_status(request, pk):
    item = get_object_or_404(Item, pk=pk, owner=request.user)
    form = ItemStatusForm(request.POST)
    if form.is_valid():
        services.item_set_status(item=item, actor=request.user, status=form.cleaned_data["status"])
        messages.success(
            request,
            {
                "open": _("It is open again and will be matched."),
                "paused": _("It is paused: it is hidden from the board and suggestions."),
                "closed": _("It is closed."),
            }[item.status],
        )
    return redirect("matching:my_items")


# --- Suggestions and introductions -------------------------------------------------------------


@member_required
def suggestions(request):
    return render(
        request,
        "matching/suggestions.html",
        {
            "cards": selectors.suggestions_for(request.user),
            "has_items": Item.objects.filter(owner=request.user, status="open").exists(),
        },
    )


@member_required
def introduction_request(request, pk):
    from members.selectors.directory import can_view_person

    recipient = User.objects.filter(pk=pk).first()
    if (
        recipient is None
        or not can_view_person(request.user, recipient)
        or recipient == request.user
    ):
        raise Http404
    form = IntroductionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.introduction_request(
                requester=request.user,
                recipient=recipient,
                message=form.cleaned_data["message"],
                share_email=form.cleaned_data["share_email"],
                share_phone=form.cleaned_data["share_phone"],
            )
        except services.MatchingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your request has been sent to %(name)s. We will email you if they say yes.")
                % {"name": recipient.get_full_name()},
            )
            return redirect("matching:introductions")
    return render(
        request,
        "matching/introduction_request.html",
        {
            "form": form,
            "recipient": recipient,
            "limits": selectors.introduction_limits(request.user),
        },
    )


@member_required
def introductions(request):
    return render(request, "matching/introductions.html", selectors.introductions_for(request.user))


def _answer(request, introduction, person):
    """Accept or decline from a POST; returns a response or ``None`` to show the form again."""
    form = IntroductionAnswerForm(request.POST)
    action = request.POST.get("action")
    if not form.is_valid() or action not in IntroductionAnswerForm.ANSWERS:
        return None, form
    try:
        if action == "accept":
            services.introduction_accept(
                introduction=introduction,
                by=person,
                share_email=form.cleaned_data["share_email"],
                share_phone=form.cleaned_data["share_phone"],
            )
            messages.success(
                request,
                _("You said yes. We have emailed you both an introduction with contact details."),
            )
        else:
            services.introduction_decline(introduction=introduction, by=person)
            messages.info(request, _("You said “not this time”. They will not be told more."))
    except services.MatchingError as error:
        form.add_error(None, str(error))
        return None, form
    return True, form


@member_required
def introduction_detail(request, pk):
    introduction = selectors.introduction_for_participant(viewer=request.user, pk=pk)
    if introduction is None:
        raise Http404
    form = IntroductionAnswerForm()
    if request.method == "POST":
        if introduction.recipient_id != request.user.pk:
            raise Http404
        done, form = _answer(request, introduction, request.user)
        if done:
            return redirect("matching:introduction", pk=introduction.pk)
    return render(
        request,
        "matching/introduction_detail.html",
        {
            "introduction": introduction,
            "form": form,
            "is_recipient": introduction.recipient_id == request.user.pk,
        },
    )


@member_required
@require_POST
def introduction_withdraw(request, pk):
    introduction = get_object_or_404(Introduction, pk=pk, requester=request.user)
    try:
        services.introduction_withdraw(introduction=introduction, by=request.user)
        messages.info(request, _("Your request has been withdrawn."))
    except services.MatchingError as error:
        messages.error(request, str(error))
    return redirect("matching:introductions")


def _link_problem(request, error):
    expired = isinstance(error, links.ExpiredLink)
    return render(
        request, "matching/link_problem.html", {"expired": expired}, status=410 if expired else 400
    )


def introduction_respond_link(request, token):
    """From the email: see the request and answer it, without signing in."""
    try:
        introduction_id, person_id = links.read("introduction-response", token)
    except links.BadLink as error:
        return _link_problem(request, error)
    introduction = (
        Introduction.objects.filter(pk=introduction_id, recipient_id=person_id)
        .select_related("requester", "recipient")
        .first()
    )
    if introduction is None:
        return _link_problem(request, links.BadLink())
    form = IntroductionAnswerForm()
    if request.method == "POST":
        done, form = _answer(request, introduction, introduction.recipient)
        if done:
            introduction.refresh_from_db()
    return render(
        request,
        "matching/introduction_respond.html",
        {"introduction": introduction, "form": form, "token": token},
    )


def follow_up(request, token):
    """From the email: say whether an introduction led to working together, without signing in.
    Opening the link only shows the answer chosen; pressing the button records it."""
    try:
        introduction_id, person_id = links.read("follow-up", token)
    except links.BadLink as error:
        return _link_problem(request, error)
    introduction = (
        Introduction.objects.filter(pk=introduction_id, status=IntroductionStatus.ACCEPTED)
        .select_related("requester", "recipient")
        .first()
    )
    if introduction is None or person_id not in (
        introduction.requester_id,
        introduction.recipient_id,
    ):
        return _link_problem(request, links.BadLink())
    person = (
        introduction.requester if person_id == introduction.requester_id else introduction.recipient
    )
    saved = FollowUp.objects.filter(introduction=introduction, respondent=person).first()
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            saved = services.follow_up_answer(
                introduction=introduction, respondent=person, **form.cleaned_data
            )
            messages.success(request, _("Thank you. Your answer has been saved."))
            form = FollowUpForm(initial={"answer": saved.answer, "note": saved.note})
    else:
        initial = {"answer": request.GET.get("answer") or (saved.answer if saved else "")}
        if saved:
            initial["note"] = saved.note
        form = FollowUpForm(initial=initial)
    return render(
        request,
        "matching/follow_up.html",
        {
            "form": form,
            "other": introduction.other_side(person),
            "saved": saved,
        },
    )


# --- Meet someone new --------------------------------------------------------------------------


@member_required
def pairing(request):
    from matching.pairing import groups_for

    preference = PairingPreference.objects.filter(member=request.user).first()
    initial = {
        "opted_in": "yes" if preference and preference.opted_in else "no",
        "group_size": preference.group_size if preference else 2,
    }
    form = PairingPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.pairing_preference_set(member=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Saved. We pair people at the start of each month.")
            if form.cleaned_data["opted_in"]
            else _("Saved. You will not be paired."),
        )
        return redirect("matching:pairing")
    return render(
        request, "matching/pairing.html", {"form": form, "groups": groups_for(request.user)}
    )


def pairing_check_in(request, token):
    try:
        place_id, person_id = links.read("pairing-check-in", token)
    except links.BadLink as error:
        return _link_problem(request, error)
    place = (
        PairingMember.objects.filter(pk=place_id, member_id=person_id)
        .select_related("group__round")
        .first()
    )
    if place is None:
        return _link_problem(request, links.BadLink())
    if request.method == "POST":
        form = PairingCheckInForm(request.POST)
        if form.is_valid():
            services.pairing_answer(pairing_member=place, met=form.cleaned_data["met"])
            messages.success(request, _("Thank you. Your answer has been saved."))
    else:
        form = PairingCheckInForm(initial={"met": request.GET.get("met") or place.met})
    others = [
        p.member for p in place.group.members.select_related("member") if p.member_id != person_id
    ]
    return render(
        request, "matching/pairing_check_in.html", {"form": form, "place": place, "others": others}
    )


# --- Coordinators ------------------------------------------------------------------------------


@coordinator_required
def health(request):
    return render(request, "matching/health.html", {"health": selectors.network_health()})


@coordinator_required
def collaboration_create(request):
    form = CollaborationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.collaboration_record(recorded_by=request.user, **form.cleaned_data)
        except services.MatchingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The collaboration has been recorded."))
            return redirect("matching:health")
    return render(request, "matching/collaboration_form.html", {"form": form})


@coordinator_required
def categories(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.category_save(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The category has been added."))
        return redirect("matching:categories")
    return render(
        request,
        "matching/categories.html",
        {"categories": selectors.categories(active_only=False), "form": form},
    )


@coordinator_required
def category_edit(request, pk):
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        services.category_save(actor=request.user, category=category, **form.cleaned_data)
        messages.success(request, _("The category has been saved."))
        return redirect("matching:categories")
    return render(request, "matching/category_form.html", {"form": form, "category": category})
