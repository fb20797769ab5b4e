from django.db import models


class Heartbeat(models.Model):
    """A worker saying it is alive, every WORKER_HEARTBEAT_SECONDS. A worker not heard from in
    WORKER_LOST_SECONDS is taken for dead: the tasks it was running are run again, and the
    readiness check says no worker is running."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


class ScheduledRun(models.Model):
    """One run of a scheduled job, by its slot (the hour, the day...). The unique pair is what
    makes the schedule run each slot once, whichever of several workers gets there first."""

    job = models.CharField(max_length=64)
    slot = models.CharField(max_length=32)
    enqueued_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.slot}"
