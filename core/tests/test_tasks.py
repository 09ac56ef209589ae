"""A background task's whole path: queued in the database, picked up by the worker, done."""

import pytest
from django.core import mail
from django.core.management import call_command

from core.tasks import deliver_email


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    # django-tasks resets its backends when the setting changes
    yield


@pytest.mark.django_db(transaction=True)
def test_a_queued_email_waits_for_the_worker_and_is_sent_once(database_queue):
    from django_tasks_db.models import DBTaskResult

    result = deliver_email.enqueue(
        to=["someone@example.org"], template="test_message", context={"body": "Queued hello"}
    )
    assert mail.outbox == []  # nothing happens until a worker runs
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)

    assert len(mail.outbox) == 1
    assert "Queued hello" in mail.outbox[0].body
    result.refresh()
    assert result.status == "SUCCESSFUL"


def test_tasks_run_inline_under_test(db):
    deliver_email.enqueue(to=["a@example.org"], template="test_message", context={})
    assert len(mail.outbox) == 1
