"""Many people register for a few places at the same moment: exactly the capacity is
confirmed, everyone else is waitlisted, and nobody sees an error."""

import threading

import pytest
from django.db import connection

from events import services
from events.models import RegistrationStatus
from events.tests.factories import EventFactory
from members.tests.factories import UserFactory

PEOPLE = 24
CAPACITY = 5


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_never_confirm_more_than_the_capacity():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL: SQLite serialises writers with BEGIN IMMEDIATE (see "
            "docs/decisions/0004-events.md), but the in-memory test database it uses shares one "
            "cache between threads, whose table locks fail at once instead of waiting, so it "
            "cannot host concurrent writers. Run with DATABASE_URL=postgres://..."
        )
    event = EventFactory(capacity=CAPACITY)
    people = UserFactory.create_batch(PEOPLE)
    start = threading.Barrier(PEOPLE)
    errors, statuses = [], []

    def register(person):
        try:
            start.wait(timeout=30)
            registration = services.event_register(event=event, user=person)
            statuses.append(registration.status)
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(statuses) == PEOPLE
    stored = list(event.registrations.values_list("status", flat=True))
    assert stored.count(RegistrationStatus.CONFIRMED) == CAPACITY
    assert stored.count(RegistrationStatus.WAITLISTED) == PEOPLE - CAPACITY
    assert sorted(stored) == sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancellations_promote_exactly_as_many_as_left():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL (see the test above).")
    event = EventFactory(capacity=CAPACITY)
    people = UserFactory.create_batch(CAPACITY * 3)
    registrations = [services.event_register(event=event, user=p) for p in people]
    leaving = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    start = threading.Barrier(len(leaving))
    errors = []

    def cancel(registration):
        try:
            start.wait(timeout=30)
            services.registration_cancel(registration=registration)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in leaving]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    stored = list(event.registrations.values_list("status", flat=True))
    assert stored.count(RegistrationStatus.CONFIRMED) == CAPACITY
    assert stored.count(RegistrationStatus.CANCELLED) == CAPACITY
    assert stored.count(RegistrationStatus.WAITLISTED) == CAPACITY
