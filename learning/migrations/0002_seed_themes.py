"""Seed the learning framework with the network's "7 keys for connection", in its own words
(from the Unlocking Connection grants summary, 2022). Coordinators can edit them afterwards."""

from django.db import migrations

KEYS = [
    (
        "consider-your-space",
        "Consider your space",
        "The right event space is needed to ensure that people feel safe and relaxed.",
        "The right event space is needed to ensure that people feel safe and relaxed. This "
        "doesn't mean high-end buildings which can often feel too formal, but a space "
        "intentionally selected to be accessible and facilitate connection.",
    ),
    (
        "consider-your-activities",
        "Consider your activities",
        "Finding an activity helps make people feel more at ease.",
        "Finding an activity helps make people feel more at ease. It gives people something to "
        "focus on, allowing time for conversations and connections to develop naturally. It "
        "allows those who might be nervous to participate without having to talk straight away. "
        "Activities might include walking, preparing food and eating together or arts and "
        "crafts.",
    ),
    (
        "achieve-more-together-organisations",
        "Remember we can achieve more together – organisations",
        "As activity and event organisers, we can benefit from making connections and "
        "collaborating with others.",
        "As activity and event organisers, we can benefit from making connections and "
        "collaborating with others. Working with other organisations with shared values enables "
        "an exchange of constructive feedback, opportunities and new ideas. Particularly when "
        "you're trying to reach new audiences, working with other organisations and groups "
        "already known to the people you're trying to connect with can help build trust and "
        "understanding.",
    ),
    (
        "achieve-more-together-community",
        "Remember we can achieve more together – the community",
        "Involving communities in the planning and delivery of activities improves outcomes for "
        "everyone.",
        "Involving communities in the planning and delivery of activities improves outcomes for "
        "everyone. One of our collaborators put it best: “exploring this topic with community "
        "members helped them to feel invested, feel empowered, heard, and is a creative way to "
        "create new ideas and solutions, as well as understand what people really need.”",
    ),
    (
        "pay-attention-to-the-small-things",
        "Pay attention to the small things",
        "Connections aren't automatically created when you bring people together, it requires "
        "intention and attention.",
        "Connections aren't automatically created when you bring people together, it requires "
        "intention and attention. Paying attention to the details can help give people "
        "reassurance and the tools to help them navigate new connections and experiences.",
    ),
    (
        "allow-enough-time",
        "Allow enough time",
        "Building trust, relationships and creating meaningful connections takes time.",
        "Building trust, relationships and creating meaningful connections takes time. It needs "
        "long-term thinking and is built when we are vulnerable with each other, which happens "
        "when we feel safe and valued. Whether it's between you and other organisations, or "
        "between participants, allowing enough time for individuals to build trust and "
        "relationships will pay off.",
    ),
    (
        "identify-barriers-to-participation",
        "Identify barriers to participation and how you might overcome them",
        "Anyone can benefit from increasing the number or quality of their social connections.",
        "Anyone can benefit from increasing the number or quality of their social connections. "
        "However, we know that certain groups and individuals are more at risk of loneliness "
        "and disconnection, and many people face additional barriers when it comes to creating "
        "social connections. Doing what you can to identify and minimise barriers for those who "
        "would benefit most from your activities can help increase your positive impact and "
        "change people's lives.",
    ),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("learning", "Theme")
    for position, (slug, name, summary, explanation) in enumerate(KEYS, start=1):
        Theme.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "summary": summary,
                "explanation": explanation,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("learning", "Theme").objects.filter(slug__in=[k[0] for k in KEYS]).delete()


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
