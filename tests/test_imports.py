"""Every module of the tracker imports on its own, whatever was imported before it.

An import cycle can hide behind the order in which the app happens to load its modules: a
module that only imports after another one has must fail here. Each module is imported in a
fresh interpreter. Starting one interpreter per module takes minutes, so one subprocess
imports the third-party libraries the tracker uses (they never import the tracker) and then
forks once per module: every child starts with no module of the project loaded.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"tracker", "config", "tests"}

DRIVER = textwrap.dedent(
    """
    import importlib, os, sys, traceback

    preload, modules = sys.argv[1].split(), sys.argv[2].split()
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # an optional library: the module that wants it will say so
    assert not any(m == "tracker" or m.startswith("tracker.") for m in sys.modules)
    failed = 0
    for module in modules:
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:
            try:
                importlib.import_module(module)
            except BaseException:
                print(f"--- import {module} failed:", file=sys.stderr)
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        failed += status != 0
    sys.exit(1 if failed else 0)
    """
)


def tracker_modules() -> list[str]:
    """Name every module under tracker/, packages included."""
    names = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def third_party_imports() -> list[str]:
    """Name the modules outside the project that the tracker's modules import."""
    found = set()
    for path in (ROOT / "tracker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return sorted(name for name in found if name.split(".")[0] not in PROJECT)


def test_every_module_imports_on_its_own():
    modules = tracker_modules()
    assert "tracker.auth" in modules and "tracker.followup.flags" in modules
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, " ".join(third_party_imports()), " ".join(modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


def test_a_pure_module_does_not_load_the_web_app():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, tracker.followup.flags; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('tracker'))))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(result.stdout)
    assert "tracker.extensions" not in loaded
    web = ("tracker.api", "tracker.auth", "tracker.clinic", "tracker.services")
    assert not [m for m in loaded if m.startswith(web)]
