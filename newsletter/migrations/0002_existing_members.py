"""Members who were active before the newsletter app existed get a subscriber row, so the
network's members keep receiving the newsletter. Only those whose account setting "receive the
newsletter" is on; the consent record says where the choice came from. Every issue they get
carries a one-click unsubscribe."""

from django.db import migrations
from django.utils import timezone

CARRIED_OVER = (
    "Carried over from the account setting “Receive the newsletter”, which the member could "
    "turn off in their account, before the newsletter kept its own consent records."
)


def subscribe_existing_members(apps, schema_editor):
    User = apps.get_model("members", "User")
    Subscriber = apps.get_model("newsletter", "Subscriber")
    ConsentRecord = apps.get_model("newsletter", "ConsentRecord")
    taken = {email.lower() for email in Subscriber.objects.values_list("email", flat=True)}
    now = timezone.now()
    for user in User.objects.filter(
        status="active", is_active=True, newsletter_opt_in=True, newsletter_subscriber=None
    ).iterator():
        if user.email.lower() in taken:
            continue
        taken.add(user.email.lower())
        subscriber = Subscriber.objects.create(
            email=user.email,
            name=user.full_name,
            user=user,
            wants_newsletter=True,
            confirmed_at=now,
        )
        ConsentRecord.objects.create(
            subscriber=subscriber,
            stream="newsletter",
            action="opt_in",
            method="account",
            text_shown=CARRIED_OVER,
            created_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0001_initial"),
        ("members", "0002_seed_taxonomy"),
    ]

    operations = [
        migrations.RunPython(subscribe_existing_members, migrations.RunPython.noop),
    ]
