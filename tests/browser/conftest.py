"""Browser tests drive Debian's Chromium through pytest-playwright; no browser is downloaded.

Locally they skip with a reason when Chromium is missing; in CI (CI=true) they fail instead, so a
missing browser never passes for a green run."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BROWSER_DIR = Path(__file__).parent

# Playwright's sync API runs an event loop in this thread; the test body still uses the ORM
# (seeding, assertions), which Django would otherwise refuse while a loop is running.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not in_ci():
                item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}"))


@pytest.fixture(autouse=True)
def _chromium_present():
    if not CHROMIUM.exists():
        pytest.fail(f"CI=true and Chromium is missing at {CHROMIUM}: install Debian's chromium.")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }
