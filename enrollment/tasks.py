"""The enrollment rules' scheduled jobs (worker/schedule.py)."""

from django_tasks import task

from . import services


@task()
def lapse_approval_holds() -> int:
    """Hourly: requests waiting for approval past APPROVAL_HOLD_DAYS lapse and free their seat."""
    return services.approval_holds_lapse()


@task()
def send_reminders() -> int:
    """Each morning: the reminders 3 days and 1 day before each meeting, once each."""
    return services.reminders_send()
