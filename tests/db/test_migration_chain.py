"""Migrations form one linear chain, numbered as their files are (parallel branches
that each add "the next" migration collide here, not at a user's upgrade)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ringcast.db

VERSIONS = Path(ringcast.db.__file__).parent / "migrations" / "versions"


def test_each_migration_follows_the_previous_one() -> None:
    files = sorted(VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert files, "no migrations found"
    previous = None
    for path in files:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        number = path.name[:4]
        assert module.revision == number, f"{path.name}: revision {module.revision!r}"
        assert module.down_revision == previous, f"{path.name}: revises {module.down_revision!r}"
        previous = number
