from django.db import models


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    CHANGED = "changed", "Changed"
    DELETED = "deleted", "Deleted"
    # A sign-in the roster refused (accounts.services): no row changed.
    REFUSED = "refused", "Refused"


class AuditSource(models.TextChoices):
    """Where a change came from: a page of the service, the admin, the API, an import, a
    service called outside a request (a command or a script), or the system itself (a
    scheduled job, the demo data)."""

    WEB = "web", "Web page"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    IMPORT = "import", "Import"
    SERVICE = "service", "Service"
    SYSTEM = "system", "System"
