"""Joining the network: apply, hear back, join an organisation, invite colleagues, leave.

Views are thin: they parse a form, call one service from ``members.services.joining`` and
render or redirect. Pages with a password field are never cached, because a form that comes
back with an error keeps what was typed (including a password that passed its checks).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.permissions import can_manage_members, is_coordinator, login_required, manager_required
from members.forms_joining import (
    AskToJoinForm,
    FindOrganisationForm,
    IndividualApplicationForm,
    InvitationAccountForm,
    InviteForm,
    KindForm,
    OrganisationApplicationForm,
)
from members.models import (
    AffiliationStatus,
    Application,
    MembershipStatus,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
)
from members.services import joining as services
from members.services import listings

RECEIVED_SESSION_KEY = "joining_received"


def posted_data(request):
    """The submitted data on a POST (even an empty form), ``None`` otherwise."""
    return request.POST if request.method == "POST" else None


def url_or_none(name: str, *args, **kwargs) -> str | None:
    """A page's address if the project has that page (some come from other parts)."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _remember(request, *, kind: str, email: str = "", organisation: str = "") -> None:
    request.session[RECEIVED_SESSION_KEY] = {
        "kind": kind,
        "email": email,
        "organisation": organisation,
    }


def _rate_limited(request, form) -> bool:
    """New accounts share allauth's sign-up rate limit (per IP address). When it is reached
    the form comes back, with everything typed, and a message to wait."""
    if not form.creates_account or ratelimit.consume(request, action="signup"):
        return False
    form.add_error(
        None,
        _(
            "We have had a lot of applications from your internet connection in the last few "
            "minutes. Wait a few minutes, then send this again."
        ),
    )
    return True


# --- Applying --------------------------------------------------------------------------------


@never_cache
def start(request):
    """The front door: what membership is, and how would you like to join."""
    user = request.user
    pending = services.pending_application_for(user)
    if request.method == "POST" and pending is None:
        form = KindForm(request.POST)
        if form.is_valid():
            return redirect(
                {
                    Application.Kind.ORGANISATION: "joining:organisation",
                    Application.Kind.INDIVIDUAL: "joining:individual",
                    "existing": "joining:find_organisation",
                }[form.cleaned_data["kind"]]
            )
    else:
        form = KindForm()
    return render(
        request,
        "members/joining/start.html",
        {
            "form": form,
            "pending": pending,
            "is_member_already": user.is_authenticated and user.is_member,
        },
    )


def _apply(request, *, form_class, template, submit):
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        if form.is_valid():
            if _rate_limited(request, form):
                return render(request, template, {"form": form}, status=429)
            applicant = request.user if request.user.is_authenticated else None
            try:
                application = submit(form, applicant)
            except services.JoiningError as error:
                messages.error(request, str(error))
                return redirect("joining:start")
            email = application.applicant.email if application else form.cleaned_data["email"]
            _remember(
                request,
                kind="application",
                email=email,
                organisation=form.cleaned_data.get("name", ""),
            )
            return redirect("joining:received")
    else:
        form = form_class(user=request.user)
    return render(request, template, {"form": form})


@never_cache
def apply_organisation(request):
    """Apply as an organisation: about the organisation, then about you (one page)."""
    if not services.can_apply_as_organisation(request.user):
        return redirect("joining:start")

    def submit(form, applicant):
        return services.application_submit_organisation(
            applicant=applicant,
            new_account=form.new_account(),
            request=request,
            **form.organisation_data(),
        )

    return _apply(
        request,
        form_class=OrganisationApplicationForm,
        template="members/joining/organisation.html",
        submit=submit,
    )


@never_cache
def apply_individual(request):
    """Apply as an individual."""
    if not services.can_apply_as_individual(request.user):
        return redirect("joining:start")

    def submit(form, applicant):
        return services.application_submit_individual(
            applicant=applicant,
            new_account=form.new_account(),
            request=request,
            why_join=form.cleaned_data["why_join"],
            focus_areas=form.cleaned_data["focus_areas"],
        )

    return _apply(
        request,
        form_class=IndividualApplicationForm,
        template="members/joining/individual.html",
        submit=submit,
    )


