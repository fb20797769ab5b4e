from django.conf import settings
from django.db import models
from django.utils import timezone


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


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A long piece of work someone asked for (a large import's preview or commit, the district
    workbook), run by the worker while its page shows how far it has got. Its input file is kept
    here until it has been read; a file it makes is kept for its owner to download."""

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=200, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    payload = models.BinaryField(null=True, blank=True)
    payload_name = models.CharField(max_length=255, blank=True)
    result = models.BinaryField(null=True, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    # Where the outcome is seen (an import run's page), once done.
    result_url = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        return min(100, self.done * 100 // self.total) if self.total else None
