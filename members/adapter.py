from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from core.email import html_from_text, send_message_on_commit
from core.permissions import is_member


class AccountAdapter(DefaultAccountAdapter):
    """allauth, fitted to Coalition: every account email is multipart in the site's layout."""

    def format_email_subject(self, subject):
        return f"[{settings.SITE_NAME}] {subject}"

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            message.attach_alternative(
                html_from_text(message.body, subject=message.subject), "text/html"
            )
        return message

    def send_mail(self, template_prefix, email, context):
        """Render now (the request is at hand) but send from a background task, so a slow or
        broken mail server never turns a sign-up or password reset into an error page."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        send_message_on_commit(self.render_mail(template_prefix, email, ctx))

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        if confirmed:  # the newsletter follows a changed address
            from newsletter.services.subscribers import member_email_confirmed

            member_email_confirmed(user=email_address.user)
        return confirmed

    def get_login_redirect_url(self, request):
        """Members go to the home page; anyone else (an applicant, someone who only made an
        account, someone who left) to their account page, which says where their membership
        stands and what to do next. A ``next`` link still wins over either."""
        if not is_member(request.user):
            return reverse("members:account")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        """Where confirming a new account's email address leads (it signs them in): to the
        account page, which offers to apply, since an account alone is not membership."""
        return reverse("members:account")

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        full_name = form.cleaned_data.get("full_name")
        if full_name:
            user.full_name = full_name
        user.newsletter_opt_in = bool(form.cleaned_data.get("newsletter_opt_in"))
        if commit:
            user.save()
        return user


def own_name(user) -> str:
    """How allauth names people to themselves ("You are signed in as ...")."""
    return user.own_name
