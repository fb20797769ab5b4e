"""Background tasks of the shared machinery (Django's Tasks API, DESIGN.md)."""

from django_tasks import task

from . import outbox


@task()
def deliver_outbox() -> dict:
    """Send every message that is due. Running it twice at once sends nothing twice: each
    message is claimed by one worker."""
    delivery = outbox.deliver_due()
    return {"sent": delivery.sent, "failed": delivery.failed, "retrying": delivery.retrying}
