"""Every write in matching: offers and needs, introductions, follow-ups, pairings, collaborations.

Each service runs in one transaction; emails and background work are queued on commit. Errors a
person can fix are raised as :class:`MatchingError` with a message to show them.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.email import absolute_url, send_email_on_commit
from core.permissions import is_coordinator, is_member
from matching import links
from matching.models import (
    Category,
    Collaboration,
    CollaborationSource,
    FollowUp,
    FollowUpAnswer,
    Introduction,
    IntroductionStatus,
    Item,
    ItemKind,
    ItemStatus,
    MetAnswer,
    PairingMember,
    PairingPreference,
    PairingRound,
)
from members.models import AffiliationStatus, OrganisationMembership, User

# Limits that keep anyone from being swamped with requests.
MAX_OPEN_REQUESTS = getattr(settings, "MATCHING_MAX_OPEN_REQUESTS", 5)
MAX_REQUESTS_PER_DAY = getattr(settings, "MATCHING_MAX_REQUESTS_PER_DAY", 3)
MAX_WAITING_FOR_RECIPIENT = getattr(settings, "MATCHING_MAX_WAITING_FOR_RECIPIENT", 10)
ASK_AGAIN_AFTER_DECLINE_DAYS = 180
FOLLOW_UP_AFTER_DAYS = getattr(settings, "MATCHING_FOLLOW_UP_AFTER_DAYS", 42)


class MatchingError(Exception):
    """Something the person asked for cannot be done; ``str()`` says why in plain English."""


# --- Offers and needs -------------------------------------------------------------------------


def _check_organisation(owner, organisation):
    if organisation is None:
        return
    if not OrganisationMembership.objects.filter(
        user=owner, organisation=organisation, status=AffiliationStatus.ACTIVE
    ).exists():
        raise MatchingError(_("You can only list support for an organisation you belong to."))


def _refresh_suggestions_on_commit(member_id: int) -> None:
    from matching.tasks import refresh_member_suggestions

    transaction.on_commit(lambda: refresh_member_suggestions.enqueue(member_id=member_id))


@transaction.atomic
def item_create(
    *, owner, kind: str, category: Category, description: str, organisation=None
) -> Item:
    """List an open offer or need for ``owner`` (or their organisation); suggestions for them and
    for the people it may suit are recomputed in the background."""
    if not is_member(owner):
        raise MatchingError(_("Only members of the network can list offers and needs."))
    _check_organisation(owner, organisation)
    item = Item.objects.create(
        owner=owner,
        organisation=organisation,
        kind=ItemKind(kind),
        category=category,
        description=" ".join(description.split()),
    )
    _refresh_suggestions_on_commit(owner.pk)
    return item


def _check_owner(item: Item, actor) -> None:
    if item.owner_id != actor.pk and not is_coordinator(actor):
        raise MatchingError(_("You can only change your own offers and needs."))


@transaction.atomic
def item_update(
    *, item: Item, actor, kind: str, category: Category, description: str, organisation=None
) -> Item:
    """Change an item's wording or category; its meaning is worked out again in the background."""
    _check_owner(item, actor)
    _check_organisation(item.owner, organisation)
    description = " ".join(description.split())
    if description != item.description:
        item.embedding = None
        item.embedding_model = ""
        item.hub = None
    item.kind = ItemKind(kind)
    item.category = category
    item.description = description
    item.organisation = organisation
    item.updated_at = timezone.now()
    item.save()
    _refresh_suggestions_on_commit(item.owner_id)
    return item


@transaction.atomic
def item_set_status(*, item: Item, actor, status: str) -> Item:
    """Open, pause or close an item. Only open items are matched."""
    _check_owner(item, actor)
    status = ItemStatus(status)
    if item.status != status:
        item.status = status
        item.updated_at = timezone.now()
        item.save(update_fields=["status", "updated_at"])
        _refresh_suggestions_on_commit(item.owner_id)
    return item


# --- Categories (coordinators) ----------------------------------------------------------------


