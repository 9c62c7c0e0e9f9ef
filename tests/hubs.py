"""The three hubs the sync tests run on: a local directory, a real SMB share (ARENA_TEST_SMB) and a real
PostgreSQL server (tests/pgserver.py). A Hub gives the test what `arena sync --share` takes (`spec`), a
Share for the store, and the hands of an administrator or an accident on the hub's files: read the raw
bytes, overwrite them, take a file away, put one back."""
from __future__ import annotations

import shutil
from pathlib import Path

from store import sync


class DirHub:
    kind = "dir"

    def __init__(self, path: Path, kind: str = "dir") -> None:
        self.path = path
        self.kind = kind
        self.spec = str(path)

    def share(self) -> sync.Share:
        return sync.DirShare(self.path)

    def workstations(self) -> list[str]:
        folder = self.path / "ops"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def names(self, ws: str) -> list[str]:
        folder = self.path / "ops" / ws
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []

    def get(self, ws: str, name: str) -> bytes:
        return (self.path / "ops" / ws / name).read_bytes()

    def put(self, ws: str, name: str, data: bytes) -> None:
        target = self.path / "ops" / ws / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def remove(self, ws: str, name: str) -> None:
        (self.path / "ops" / ws / name).unlink()

    def blobs(self) -> list[bytes]:
        return [p.read_bytes() for p in self.path.rglob("*") if p.is_file()]

    def close(self) -> None:
        if self.kind == "smb":
            shutil.rmtree(self.path, ignore_errors=True)


class PgHub:
    kind = "pg"

    def __init__(self, server, schema: str) -> None:  # noqa: ANN001 -- tests.pgserver.PgServer
        self.server = server
        self.schema = schema
        self.spec = server.url(schema)
        self.share().close()  # the hub's tables exist from the start, as after IT's setup

    def share(self) -> sync.Share:
        return sync.open_share(self.spec)

    def _sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with self.server.admin("arena") as conn:
            conn.execute(f"SET search_path = {self.schema}")
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def workstations(self) -> list[str]:
        return [r[0] for r in self._sql("SELECT id FROM arena_workstation ORDER BY id")]

    def names(self, ws: str) -> list[str]:
        return [r[0] for r in self._sql("SELECT name FROM arena_file WHERE workstation = %s ORDER BY name", (ws,))]

    def get(self, ws: str, name: str) -> bytes:
        return bytes(self._sql("SELECT data FROM arena_file WHERE workstation = %s AND name = %s", (ws, name))[0][0])

    def put(self, ws: str, name: str, data: bytes) -> None:
        """Write a row as someone with the server's rights could: overwriting, no checks."""
        import hashlib

        from store.pgshare import last_seq

        self._sql("INSERT INTO arena_workstation (id) VALUES (%s) ON CONFLICT DO NOTHING", (ws,))
        self._sql("INSERT INTO arena_file (workstation, name, last_seq, digest, data) VALUES (%s, %s, %s, %s, %s)"
                  " ON CONFLICT (workstation, name) DO UPDATE SET data = excluded.data, digest = excluded.digest",
                  (ws, name, last_seq(name), hashlib.sha256(data).digest(), data))

    def remove(self, ws: str, name: str) -> None:
        self._sql("DELETE FROM arena_file WHERE workstation = %s AND name = %s", (ws, name))

    def blobs(self) -> list[bytes]:
        return [bytes(r[0]) for r in self._sql("SELECT data FROM arena_file")]

    def close(self) -> None:
        self.server.drop_schema(self.schema)


def copy_files(source, target) -> None:  # noqa: ANN001
    """Every file of one hub into another, bytes only (SMB offers no metadata to copy)."""
    for ws in source.workstations():
        for name in source.names(ws):
            target.put(ws, name, source.get(ws, name))


def short_blink_allowance(monkeypatch, delays: tuple[float, ...] = (0.01, 0.02)) -> None:  # noqa: ANN001
    """The few seconds a sync waits for a share or a server that blinks (store.share.RETRY_DELAYS, also
    read as store.sync's name) cut short, for a test of a share that is really gone: the waiting itself is
    the same code, only shorter."""
    from store import share

    monkeypatch.setattr(share, "RETRY_DELAYS", delays)
    monkeypatch.setattr(sync, "RETRY_DELAYS", delays)
