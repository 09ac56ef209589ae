import factory

from matching.models import Category, Item, ItemKind


def category(slug: str) -> Category:
    """A category seeded by the data migration (or made again if a flush removed it)."""
    name = slug.replace("-", " ").capitalize()
    return Category.objects.get_or_create(slug=slug, defaults={"name": name})[0]


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    owner = factory.SubFactory("members.tests.factories.UserFactory")
    kind = ItemKind.OFFER
    category = factory.LazyFunction(lambda: category("venue-or-space"))
    description = factory.Sequence(lambda n: f"We can lend our hall on weekday mornings ({n})")
