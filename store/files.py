"""Files Arena writes for people (exports, reports): owner-only, whole or not at all.

A file is written under a temporary name in the target's folder (created 0600), flushed to disk and only
then given its name. It never replaces the database (or its journal files), never an existing file
unless the caller says so (`--force`), and a refused or failed write deletes nothing but its own
temporary file. Must not import textual or rich.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from store.i18n import ArenaError, os_reason

OWNER_ONLY = 0o600


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: str | os.PathLike[str], *, force: bool = False,
                 protect: tuple[str | os.PathLike[str], ...] = ()) -> Path:
    """Refuse a target that is a folder, a protected file (the database and its -wal/-shm/-journal) or,
    without `force`, any file that exists. Call before any work so a refusal costs nothing."""
    from store import dbfile, logs

    target = Path(path)
    if target.is_dir():
        raise ArenaError("file.is_dir", path=str(target))
    for kept in protect:
        base = Path(kept)
        for guarded in (base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal"))):
            if _same(target, guarded) or target.resolve() == guarded.resolve():
                raise ArenaError("file.is_database", path=str(target))
    # Arena's own files: the workstation key (without it the database is lost) and the log beside every
    # database named (with its rotated files), never replaced by a report or an export, --force or not
    own = [dbfile.key_path()]
    for kept in protect:
        log = logs.log_path(kept)
        own += [log, *(log.with_name(f"{log.name}.{n}") for n in range(1, 10))]
    for guarded in own:
        if _same(target, guarded) or target.resolve() == guarded.resolve():
            raise ArenaError("file.is_arena_file", path=str(target))
    if (target.exists() or target.is_symlink()) and not force:
        raise ArenaError("file.exists", path=str(target))
    return target


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], *, force: bool = False,
              protect: tuple[str | os.PathLike[str], ...] = (), binary: bool = False,
              encoding: str = "utf-8") -> Iterator[IO]:
    """Yield a file to write; on a clean exit it becomes `path` (0600) in one rename, else it vanishes."""
    target = check_target(path, force=force, protect=protect)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)  # 0600
    except OSError as error:
        raise ArenaError("file.cannot_write", path=str(target), detail=os_reason(error)) from error
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb" if binary else "w", encoding=None if binary else encoding,
                  newline=None if binary else "") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, OWNER_ONLY)
        check_target(target, force=force, protect=protect)  # nothing appeared there meanwhile
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the name was taken meanwhile: never a silent replace
            except FileExistsError as error:
                raise ArenaError("file.exists", path=str(target)) from error
            except OSError:  # a file system without hard links: the check above is all we have
                os.replace(tmp, target)
            else:
                tmp.unlink()
    except OSError as error:
        raise ArenaError("file.cannot_write", path=str(target), detail=os_reason(error)) from error
    finally:
        tmp.unlink(missing_ok=True)