@transaction.atomic
def category_save(*, actor, category: Category | None = None, **fields) -> Category:
    """Create or change a category of support; recorded in the audit log."""
    if not is_coordinator(actor):
        raise MatchingError(_("Only coordinators can change the categories."))
    created = category is None
    category = category or Category()
    for name, value in fields.items():
        setattr(category, name, value)
    category.save()
    audit_log(
        actor=actor,
        action="matching.category.create" if created else "matching.category.update",
        target=category,
        name=category.name,
        is_active=category.is_active,
    )
    return category


# --- Introductions ----------------------------------------------------------------------------


def _introduced_pair_q(a_id: int, b_id: int) -> Q:
    return Q(requester_id=a_id, recipient_id=b_id) | Q(requester_id=b_id, recipient_id=a_id)


def _person_label(person) -> str:
    membership = (
        OrganisationMembership.objects.filter(
            user=person, status=AffiliationStatus.ACTIVE, organisation__status="active"
        )
        .select_related("organisation")
        .order_by("created_at", "id")
        .first()
    )
    name = person.get_full_name()
    return f"{name} ({membership.organisation.name})" if membership else name


def _items_summary(person) -> dict:
    items = (
        Item.objects.filter(owner=person, status=ItemStatus.OPEN)
        .select_related("category")
        .order_by("kind", "-updated_at")[:6]
    )
    return {
        "offers": [
            f"{i.category.name}: {i.description}" for i in items if i.kind == ItemKind.OFFER
        ],
        "needs": [f"{i.category.name}: {i.description}" for i in items if i.kind == ItemKind.NEED],
    }


@transaction.atomic
def introduction_request(
    *,
    requester,
    recipient,
    message: str,
    share_email: bool = True,
    share_phone: bool = False,
    about_item: Item | None = None,
    now=None,
) -> Introduction:
    """Ask to be introduced to ``recipient``. Nothing about either person's contact details is
    revealed until the recipient accepts.

    Refused (``MatchingError``) when: either is not an active member; it is oneself; a request
    between them is already waiting or accepted; the recipient said "not this time" to this
    requester in the last 180 days; the requester has ``MAX_OPEN_REQUESTS`` waiting or sent
    ``MAX_REQUESTS_PER_DAY`` in the last 24 hours; the recipient already has
    ``MAX_WAITING_FOR_RECIPIENT`` requests waiting.
    """
    from members.selectors.directory import can_view_person

    now = now or timezone.now()
    if not is_member(requester):
        raise MatchingError(_("Only members of the network can ask for introductions."))
    if recipient.pk == requester.pk:
        raise MatchingError(_("You cannot ask to be introduced to yourself."))
    if not recipient.is_member or not can_view_person(requester, recipient):
        raise MatchingError(_("This person cannot be introduced at the moment."))
    # Lock the requester's row so two requests sent at once are counted one after the other.
    User.objects.select_for_update().filter(pk=requester.pk).first()
    between = Introduction.objects.filter(_introduced_pair_q(requester.pk, recipient.pk))
    # A request that ran out but was not yet marked must not block a new one.
    between.filter(status=IntroductionStatus.PENDING, expires_at__lte=now).update(
        status=IntroductionStatus.EXPIRED
    )
    if between.filter(status=IntroductionStatus.ACCEPTED).exists():
        raise MatchingError(_("You have already been introduced to this person."))
    if between.filter(status=IntroductionStatus.PENDING, expires_at__gt=now).exists():
        raise MatchingError(_("A request between you and this person is already waiting."))
    if Introduction.objects.filter(
        requester=requester,
        recipient=recipient,
        status=IntroductionStatus.DECLINED,
        responded_at__gte=now - timedelta(days=ASK_AGAIN_AFTER_DECLINE_DAYS),
    ).exists():
        raise MatchingError(_("This person said “not this time” to an earlier request."))
    waiting = Introduction.objects.filter(status=IntroductionStatus.PENDING, expires_at__gt=now)
    open_count = waiting.filter(requester=requester).count()
    if open_count >= MAX_OPEN_REQUESTS:
        raise MatchingError(
            _(
                "You already have %(count)s requests waiting for an answer. You can ask again "
                "when one of them is answered or withdrawn."
            )
            % {"count": open_count}
        )
    today_count = Introduction.objects.filter(
        requester=requester, created_at__gt=now - timedelta(days=1), created_at__lte=now
    ).count()
    if today_count >= MAX_REQUESTS_PER_DAY:
        raise MatchingError(
            _("You have asked for %(count)s introductions today. You can ask again tomorrow.")
            % {"count": today_count}
        )
    if waiting.filter(recipient=recipient).count() >= MAX_WAITING_FOR_RECIPIENT:
        raise MatchingError(
            _("This person has many requests waiting for an answer. Please try again later.")
        )
    if about_item is not None and about_item.owner_id not in (requester.pk, recipient.pk):
        about_item = None
    introduction = Introduction.objects.create(
        requester=requester,
        recipient=recipient,
        message=message.strip(),
        about_item=about_item,
        requester_shares_email=share_email,
        requester_shares_phone=share_phone,
        created_at=now,
        expires_at=now + timedelta(days=Introduction.EXPIRES_AFTER_DAYS),
    )
    token = links.make("introduction-response", object_id=introduction.pk, person_id=recipient.pk)
    send_email_on_commit(
        to=recipient.email,
        template="matching/introduction_request",
        context={
            "recipient_name": recipient.get_short_name(),
            "requester_label": _person_label(requester),
            "message": introduction.message,
            "requester_items": _items_summary(requester),
            "respond_url": absolute_url(
                reverse("matching:introduction_respond_link", kwargs={"token": token})
            ),
            "expires_on": introduction.expires_at.date().isoformat(),
        },
    )
    return introduction


