"""The layering of docs/architecture.md, checked on the source: an app imports only from
itself and the apps below it, and from another app only its services, selectors, models,
exceptions (and, for the API layer, the shared API helpers). Everything in core is public."""

import ast
from pathlib import Path

import pytest

PLAZA = Path(__file__).resolve().parents[2]

# Lowest first. Apps on the same rank may not import each other.
LAYERS: list[set[str]] = [
    {"core"},
    {"accounts"},
    {"catalog"},
    {"inventory"},
    {"storefront", "backoffice", "web"},
    {"payments"},
    {"orders"},
    {"checkout"},
    {"social"},
    {"messaging"},
    {"connectors"},
    {"demo"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
# What one app may import of another (`shortcuts`: the back office's view helpers, which
# the staff pages of higher apps reuse).
PUBLIC_MODULES = {"services", "selectors", "models", "exceptions", "api_auth", "shortcuts"}
# `web` is the shared layout: every page app extends its templates, and it may read the
# user's shops for the top bar.
EXTRA_ALLOWED = {("web", "accounts")}


def _app_modules():
    for path in sorted(PLAZA.glob("*/**/*.py")):
        app = path.relative_to(PLAZA).parts[0]
        if app in RANK and "migrations" not in path.parts:
            yield app, path


def _plaza_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.count(".") == 1:  # from plaza.catalog import services
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "plaza" and len(parts) >= 2:
                yield node.lineno, parts[1:]


def test_every_app_is_placed_in_a_layer():
    apps = {p.name for p in PLAZA.iterdir() if (p / "apps.py").exists()}
    assert apps <= set(RANK), f"place these apps in LAYERS: {sorted(apps - set(RANK))}"


@pytest.mark.parametrize(("app", "path"), list(_app_modules()), ids=lambda v: str(v))
def test_app_imports_only_public_modules_of_lower_apps(app, path):
    if "tests" in path.parts:
        return  # tests build state across apps, as the application does from the top
    for lineno, parts in _plaza_imports(path):
        target = parts[0]
        if target == app or target not in RANK:
            continue
        where = f"{path.relative_to(PLAZA.parent)}:{lineno} imports plaza.{'.'.join(parts)}"
        if (app, target) not in EXTRA_ALLOWED:
            assert RANK[target] < RANK[app], f"{where}: {target} is not below {app}"
        module = parts[1] if len(parts) > 1 else ""
        # core is the shared kernel: all of it is there to be used.
        assert target == "core" or module in PUBLIC_MODULES, (
            f"{where}: only services/selectors/models"
        )
