"""The categories of support a new network starts with; coordinators edit them afterwards."""

from django.db import migrations

DEFAULTS = [
    ("Funding advice", "funding-advice", "Finding funders, writing bids, managing grants."),
    ("Volunteers", "volunteers", "Recruiting, training or sharing volunteers, including drivers."),
    ("Venue or space", "venue-or-space", "Rooms, halls, kitchens, gardens or desks."),
    ("Training", "training", "Courses and workshops for staff and volunteers."),
    ("Mentoring", "mentoring", "One-to-one guidance from someone who has done it before."),
    ("Digital skills", "digital-skills", "Getting online, websites, devices, data and systems."),
    ("Evaluation and impact", "evaluation-and-impact", "Measuring and showing the difference you make."),
    ("Partnership on a project", "partnership", "Working together on a project or a joint bid."),
    ("Peer support", "peer-support", "Talking with people who do similar work."),
    ("Safeguarding", "safeguarding", "Policies, checks and keeping people safe."),
    ("Promotion", "promotion", "Publicity, design, social media and the press."),
]


def seed(apps, schema_editor):
    Category = apps.get_model("matching", "Category")
    for position, (name, slug, description) in enumerate(DEFAULTS):
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def unseed(apps, schema_editor):
    Category = apps.get_model("matching", "Category")
    Category.objects.filter(slug__in=[slug for _name, slug, _d in DEFAULTS], items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