def _contact_details(*, viewer, person, shares_email: bool, shares_phone: bool) -> dict:
    """What ``viewer`` learns of ``person`` on introduction: what they agreed to share for this
    introduction, plus anything their profile already shows to members."""
    from members.selectors.directory import visible_value

    email = person.email if shares_email else visible_value(viewer, person, "email")
    phone = person.phone if shares_phone else visible_value(viewer, person, "phone")
    return {"email": email or "", "phone": phone or ""}


def _lock_pending(introduction: Introduction, now) -> Introduction:
    introduction = Introduction.objects.select_for_update().get(pk=introduction.pk)
    if introduction.status == IntroductionStatus.PENDING and introduction.expires_at <= now:
        introduction.status = IntroductionStatus.EXPIRED
        introduction.save(update_fields=["status"])
    if introduction.status != IntroductionStatus.PENDING:
        raise MatchingError(
            _("This request has already been answered or has expired.")
            if introduction.status != IntroductionStatus.EXPIRED
            else _("This request has expired: requests wait 14 days for an answer.")
        )
    return introduction


@transaction.atomic
def introduction_accept(
    *, introduction: Introduction, by, share_email: bool = True, share_phone: bool = False, now=None
) -> Introduction:
    """The recipient says yes: each side receives an email introducing the other, with the
    contact details the other agreed to share. Suggestions between them stop."""
    now = now or timezone.now()
    if by.pk != introduction.recipient_id:
        raise MatchingError(_("Only the person who was asked can answer this request."))
    introduction = _lock_pending(introduction, now)
    introduction.status = IntroductionStatus.ACCEPTED
    introduction.responded_at = now
    introduction.recipient_shares_email = share_email
    introduction.recipient_shares_phone = share_phone
    introduction.save()
    requester, recipient = introduction.requester, introduction.recipient
    for viewer, other, shares_email, shares_phone in (
        (
            requester,
            recipient,
            introduction.recipient_shares_email,
            introduction.recipient_shares_phone,
        ),
        (
            recipient,
            requester,
            introduction.requester_shares_email,
            introduction.requester_shares_phone,
        ),
    ):
        send_email_on_commit(
            to=viewer.email,
            template="matching/introduction_made",
            context={
                "name": viewer.get_short_name(),
                "other_label": _person_label(other),
                "other_first_name": other.get_short_name(),
                "contact": _contact_details(
                    viewer=viewer,
                    person=other,
                    shares_email=shares_email,
                    shares_phone=shares_phone,
                ),
                "other_items": _items_summary(other),
                "message": introduction.message if viewer == recipient else "",
                "profile_url": absolute_url(reverse("members:person", kwargs={"pk": other.pk})),
            },
        )
    _forget_suggestions_between(requester.pk, recipient.pk)
    return introduction


