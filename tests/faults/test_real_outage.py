"""The database really going away in the middle of a request: the connection is closed after
the request's first queries and pointed at a server that is not there, so the next query's
reconnect fails in the driver itself (connection refused on PostgreSQL, a database file that
cannot be opened on SQLite). Once the database is back, the next request is served as usual."""

import copy
import logging
import sqlite3

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from catalog import views as catalog_views
from core import unavailable

pytestmark = pytest.mark.django_db(transaction=True)


def unreachable() -> dict:
    """Connection settings that lead nowhere: nothing listens on port 1."""
    if connection.vendor == "postgresql":
        return {"HOST": "127.0.0.1", "PORT": "1"}
    return {"NAME": "/nonexistent-directory/professional_learning.sqlite3"}


class Outage:
    """Drops the connection and sends every reconnect nowhere; `end` brings the real settings
    back."""

    def __init__(self) -> None:
        self.saved = copy.deepcopy(connection.settings_dict)

    def start(self) -> None:
        connection.close()
        connection.settings_dict.update(unreachable())

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage():
    outage = Outage()
    yield outage
    outage.end()


def test_a_connection_lost_mid_request_answers_503_then_the_service_recovers(
    teacher, outage, monkeypatch, caplog
):
    web = Client(raise_request_exception=False)
    web.force_login(teacher.user)
    real_catalog_page = catalog_views.selectors.catalog_page

    def catalog_page_after_an_outage(**kwargs):
        outage.start()
        return real_catalog_page(**kwargs)

    monkeypatch.setattr(catalog_views.selectors, "catalog_page", catalog_page_after_an_outage)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = web.get(reverse("catalog:index"))

    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    body = response.content.decode()
    assert unavailable.MESSAGE in body
    assert "Traceback" not in body
    [record] = [r for r in caplog.records if r.name == "django.request"]
    error = record.exc_info[1]
    # Django's error, wrapping the driver's own.
    assert isinstance(error, OperationalError)
    assert isinstance(error.__cause__, (psycopg.OperationalError, sqlite3.OperationalError))
    assert str(error.__cause__) not in body

    # The database is back: the next request is served, with no restart.
    outage.end()
    monkeypatch.setattr(catalog_views.selectors, "catalog_page", real_catalog_page)
    response = web.get(reverse("catalog:index"))
    assert response.status_code == 200
    assert "Tess" in response.content.decode()


def test_a_refused_connection_is_an_outage():
    """The driver's own error for a server that is not there, through Django's wrapper."""
    settings_dict = {**copy.deepcopy(connection.settings_dict), **unreachable()}
    dead = type(connections["default"])(settings_dict, alias="unreachable")
    with pytest.raises(OperationalError) as raised:
        dead.ensure_connection()
    assert isinstance(raised.value.__cause__, (psycopg.OperationalError, sqlite3.OperationalError))
    assert unavailable.is_database_unavailable(raised.value)

    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("host=127.0.0.1 port=1 dbname=test user=postgres connect_timeout=2")
    assert unavailable.is_database_unavailable(refused.value)
