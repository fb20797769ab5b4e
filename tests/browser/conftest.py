"""Browser tests drive Debian's Chromium through pytest-playwright; no browser is downloaded.

Locally they skip with a reason when Chromium is missing; in CI (CI=true) they fail instead, so a
missing browser never passes for a green run."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BROWSER_DIR = Path(__file__).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    browser_items = []
    for item in items:
        if BROWSER_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not in_ci():
                item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}"))
            browser_items.append(item)
    # Browser tests run last (trylast: after pytest-django sorts tests by database use): once the
    # first one starts Playwright, its event loop runs in this thread until the session ends,
    # and Django refuses database calls while a loop runs.
    items[:] = [item for item in items if item not in browser_items] + browser_items


@pytest.fixture(scope="session", autouse=True)
def _database_before_playwright(django_db_setup):
    # Create the test database before Playwright starts its loop (and so destroy it after the
    # loop stops), so that neither needs DJANGO_ALLOW_ASYNC_UNSAFE.
    return None


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the test body still uses the ORM
    # (seeding, assertions), which Django would otherwise refuse while a loop is running. Only
    # for browser modules: elsewhere the check should keep catching ORM calls from async code.
    # Module scope, not the function-scoped monkeypatch: the database flush after a
    # transactional test runs after function-scoped fixtures are undone.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _chromium_present():
    if not CHROMIUM.exists():
        pytest.fail(f"CI=true and Chromium is missing at {CHROMIUM}: install Debian's chromium.")


# expect() gives up after 5 s by default. On a machine whose cores are shared (CI's, a
# developer's running two suites) a page can take longer and still be right; the wait ends as
# soon as the page is ready, so a longer limit costs a passing test nothing.
EXPECT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session", autouse=True)
def _patient_expect():
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }
