"""Where errors leave a trace: the `arena` loggers write to a rotating file beside the database.

`setup(db_path)` is called by every way in (the app, each CLI command) once it knows the database:
`arena.log` in the database's folder, 1 MB per file, five old files kept, every record with its time,
level, logger and – for an error – the whole traceback. With `verbose` (the CLI's `-v`) the records
also go to stderr. Modules log through `logging.getLogger(__name__)` (`store.sync` logs every sync's
summary); nothing here knows about the screen.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

FILE_NAME = "arena.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
_LOGGERS = ("store", "tui", "arena")
_OURS = "_arena_handler"


def log_path(db_path: str | os.PathLike[str]) -> Path:
    """The log file that belongs to a database: beside it."""
    return Path(db_path).resolve().parent / FILE_NAME


def setup(db_path: str | os.PathLike[str] | None, *, verbose: bool = False) -> Path | None:
    """Send the arena loggers to the rotating file beside `db_path` (and to stderr when `verbose`);
    replaces what an earlier call set up. Returns the file, or None when it cannot be written (the
    records then go to stderr only if `verbose`: a read-only folder never stops the work)."""
    handlers: list[logging.Handler] = []
    path: Path | None = None
    if db_path is not None:
        path = log_path(db_path)
        try:
            handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                                 encoding="utf-8", delay=True))
            path.touch(mode=0o600, exist_ok=True)  # the log may name people's ids: owner-only, like the database
        except OSError:
            handlers, path = [], None
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    if not handlers:
        handlers.append(logging.NullHandler())  # not Python's last resort, which would print on the screen
    formatter = logging.Formatter(FORMAT)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(old)
            old.close()
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        for handler in handlers:
            setattr(handler, _OURS, True)
            handler.setFormatter(formatter)
            logger.addHandler(handler)
    return path


def ensure(db_path: str | os.PathLike[str]) -> Path:
    """The log file of `db_path`, set up unless the arena loggers already write to it (an app started
    without the CLI – tests, embedding – still leaves its trace)."""
    path = log_path(db_path)
    writing = [h for h in logging.getLogger("tui").handlers if isinstance(h, logging.FileHandler)]
    if not any(Path(h.baseFilename) == path for h in writing):
        setup(db_path)
    return path
