"""Background work for matching. Tasks take primary keys, are idempotent and run inline in
tests and development (see config/settings.py: TASKS_BACKEND)."""

from django_tasks import task


@task()
def refresh_member_suggestions(*, member_id: int) -> None:
    """Recompute one member's suggestions (and the rows of those they now suit) after they
    changed an offer or need."""
    from matching import suggestions

    suggestions.refresh_member(member_id)


@task()
def recompute_all_suggestions() -> int:
    """Everyone's suggestions from scratch; returns the number of rows stored."""
    from matching import suggestions

    return suggestions.recompute_all()
