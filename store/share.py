"""The hub the sync talks to, as a protocol: `Share` (list, read, write once), `Collision` when a name
is taken, and `retrying` for a share that blinks. `store.sync.DirShare` (a mounted directory) and
`store.pgshare.PgShare` (PostgreSQL) implement it; both import it from here, so neither imports the
other's module back.
"""
from __future__ import annotations

import errno
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Share(Protocol):
    """What the sync needs of the central store: list, read, write once. A directory (`DirShare`, a
    mounted file share) implements it here; a PostgreSQL table of blobs (`store.pgshare.PgShare`) too.

    - `workstations()` lists the folders that hold files; names starting with "." are reserved (the
      share's marker lives in `MARKER_FOLDER`) and never listed.
    - `files(ws, after)` lists a folder's file names: the ops files whose last sequence number is past
      `after` (the caller's high-water mark: on PostgreSQL an index range, not a listing of everything)
      and every other file (snapshots, requests).
    - `read(ws, name)` returns the bytes or raises FileNotFoundError (any other OSError means the share
      itself could not be reached).
    - `write_once(ws, name, data)` publishes a whole file under a new name, or raises `Collision` (a
      FileExistsError) when the name is taken; it never overwrites and leaves nothing half-written.
    - `close()` lets go of the connection, if any.
    """

    def workstations(self) -> list[str]: ...
    def files(self, workstation: str, after: int = 0) -> list[str]: ...
    def read(self, workstation: str, name: str) -> bytes: ...
    def write_once(self, workstation: str, name: str, data: bytes) -> None: ...
    def close(self) -> None: ...


class Collision(FileExistsError):
    """The name is taken on the share. The sync compares contents: never taken as "already sent"."""


# Errors of a network share that pass: retried a few times before the sync gives up on the share.
TRANSIENT = {errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNABORTED,
             errno.ENOTCONN, errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ESTALE,
             errno.ENOENT}
RETRY_DELAYS = (0.1, 0.3, 0.6, 1.0, 2.0, 3.0)  # about 7 s: a FUSE/SMB mount that blinks comes back


def retrying(action: Callable[[], T], *, missing_is_final: bool = True) -> T:
    """Run a share operation, retrying while the share is briefly unreachable. A missing file is an
    answer (raised at once) unless `missing_is_final` is False (a folder that must be there)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return action()
        except (FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError):
            raise
        except FileNotFoundError:
            if missing_is_final or delay is None:
                raise
        except OSError as error:
            if error.errno not in TRANSIENT or delay is None:
                raise
        time.sleep(delay)
    raise AssertionError("unreachable")
