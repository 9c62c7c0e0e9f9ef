"""Where Arena's files live on this workstation: the data directory (`ARENA_DATA_DIR`, else the user
data directory), the database, the demo database and the programme key (`ARENA_KEY`). The command line
and the app's sync screen both ask here; imports nothing heavy."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    override = os.environ.get("ARENA_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir  # lazy: only when no ARENA_DATA_DIR is set

    return Path(user_data_dir("arena", appauthor=False))


def default_db() -> Path:
    return data_dir() / "arena.db"


def demo_db() -> Path:
    return data_dir() / "demo.db"


def default_key() -> Path:
    return Path(os.environ.get("ARENA_KEY") or data_dir() / "arena.key")
