"""Which queue the service's tasks go to: the database's (django-tasks-db, the default) or
another named by TASKS_BACKEND (RQ...). The outbox, the worker and the health report ask."""

from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend


def database_queue() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)
