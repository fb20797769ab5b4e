from django.db import models


class ImportKind(models.TextChoices):
    ROSTER = "roster", "Staff roster"
    COMPLETIONS = "completions", "Completions"


class ImportOutcome(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    COMMITTED = "committed", "Committed"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"