@transaction.atomic
def introduction_decline(*, introduction: Introduction, by, now=None) -> Introduction:
    """The recipient says "not this time". The asker is told only that, on their page; no email
    goes to them and no reason is asked for."""
    now = now or timezone.now()
    if by.pk != introduction.recipient_id:
        raise MatchingError(_("Only the person who was asked can answer this request."))
    introduction = _lock_pending(introduction, now)
    introduction.status = IntroductionStatus.DECLINED
    introduction.responded_at = now
    introduction.save(update_fields=["status", "responded_at"])
    _forget_suggestions_between(introduction.requester_id, introduction.recipient_id)
    return introduction


@transaction.atomic
def introduction_withdraw(*, introduction: Introduction, by, now=None) -> Introduction:
    """The asker takes back a request that is still waiting."""
    now = now or timezone.now()
    if by.pk != introduction.requester_id:
        raise MatchingError(_("Only the person who asked can withdraw this request."))
    introduction = _lock_pending(introduction, now)
    introduction.status = IntroductionStatus.WITHDRAWN
    introduction.responded_at = now
    introduction.save(update_fields=["status", "responded_at"])
    return introduction


def introductions_expire(*, now=None) -> int:
    """Mark requests that waited 14 days as expired (silently, like "not this time"); returns how
    many. Safe to run as often as you like."""
    now = now or timezone.now()
    return Introduction.objects.filter(
        status=IntroductionStatus.PENDING, expires_at__lte=now
    ).update(status=IntroductionStatus.EXPIRED)


def _forget_suggestions_between(a_id: int, b_id: int) -> None:
    from matching.models import Suggestion

    Suggestion.objects.filter(
        Q(member_id=a_id, other_id=b_id) | Q(member_id=b_id, other_id=a_id)
    ).delete()


# --- Follow-up and collaborations --------------------------------------------------------------


def follow_up_links(introduction: Introduction, person) -> dict:
    token = links.make("follow-up", object_id=introduction.pk, person_id=person.pk)
    base = absolute_url(reverse("matching:follow_up", kwargs={"token": token}))
    return {answer.value: f"{base}?answer={answer.value}" for answer in FollowUpAnswer}


def follow_ups_send(*, now=None, after_days: int = FOLLOW_UP_AFTER_DAYS) -> int:
    """Ask both sides of each introduction accepted ``after_days`` ago whether it led to working
    together. Each introduction is asked about once; returns how many were."""
    now = now or timezone.now()
    sent = 0
    due = (
        Introduction.objects.filter(
            status=IntroductionStatus.ACCEPTED,
            follow_up_sent_at__isnull=True,
            responded_at__lte=now - timedelta(days=after_days),
        )
        .select_related("requester", "recipient")
        .order_by("responded_at", "pk")
    )
    for introduction in due.iterator(chunk_size=200):
        with transaction.atomic():
            # Claim it first, so two runs at once cannot both send.
            claimed = Introduction.objects.filter(
                pk=introduction.pk, follow_up_sent_at__isnull=True
            ).update(follow_up_sent_at=now)
            if not claimed:
                continue
            for person in (introduction.requester, introduction.recipient):
                other = introduction.other_side(person)
                send_email_on_commit(
                    to=person.email,
                    template="matching/follow_up",
                    context={
                        "name": person.get_short_name(),
                        "other_name": other.get_full_name(),
                        "links": follow_up_links(introduction, person),
                    },
                )
            sent += 1
    return sent


def _ordered(a_id: int, b_id: int) -> tuple[int, int]:
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


@transaction.atomic
def follow_up_answer(
    *, introduction: Introduction, respondent, answer: str, note: str = "", now=None
) -> FollowUp:
    """Record one side's answer (the latest answer counts). "Yes" or "in progress" from either
    side records the collaboration; "no" from the last side that said yes removes it."""
    now = now or timezone.now()
    introduction = Introduction.objects.select_for_update().get(pk=introduction.pk)
    if respondent.pk not in (introduction.requester_id, introduction.recipient_id):
        raise MatchingError(_("Only the two people who were introduced can answer."))
    if introduction.status != IntroductionStatus.ACCEPTED:
        raise MatchingError(_("This introduction did not go ahead."))
    answer = FollowUpAnswer(answer)
    follow_up, _created = FollowUp.objects.update_or_create(
        introduction=introduction,
        respondent=respondent,
        defaults={"answer": answer, "note": note.strip()[:300], "answered_at": now},
    )
    fruitful = introduction.follow_ups.filter(
        answer__in=[FollowUpAnswer.YES, FollowUpAnswer.IN_PROGRESS]
    )
    if fruitful.exists():
        a_id, b_id = _ordered(introduction.requester_id, introduction.recipient_id)
        Collaboration.objects.get_or_create(
            introduction=introduction,
            defaults={
                "member_a_id": a_id,
                "member_b_id": b_id,
                "source": CollaborationSource.INTRODUCTION,
                "happened_on": timezone.localdate(now),
                "note": note.strip()[:300],
            },
        )
    else:
        Collaboration.objects.filter(introduction=introduction).delete()
    return follow_up