def received(request):
    """What happens next. The page reads the same whether or not the email address already
    had an account, so it never tells a stranger who is registered."""
    details = request.session.get(RECEIVED_SESSION_KEY)
    if not details:
        return redirect("joining:start")
    return render(
        request,
        "members/joining/received.html",
        {"details": details, "signed_in": request.user.is_authenticated},
    )


@login_required
def welcome(request):
    """After approval: what to do next."""
    user = request.user
    memberships = list(
        user.org_memberships.filter(status=AffiliationStatus.ACTIVE).select_related("organisation")
    )
    admin_of = [m.organisation for m in memberships if m.role == "admin"]
    return render(
        request,
        "members/joining/welcome.html",
        {
            "is_active_member": user.is_member,
            "pending": services.pending_application_for(user),
            "memberships": memberships,
            "admin_of": admin_of,
            "profile_url": url_or_none("members:profile_edit") or reverse("members:account"),
            "directory_url": url_or_none("members:directory"),
            "organisation_edit_urls": [
                (org, url_or_none("members:organisation_edit", slug=org.slug)) for org in admin_of
            ],
        },
    )


# --- Joining an organisation that is already a member ---------------------------------------


def find_organisation(request):
    """Find your organisation by name, to ask to join it."""
    form = FindOrganisationForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        words = form.cleaned_data["q"].split()[:5]
        results = Organisation.objects.filter(status=MembershipStatus.ACTIVE)
        for word in words:
            results = results.filter(name__icontains=word)
        results = list(results.order_by("name", "id")[:20])
    return render(
        request, "members/joining/find_organisation.html", {"form": form, "results": results}
    )


@never_cache
def ask_to_join(request, slug):
    """Ask to join a member organisation; a visitor creates their account at the same time."""
    organisation = get_object_or_404(Organisation, slug=slug, status=MembershipStatus.ACTIVE)
    user = request.user
    existing = (
        OrganisationMembership.objects.filter(user=user, organisation=organisation).first()
        if user.is_authenticated
        else None
    )
    form = AskToJoinForm(posted_data(request), user=user)
    if request.method == "POST" and existing is None and form.is_valid():
        if _rate_limited(request, form):
            return render(
                request,
                "members/joining/ask_to_join.html",
                {"organisation": organisation, "form": form, "existing": None},
                status=429,
            )
        try:
            membership = services.join_request_create(
                user=user if user.is_authenticated else None,
                organisation=organisation,
                new_account=form.new_account(),
                request=request,
            )
        except services.JoiningError as error:
            messages.error(request, str(error))
            return redirect("joining:ask_to_join", slug=slug)
        _remember(
            request,
            kind="request",
            email=membership.user.email if membership else form.cleaned_data["email"],
            organisation=organisation.name,
        )
        return redirect("joining:received")
    return render(
        request,
        "members/joining/ask_to_join.html",
        {"organisation": organisation, "form": form, "existing": existing},
    )


@manager_required
def join_requests(request):
    """Requests to join the organisations you administer (every organisation, for
    coordinators), and the invitations you have sent."""
    user = request.user
    waiting = (
        OrganisationMembership.objects.filter(status=AffiliationStatus.REQUESTED)
        .select_related("user", "organisation")
        .annotate(
            email_confirmed=Exists(
                EmailAddress.objects.filter(
                    user=OuterRef("user_id"), email__iexact=OuterRef("user__email"), verified=True
                )
            )
        )
    )
    managed = Organisation.objects.order_by("name", "id")
    if not is_coordinator(user):
        admin_of = user.org_memberships.filter(role="admin", status=AffiliationStatus.ACTIVE)
        org_ids = admin_of.values("organisation_id")
        waiting = waiting.filter(organisation_id__in=org_ids)
        managed = managed.filter(pk__in=org_ids)
    else:
        managed = managed.filter(
            pk__in=OrganisationMembership.objects.filter(
                user=user, role="admin", status=AffiliationStatus.ACTIVE
            ).values("organisation_id")
        )
    return render(
        request,
        "members/joining/requests.html",
        {
            "waiting": waiting.order_by("created_at", "id"),
            "managed": managed.prefetch_related(
                "invitations",
                Prefetch(
                    "memberships",
                    queryset=OrganisationMembership.objects.filter(status=AffiliationStatus.ACTIVE)
                    .select_related("user")
                    .order_by("role", "user__full_name", "pk"),
                    to_attr="active_people",
                ),
            ),
        },
    )


