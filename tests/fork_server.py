"""A small fork server for the tests that SIGKILL a real process many times.

`python tests/fork_server.py MODULE...` imports the modules once, then for every JSON line
`{"call": "module:function", "args": [...], "fork": true}` on stdin forks a child (a real process of
its own, which opens its database itself) that runs the call, prints `child PID` before it runs and
`end STATUS` once it is gone. `"fork": false` runs the call in the server (a warm-up before forking;
nothing it opens may stay open). Each child starts in milliseconds instead of importing SQLAlchemy
and the holiday tables anew, so a test spends its time in the work it interrupts. A child writes its
reports with one `os.write` each, so a line is whole or absent when it is killed."""
from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any


def _call(spec: str, args: list[Any]) -> Any:
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)(*args)


def serve(preload: list[str]) -> None:
    for module in preload:
        importlib.import_module(module)
    for command in sys.stdin:
        request = json.loads(command)
        if not request.get("fork", True):
            _call(request["call"], request["args"])
            os.write(1, b"end 0\n")
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:
            code = 70
            try:
                result = _call(request["call"], request["args"])
                code = result if isinstance(result, int) else 0
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.write(1, f"child {child}\n".encode())
        _, status = os.waitpid(child, 0)
        os.write(1, f"end {status}\n".encode())


if __name__ == "__main__":
    serve(sys.argv[1:])
