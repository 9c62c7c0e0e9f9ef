"""`arena ARGS` run inside the test process, with what a subprocess would have had: its own standard
input (not a terminal), its own environment, its own standard output and error, its exit status.

A Python process costs about a second of CPU to start and import the store; a test that runs the CLI
forty times for what the command *says and writes* (not for how a process starts, dies or is killed)
runs it here instead. Where the process itself is the point – `arena --help` not importing Textual, a
SIGKILL in the middle of a write, the console script as installed, the README's shell blocks – the
tests keep real subprocesses.

    from .inprocess import arena
    done = arena("init", "--db", str(path), "--admin", "sara", stdin="246813\n", env={"LOGNAME": "sara"})
    assert done.returncode == 0, done.stderr

`done` has `returncode`, `stdout` and `stderr` like `subprocess.CompletedProcess` with `text=True`
(newlines as universal newlines make them). Each call starts from this process's environment with
`env` laid over it and `unset` taken out, and puts the language, the log handlers and standard
input/output back afterwards.
"""
from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytest


@dataclass
class Ran:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer.getvalue().decode("utf-8", errors="replace")  # type: ignore[attr-defined]
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def arena(*args: str, stdin: str = "", env: Mapping[str, str] | None = None, unset: Iterable[str] = (),
          os_login: str | None = None) -> Ran:
    """Run `arena *args` in this process (see the module docstring); `os_login` sets LOGNAME and USER,
    the OS login `getpass.getuser()` reports."""
    from store import logs
    from tui.cli import entry
    from tui.text import language, set_language

    before = language()
    stdout, stderr = _stream(), _stream()
    with pytest.MonkeyPatch.context() as mp:
        for name in unset:
            mp.delenv(name, raising=False)
        for name, value in (env or {}).items():
            mp.setenv(name, value)
        if os_login is not None:
            mp.setenv("LOGNAME", os_login)
            mp.setenv("USER", os_login)
        mp.setattr(sys, "stdin", _stream(stdin.encode("utf-8")))
        mp.setattr(sys, "stdout", stdout)
        mp.setattr(sys, "stderr", stderr)
        try:
            code = entry.main(list(args))
        except SystemExit as stop:  # argparse's usage errors and --help
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                stderr.write(f"{stop.code}\n")
                code = 1
        finally:
            logs.setup(None)  # the log file beside that database is closed, as at a process's end
            set_language(before)
    return Ran(tuple(args), int(code or 0), _text(stdout), _text(stderr))
