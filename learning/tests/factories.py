import factory
from django.utils import timezone

from learning.models import Resource, ResourceKind, ResourceStatus, ResourceVisibility


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published public guide (index it with ``core.search.search_index_update`` to search)."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Running a welcoming space, part {n}")
    slug = factory.Sequence(lambda n: f"resource-{n}")
    summary = "What one member group tried, and what it learned."
    kind = ResourceKind.GUIDE
    visibility = ResourceVisibility.PUBLIC
    status = ResourceStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)