@transaction.atomic
def collaboration_record(
    *,
    recorded_by,
    member_a,
    member_b,
    source: str,
    happened_on: date,
    note: str = "",
) -> Collaboration:
    """A coordinator records a collaboration that happened elsewhere (an event, a grant...)."""
    if not is_coordinator(recorded_by):
        raise MatchingError(_("Only coordinators can record collaborations."))
    if member_a.pk == member_b.pk:
        raise MatchingError(_("Choose two different members."))
    a_id, b_id = _ordered(member_a.pk, member_b.pk)
    collaboration = Collaboration.objects.create(
        member_a_id=a_id,
        member_b_id=b_id,
        source=CollaborationSource(source),
        happened_on=happened_on,
        note=note.strip(),
        recorded_by=recorded_by,
    )
    audit_log(
        actor=recorded_by,
        action="matching.collaboration.record",
        target=collaboration,
        source=source,
        happened_on=happened_on.isoformat(),
    )
    _forget_suggestions_between(a_id, b_id)
    return collaboration


# --- Meet someone new --------------------------------------------------------------------------


@transaction.atomic
def pairing_preference_set(*, member, opted_in: bool, group_size: int) -> PairingPreference:
    """Opt in or out of the monthly pairing, in twos or threes."""
    if not is_member(member):
        raise MatchingError(_("Only members of the network can be paired."))
    preference, _created = PairingPreference.objects.update_or_create(
        member=member,
        defaults={"opted_in": opted_in, "group_size": group_size, "updated_at": timezone.now()},
    )
    return preference


def pairing_run(*, month: date | None = None, seed: int | None = None) -> PairingRound | None:
    """Draw this month's groups (see ``matching/pairing.py``) and email each group; returns the
    round, or ``None`` when it had already been drawn (so a timer may run it daily)."""
    from matching import pairing

    return pairing.run_round(month=month, seed=seed)


@transaction.atomic
def pairing_answer(*, pairing_member: PairingMember, met: str, now=None) -> PairingMember:
    """Record whether the group met."""
    pairing_member.met = MetAnswer(met)
    pairing_member.answered_at = now or timezone.now()
    pairing_member.save(update_fields=["met", "answered_at"])
    return pairing_member


def pairing_check_ins_send(*, now=None, after_days: int = 21) -> int:
    """Ask everyone in a round drawn at least ``after_days`` ago whether they met (once per
    round); returns how many people were asked."""
    now = now or timezone.now()
    asked = 0
    due = PairingRound.objects.filter(
        check_in_sent_at__isnull=True, created_at__lte=now - timedelta(days=after_days)
    )
    for pairing_round in due:
        with transaction.atomic():
            if not PairingRound.objects.filter(
                pk=pairing_round.pk, check_in_sent_at__isnull=True
            ).update(check_in_sent_at=now):
                continue
            places = PairingMember.objects.filter(group__round=pairing_round).select_related(
                "member"
            )
            for place in places:
                token = links.make(
                    "pairing-check-in", object_id=place.pk, person_id=place.member_id
                )
                base = absolute_url(reverse("matching:pairing_check_in", kwargs={"token": token}))
                send_email_on_commit(
                    to=place.member.email,
                    template="matching/pairing_check_in",
                    context={
                        "name": place.member.get_short_name(),
                        "month": pairing_round.month.isoformat(),
                        "links": {a.value: f"{base}?met={a.value}" for a in MetAnswer},
                    },
                )
                asked += 1
    return asked
