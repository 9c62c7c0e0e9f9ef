"""The wheel is what `pip install .` installs: it carries the top-level screens.css where the app finds
it, and neither bench/ nor tests/. Built offline from a copy of the repository."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_stylesheet_and_an_installed_app_finds_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "screens.css"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("store", "tui", "bench", "tests"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.svg"))
    out = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
                            "-q", "-w", str(out), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = out.glob("arena-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert archive.read("tui/style/screens.css") == (ROOT / "screens.css").read_bytes()
        assert not [n for n in names if n.split("/")[0] in ("bench", "tests", "screens.css")], names
        assert {n.split("/")[0] for n in names if not n.startswith("arena-")} == {"store", "tui"}
        site = tmp_path / "site"
        archive.extractall(site)
    # as installed: the app (imported from the unpacked wheel, away from the repository) finds its CSS there
    found = subprocess.run([sys.executable, "-c", "import tui.app; print(tui.app.__file__); print(tui.app.STYLESHEET)"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""})
    assert found.returncode == 0, found.stderr[-2000:]
    assert found.stdout.split() == [str(site / "tui" / "app.py"), str(site / "tui" / "style" / "screens.css")]
