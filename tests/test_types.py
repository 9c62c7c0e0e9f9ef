"""The type checker passes: mypy over what pyproject's [tool.mypy] names (`files`), with its settings.

The cache lives in the system's temporary directory, one per checkout (worktrees beside each other would
otherwise invalidate each other's), shared between runs, so a run after a small change checks only what
changed. A package joins by being added to `files` in pyproject.toml."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes() -> None:
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"arena-mypy-cache-{checkout}"
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
