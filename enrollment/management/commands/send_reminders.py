"""send_reminders: mail participants before their meetings, 3 days and 1 day ahead, once each."""

from django.core.management.base import BaseCommand

from enrollment import services

SENT = "{count} reminder(s) sent."


class Command(BaseCommand):
    help = (
        "Mail a reminder 3 days and 1 day before each meeting to everyone with a seat in it "
        "(on the roster, or waiting for approval with the seat held); cancelled meetings and "
        "sessions get none. Each reminder goes out once, so the command is safe to run again; a "
        "run that was missed is made up the next day, and a message that failed is sent on the "
        "next run. Prints how many went out. Run it daily from cron, e.g. "
        "`0 6 * * * cd /srv/pl && .venv/bin/python manage.py send_reminders`."
    )

    def handle(self, *args, **options):
        count = services.reminders_send()
        self.stdout.write(SENT.format(count=count))