def _managed_request(request, pk) -> OrganisationMembership:
    membership = get_object_or_404(
        OrganisationMembership.objects.select_related("organisation", "user"),
        pk=pk,
        status=AffiliationStatus.REQUESTED,
    )
    if not can_manage_members(request.user, membership.organisation):
        raise PermissionDenied
    return membership


@manager_required
@require_POST
def request_approve(request, pk):
    membership = _managed_request(request, pk)
    try:
        services.join_request_approve(actor=request.user, membership=membership)
    except services.JoiningError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(person)s is now part of %(organisation)s.")
            % {"person": membership.user, "organisation": membership.organisation},
        )
    return redirect("joining:requests")


@manager_required
@require_POST
def request_decline(request, pk):
    membership = _managed_request(request, pk)
    try:
        services.join_request_decline(actor=request.user, membership=membership)
    except services.JoiningError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You turned down %(person)s’s request. We have let them know.")
            % {"person": membership.user},
        )
    return redirect("joining:requests")


@manager_required
@require_POST
def set_role(request, slug, pk):
    """Make someone an admin of their organisation, or a plain member again (its admins and
    coordinators). Back to the page the button was on: the admins' people page or the
    coordinators' page for the organisation."""
    membership = get_object_or_404(
        OrganisationMembership.objects.select_related("organisation", "user"),
        pk=pk,
        organisation__slug=slug,
        status=AffiliationStatus.ACTIVE,
    )
    if not can_manage_members(request.user, membership.organisation):
        raise PermissionDenied
    role = request.POST.get("role", "")
    if role not in OrganisationRole.values:
        messages.error(request, _("Choose whether they are an admin or a member."))
    else:
        try:
            services.organisation_set_role(actor=request.user, membership=membership, role=role)
        except services.JoiningError as error:
            messages.error(request, str(error))
        else:
            done = (
                _("%(person)s is now an admin of %(organisation)s. We have emailed them.")
                if role == OrganisationRole.ADMIN
                else _("%(person)s is no longer an admin of %(organisation)s.")
            )
            messages.success(
                request, done % {"person": membership.user, "organisation": membership.organisation}
            )
    if request.POST.get("back") == "coordinator" and is_coordinator(request.user):
        return redirect("coordinator:organisation", pk=membership.organisation_id)
    if not can_manage_members(request.user, membership.organisation):  # stepped down
        return redirect("members:account")
    return redirect("joining:requests")


