"""Background tasks for the members app. Tasks take primary keys (or nothing) and are
idempotent: running one twice does no more than running it once."""

from django_tasks import task

from members.services import listings


@task()
def request_listing_confirmations() -> int:
    """Ask each organisation whose details were last confirmed over 12 months ago (and that
    was not asked in the last 30 days) to confirm them. Returns how many emails were queued."""
    return listings.request_confirmations()


@task()
def request_listing_confirmation(organisation_id: int) -> bool:
    """Ask one organisation now, whatever the dates (a coordinator's "ask now" button)."""
    return listings.listing_request_confirmation(organisation_id=organisation_id, force=True)
