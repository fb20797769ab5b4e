"""The layering of the apps (README, "Layout"): `core` imports no app; `learning` imports only
`core` outside its wiring (settings and URLs); no two apps import each other; `demo` and
`backups` are imported by none. Every import counts, those inside functions too."""

import ast
from itertools import combinations
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = (
    "core",
    "learning",
    "catalog",
    "enrollment",
    "calendars",
    "imports",
    "audit",
    "plan",
    "demo",
    "backups",
    "worker",
    "accounts",
)
# The project package's wiring may import every app: its URLs and settings are the roof.
WIRING = {
    "learning/urls.py",
    "learning/urls_accounts.py",
    "learning/settings.py",
    "learning/api/urls.py",
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


def app_imports() -> dict[str, dict[str, set[str]]]:
    """For each app, the other apps it imports and, for each, the files that do."""
    graph: dict[str, dict[str, set[str]]] = {app: {} for app in APPS}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or relative in WIRING:
                continue
            for other in imported_apps(path) - {app}:
                graph[app].setdefault(other, set()).add(relative)
    return graph


def test_core_imports_no_app():
    assert app_imports()["core"] == {}


def test_no_two_apps_import_each_other():
    graph = app_imports()
    mutual = {
        "-".join((a, b)): {a: sorted(graph[a][b]), b: sorted(graph[b][a])}
        for a, b in combinations(APPS, 2)
        if b in graph[a] and a in graph[b]
    }
    assert not mutual, mutual


def test_demo_and_backups_are_imported_by_no_app():
    graph = app_imports()
    for app in APPS:
        assert "demo" not in graph[app] and "backups" not in graph[app], (app, graph[app])


def test_learning_imports_only_core_outside_its_wiring():
    assert set(app_imports()["learning"]) <= {"core"}, app_imports()["learning"]
