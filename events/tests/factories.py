"""Factories for events. A published event with one session, unless told otherwise."""

from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Event, EventStatus, EventVisibility, Session


def _start():
    return (timezone.now() + timedelta(days=7)).replace(microsecond=0)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Monthly get-together {n}")
    summary = "An informal hour to meet other members."
    status = EventStatus.PUBLISHED
    visibility = EventVisibility.PUBLIC
    starts_at = factory.LazyFunction(_start)
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(hours=1))
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def sessions(self, create, extracted, **kwargs):
        """``sessions=3`` makes three weekly sessions; the default is one."""
        if not create:
            return
        count = extracted or 1
        length = self.ends_at - self.starts_at
        for number in range(1, count + 1):
            start = self.starts_at + timedelta(days=7 * (number - 1))
            Session.objects.create(
                event=self, number=number, starts_at=start, ends_at=start + length
            )
        if count > 1:
            self.ends_at = self.starts_at + timedelta(days=7 * (count - 1)) + length
            self.session_count = count
            self.save(update_fields=["ends_at", "session_count"])