@manager_required
def invite(request, slug):
    """An organisation admin invites a colleague by email."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if not can_manage_members(request.user, organisation):
        raise PermissionDenied
    form = InviteForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                actor=request.user, organisation=organisation, email=form.cleaned_data["email"]
            )
        except services.JoiningError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                _("We have emailed an invitation to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("joining:requests")
    return render(
        request, "members/joining/invite.html", {"organisation": organisation, "form": form}
    )


def invalid_link(request, error: services.InvalidLink, *, what: str):
    return render(
        request,
        "members/joining/invalid_link.html",
        {"reason": error.reason, "what": what},
        status=400,
    )


@never_cache
def invitation(request, token):
    """Open an invitation: accept it signed in, or create an account for the invited address."""
    try:
        invite = services.invitation_from_token(token)
    except services.InvalidLink as error:
        return invalid_link(request, error, what="invitation")
    user = request.user
    account_exists = not user.is_authenticated and services.email_taken(invite.email)
    form = None
    if not user.is_authenticated and not account_exists:
        form = InvitationAccountForm(posted_data(request), email=invite.email)
    if request.method == "POST":
        try:
            if user.is_authenticated:
                services.invitation_accept(invitation=invite, user=user)
                messages.success(
                    request,
                    _("You are now part of %(organisation)s.")
                    % {"organisation": invite.organisation},
                )
                return redirect("joining:welcome")
            if form is not None and form.is_valid():
                new_user = services.invitation_accept_with_new_account(
                    invitation=invite,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                    job_title=form.cleaned_data.get("job_title", ""),
                    newsletter_opt_in=form.cleaned_data.get("newsletter_opt_in", False),
                )
                return _sign_in(request, new_user, reverse("joining:welcome"))
        except services.InvalidLink as error:
            return invalid_link(request, error, what="invitation")
        except services.JoiningError as error:
            messages.error(request, str(error))
            return redirect(request.path)
    login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
    return render(
        request,
        "members/joining/invitation.html",
        {
            "invitation": invite,
            "form": form,
            "account_exists": account_exists,
            "login_url": login_url,
        },
    )


def _sign_in(request, user, redirect_url):
    """Sign a new account in the way allauth does (its login stages, signals, session). Its
    address is already confirmed, so the mandatory-verification stage lets it through."""
    from allauth.account.utils import perform_login

    return perform_login(request, user, redirect_url=redirect_url)


# --- Leaving ---------------------------------------------------------------------------------


@login_required
def leave(request):
    """Leave the network, after a page that says what that means."""
    user = request.user
    if user.status == MembershipStatus.LEFT:
        messages.info(request, _("You have already left the network."))
        return redirect("members:account")
    if request.method == "POST":
        services.member_leave_network(user=user)
        messages.success(
            request,
            _("You have left the network. You can apply to join again at any time."),
        )
        return redirect("core:home")
    memberships = list(user.org_memberships.select_related("organisation"))
    return render(
        request,
        "members/joining/leave.html",
        {
            "application": services.pending_application_for(user),
            "organisations": [
                m.organisation for m in memberships if m.status == AffiliationStatus.ACTIVE
            ],
            "requested": [
                m.organisation for m in memberships if m.status == AffiliationStatus.REQUESTED
            ],
        },
    )


@login_required
def withdraw(request):
    """Withdraw an application waiting for a decision (and nothing else), after a page that
    says what that means."""
    application = services.pending_application_for(request.user)
    if application is None:
        messages.info(request, _("You have no application waiting for a decision."))
        return redirect("members:account")
    if request.method == "POST":
        services.application_withdraw(user=request.user)
        messages.success(
            request, _("Your application is withdrawn. You can apply again at any time.")
        )
        return redirect("members:account")
    return render(request, "members/joining/withdraw.html", {"application": application})


@login_required
def leave_organisation(request, slug):
    """Leave one organisation (or withdraw a request to join it)."""
    membership = (
        OrganisationMembership.objects.select_related("organisation")
        .filter(user=request.user, organisation__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    organisation = membership.organisation
    if request.method == "POST":
        services.member_leave_organisation(user=request.user, organisation=organisation)
        messages.success(
            request, _("You have left %(organisation)s.") % {"organisation": organisation}
        )
        return redirect("members:account")
    return render(
        request,
        "members/joining/leave_organisation.html",
        {
            "membership": membership,
            "organisation": organisation,
            "only_admin": services.is_only_admin(request.user, organisation),
        },
    )


# --- Fresh listings --------------------------------------------------------------------------


@never_cache
def listing_confirm(request, token):
    """The "still correct" link from the yearly email: works without signing in. The page
    shows the details with one button; the POST confirms (see services/listings.py for why a
    GET does not)."""
    try:
        organisation = listings.organisation_from_token(token)
    except services.InvalidLink as error:
        return invalid_link(request, error, what="listing")
    if request.method == "POST":
        listings.listing_confirm(organisation=organisation, actor=request.user)
        messages.success(request, _("Thank you. You have confirmed the details are correct."))
        return redirect(request.path)
    return render(
        request,
        "members/joining/listing_confirm.html",
        {
            "organisation": organisation,
            "edit_url": listings.edit_url(organisation),
        },
    )
