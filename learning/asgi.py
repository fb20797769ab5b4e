"""The ASGI application, the entry point of the served service (gunicorn and the like).

A served application is production unless told otherwise: DEBUG is off unless the environment
turns it on, and so the settings refuse to start without a SECRET_KEY and ALLOWED_HOSTS."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning.settings")

application = get_asgi_application()
