from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.geo import PostcodeError, centroid, normalise_postcode
from matching.models import (
    Category,
    CollaborationSource,
    FollowUpAnswer,
    GroupSize,
    ItemKind,
    ItemStatus,
    MetAnswer,
)
from members.models import FocusArea, MembershipStatus, Region, User


class ItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Is this something you offer or something you need?"),
        choices=[
            (ItemKind.OFFER, _("Support we can offer to other members")),
            (ItemKind.NEED, _("Support we are looking for")),
        ],
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        empty_label=_("Choose a category"),
        help_text=_("Choose the closest. We also match on what you write, not only the category."),
    )
    description = forms.CharField(
        label=_("Describe it in a sentence or two"),
        max_length=300,
        help_text=_(
            "Plain words work best, for example “We can lend our hall on weekday mornings” or "
            "“Looking for help writing our first grant application”. At most 300 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=None,
        required=False,
        empty_label=_("Myself"),
    )

    def __init__(self, *args, organisations=(), category_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        from members.models import Organisation

        self.fields["category"].queryset = category_queryset or Category.objects.filter(
            is_active=True
        )
        ids = [o.pk for o in organisations]
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=ids)
        if not ids:
            del self.fields["organisation"]

    def clean_description(self):
        text = " ".join(self.cleaned_data["description"].split())
        if len(text) < 10:
            raise forms.ValidationError(
                _("Write a little more (at least 10 characters) so others understand it.")
            )
        return text


class ItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ItemStatus.choices)


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search words"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Offers and needs")),
            (ItemKind.OFFER, _("Offers only")),
            (ItemKind.NEED, _("Needs only")),
        ],
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("All categories"),
        to_field_name="slug",
    )
    focus = forms.ModelChoiceField(
        label=_("Focus"),
        queryset=FocusArea.objects.all(),
        required=False,
        empty_label=_("Any focus"),
        to_field_name="slug",
    )
    region = forms.ModelChoiceField(
        label=_("Nation or region"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("Anywhere"),
        to_field_name="slug",
    )
    near = forms.CharField(
        label=_("Near a postcode"),
        required=False,
        max_length=20,
        help_text=_("Within 40 km, nearest first. For example LS1 4AP, or just LS1."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
    )

    def clean_near(self):
        text = self.cleaned_data["near"].strip()
        if not text:
            return ""
        try:
            postcode = normalise_postcode(text)
            found = centroid(postcode)
        except PostcodeError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if found is None:
            raise forms.ValidationError(
                _("We do not know where %(postcode)s is. Try the first part, like LS1.")
                % {"postcode": postcode}
            )
        return postcode


class ShareFields(forms.Form):
    share_email = forms.BooleanField(
        label=_("Share my email address with them"), required=False, initial=True
    )
    share_phone = forms.BooleanField(
        label=_("Share my phone number with them"), required=False, initial=False
    )


class IntroductionRequestForm(ShareFields):
    message = forms.CharField(
        label=_("Your message"),
        max_length=1000,
        help_text=_(
            "Say who you are and what you would like to talk about. They will see this with your "
            "name and your offers and needs, but not your contact details until they say yes."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 1000}),
    )
    field_order = ["message", "share_email", "share_phone"]

    def clean_message(self):
        text = self.cleaned_data["message"].strip()
        if len(text) < 20:
            raise forms.ValidationError(
                _("Write a little more (at least 20 characters) so they know why you are asking.")
            )
        return text


class IntroductionAnswerForm(ShareFields):
    """Accept (with what to share) or decline; the button pressed says which."""

    ANSWERS = ("accept", "decline")


class FollowUpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Did the introduction lead to working together?"),
        choices=FollowUpAnswer.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything to add? For example what you did together"),
        required=False,
        max_length=300,
        widget=forms.TextInput,
    )


class PairingCheckInForm(forms.Form):
    met = forms.ChoiceField(
        label=_("Did you meet?"), choices=MetAnswer.choices, widget=forms.RadioSelect
    )


class PairingPreferenceForm(forms.Form):
    opted_in = forms.TypedChoiceField(
        label=_("Would you like to meet someone new each month?"),
        choices=[("yes", _("Yes, pair me up each month")), ("no", _("No, not at the moment"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=_(
            "We will share your name and email address with the people you are paired with."
        ),
    )
    group_size = forms.TypedChoiceField(
        label=_("How would you like to meet?"),
        choices=GroupSize.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("Many people find meeting two new people easier than meeting one."),
    )


class MemberByEmailField(forms.EmailField):
    """A member of the network, given by their email address."""

    def clean(self, value):
        email = super().clean(value)
        member = User.objects.filter(email__iexact=email, status=MembershipStatus.ACTIVE).first()
        if member is None:
            raise forms.ValidationError(
                _("No active member has the email address %(email)s.") % {"email": email}
            )
        return member


class CollaborationForm(forms.Form):
    member_a = MemberByEmailField(
        label=_("Email address of the first member"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    member_b = MemberByEmailField(
        label=_("Email address of the second member"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    source = forms.ChoiceField(
        label=_("Where did it come from?"),
        choices=[
            (c.value, c.label) for c in CollaborationSource if c != CollaborationSource.INTRODUCTION
        ],
        widget=forms.RadioSelect,
    )
    happened_on = forms.DateField(
        label=_("When did it start?"),
        help_text=_("For example 27 3 2026. A rough date is fine."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("What did they do together?"), required=False, max_length=300)

    def clean_happened_on(self):
        day = self.cleaned_data["happened_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date must be today or in the past."))
        return day

    def clean(self):
        data = super().clean()
        if data.get("member_a") and data.get("member_a") == data.get("member_b"):
            self.add_error("member_b", _("Choose two different members."))
        return data


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "description", "position", "is_active"]
