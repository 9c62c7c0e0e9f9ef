"""A real PostgreSQL server for the tests: Debian's initdb/pg_ctl on a temporary directory and a loopback
port, started once per test session (once per xdist worker), stopped at the end.

Each test gets its own role-less schema on it (a fresh hub) and a URL whose search_path names that
schema, the way IT sets up a programme (one role, one schema). initdb refuses to run as root, so as root
the server runs as the `postgres` user through runuser. The binaries are looked for in PATH and in
/usr/lib/postgresql/*/bin; without them the tests that need the server are skipped, except under CI
(CI=true), where that is a failure: `.ci/run` installs the postgresql package first.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ADMIN_PASSWORD = "arena-test-admin"
ROLE, ROLE_PASSWORD = "arena", "arena-test-pw"


# The server asks for SCRAM-SHA-256 as a real one does, but its verifiers are made with a few PBKDF2
# rounds instead of 4 096 (PostgreSQL 15 has no setting for it and keeps a verifier given as is): every
# connection of the suite (each sync, each hub made) cost ~10 ms of CPU on each side for the rounds alone.
SCRAM_ROUNDS = 16


def scram_verifier(password: str, rounds: int = SCRAM_ROUNDS) -> str:
    """A SCRAM-SHA-256 verifier as PostgreSQL stores it (RFC 5802/7677), for an ASCII password."""
    import base64
    import hashlib
    import hmac

    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${rounds}:{b64(salt)}${b64(stored)}:{b64(server)}"


def binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        # as root the server runs as postgres, which must reach its directory: /tmp, whatever TMPDIR says
        self.root = Path(tempfile.mkdtemp(prefix="arena-pg-", dir="/tmp" if self.as_root else None))
        self.data = self.root / "data"
        self.port = _free_port()

    def _run(self, *argv: str, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
        cmd = [str(a) for a in argv]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> PgServer:
        os.chmod(self.root, 0o755)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth=scram-sha-256",
                  f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        conf = self.data / "postgresql.conf"
        with open(conf, "a") as out:  # a test server: fast, small, loopback only
            out.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                      "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                      "max_connections = 200\nlog_min_messages = fatal\n")
        self.resume()
        self._reaper()
        with self.admin() as conn:
            conn.execute(f"ALTER ROLE postgres PASSWORD '{scram_verifier(ADMIN_PASSWORD)}'")
            conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{scram_verifier(ROLE_PASSWORD)}'")
            conn.execute(f"CREATE DATABASE arena OWNER {ROLE}")
        return self

    def _reaper(self) -> None:
        """A test run killed with SIGKILL cannot stop its server: a small watcher does it when this process
        is gone, so no server outlives its tests (`tail --pid` waits for this process to end, in its own)."""
        script = (f"tail --pid={os.getpid()} -f /dev/null; "
                  f"{self.bindir / 'pg_ctl'} -D {self.data} -m immediate stop >/dev/null 2>&1; rm -rf {self.root}")
        cmd = ["sh", "-c", script]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def halt(self) -> None:
        """The server goes away at once, as in a crash or a pulled cable (its data stays)."""
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def admin(self, dbname: str = "postgres"):  # noqa: ANN201
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", password=ADMIN_PASSWORD,
                               dbname=dbname, autocommit=True)

    def url(self, schema: str, *, user: str = ROLE, password: str = ROLE_PASSWORD) -> str:
        return (f"postgresql://{user}:{password}@127.0.0.1:{self.port}/arena"
                f"?options=-csearch_path%3D{schema}")

    def new_schema(self) -> str:
        """A fresh, empty hub: one schema owned by the programme's role, as the README tells IT."""
        schema = f"hub_{uuid.uuid4().hex[:12]}"
        with self.admin("arena") as conn:
            conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {ROLE}")
        return schema

    def drop_schema(self, schema: str) -> None:
        with self.admin("arena") as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def start_or_skip() -> PgServer:
    """A started server; without the binaries a skip, or under CI (CI=true) a failure."""
    import pytest

    bindir = binaries()
    if bindir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PgServer(bindir).start()
