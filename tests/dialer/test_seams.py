"""The call seam and the pure scheduling code stay free of settings and the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ringcast

SRC = Path(ringcast.__file__).parent
FORBIDDEN = ("ringcast.settings", "ringcast.db", "ringcast.api", "sqlalchemy", "fastapi")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "module",
    [
        "dialer/launcher.py",
        "dialer/next_state.py",
        "kit/clock.py",
        *[f"scheduling/{p.name}" for p in sorted((SRC / "scheduling").glob("*.py"))],
    ],
)
def test_pure_modules_import_no_settings_nor_database(module):
    bad = {m for m in _imports(SRC / module) if m.startswith(FORBIDDEN)}
    assert not bad, f"{module} imports {sorted(bad)}"
