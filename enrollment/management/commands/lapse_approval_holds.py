"""lapse_approval_holds: approval requests that waited too long lapse; their seats are refilled."""

from django.core.management.base import BaseCommand

from enrollment import services

LAPSED = "{count} approval request(s) lapsed; their seats went to the waitlist."


class Command(BaseCommand):
    help = (
        "Lapse every enrollment request that has waited longer than APPROVAL_HOLD_DAYS for a "
        "building leader's approval: it is declined with the reason, the person is mailed, and "
        "the seat it held goes to the head of the waitlist (who is mailed too). Enrolling and "
        "approving already lapse the holds of the session they touch; run this from cron, e.g. "
        "hourly (`0 * * * * cd /srv/pl && .venv/bin/python manage.py lapse_approval_holds`), so "
        "seats also free in sessions nobody touches. Safe to run at any time and repeatedly."
    )

    def handle(self, *args, **options):
        count = services.approval_holds_lapse()
        self.stdout.write(LAPSED.format(count=count))
