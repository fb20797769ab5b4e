"""send_reminders: mail participants before their meetings, 3 days and 1 day ahead, once each."""

from django.core.management.base import BaseCommand

from enrollment import services

QUEUED = "{count} reminder(s) queued."


class Command(BaseCommand):
    help = (
        "Mail a reminder 3 days and 1 day before each meeting to everyone with a seat in it "
        "(on the roster, or waiting for approval with the seat held); cancelled meetings and "
        "sessions get none. Each reminder goes out once, so the command is safe to run again; a "
        "run that was missed is made up the next day. The messages go to the mail outbox, which "
        "the worker delivers and retries. Prints how many were queued. The worker runs it each "
        "morning (REMINDERS_AT); without a worker, run it daily from cron, e.g. "
        "`0 6 * * * cd /srv/pl && .venv/bin/python manage.py send_reminders`."
    )

    def handle(self, *args, **options):
        count = services.reminders_send()
        self.stdout.write(QUEUED.format(count=count))
