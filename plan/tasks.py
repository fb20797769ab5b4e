"""The reports' scheduled job (worker/schedule.py)."""

from django_tasks import task

from . import services


@task()
def send_report_subscriptions() -> dict:
    """Each morning: the weekly reports on Mondays, the monthly ones on the first, once each."""
    outcome = services.report_subscriptions_send()
    return {"sent": outcome.sent, "paused": outcome.paused}
