"""The Django application as a plain WSGI callable for schemathesis, run in-process inside the
test's database transaction."""

from contextlib import contextmanager

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

# The host Django's test environment always allows (django.test.utils.setup_test_environment).
TEST_HOST = "testserver"


@contextmanager
def connections_kept():
    """Keep Django from closing the database connection at the start and end of a request, as
    django.test.Client does: closing it would end the test's transaction and its data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class InProcessApp:
    """Django's WSGI handler answering on the test host, with the response read and closed
    (which sends request_finished) while the connection is kept."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        environ = {**environ, "HTTP_HOST": TEST_HOST, "SERVER_NAME": TEST_HOST}
        with connections_kept():
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
