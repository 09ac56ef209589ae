"""A sensible UK default for the taxonomy; coordinators edit it afterwards."""

from django.db import migrations
from django.utils.text import slugify

FOCUS_AREAS = [
    "Loneliness and isolation", "Older people", "Young people", "Mental health", "Bereavement",
    "Dementia", "Learning disabilities", "Refugees and people seeking asylum",
    "Digital inclusion", "Domestic abuse", "Heritage", "Arts and creativity",
    "Physical activity", "Carers", "Intergenerational connection", "Food and community meals",
]  # fmt: skip
AUDIENCES = [
    "Older people", "Young people", "Children and families", "Disabled people",
    "People with learning disabilities", "People living with dementia", "Carers",
    "Refugees and migrants", "LGBTQ+ people", "Men", "Women", "Ethnic minority communities",
    "People on low incomes", "Rural communities", "Everyone in the community",
]  # fmt: skip
NATIONS = ["England", "Scotland", "Wales", "Northern Ireland"]
ENGLISH_REGIONS = [
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
]  # fmt: skip


def seed(apps, schema_editor):
    FocusArea = apps.get_model("members", "FocusArea")
    Audience = apps.get_model("members", "Audience")
    Region = apps.get_model("members", "Region")
    for i, name in enumerate(FOCUS_AREAS):
        FocusArea.objects.get_or_create(slug=slugify(name), defaults={"name": name, "position": i})
    for i, name in enumerate(AUDIENCES):
        Audience.objects.get_or_create(slug=slugify(name), defaults={"name": name, "position": i})
    for i, name in enumerate(NATIONS):
        Region.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "position": i, "kind": "nation"}
        )
    for i, name in enumerate(ENGLISH_REGIONS, start=len(NATIONS)):
        Region.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "position": i, "kind": "region"}
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
