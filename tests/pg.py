"""A real, throwaway PostgreSQL for tests: Debian's server binaries, a temp dir, a free loopback port.

The server runs with fsync, synchronous_commit and full_page_writes off (a test
cluster is thrown away, so durability against power loss buys nothing) and is
shared by the whole session; every test gets its own database. As root the
cluster belongs to the `postgres` user (initdb refuses to run as root).

Under CI=true a PostgreSQL that cannot be started fails the tests that need it;
elsewhere they are skipped, naming the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest

SEARCH = ("/usr/lib/postgresql",)  # Debian keeps server binaries off PATH, per major version


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then the newest Debian version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions: list[tuple[int, Path]] = []
    for root in SEARCH:
        for d in Path(root).glob("*/bin"):
            if (d / "initdb").exists() and d.parent.name.isdigit():
                versions.append((int(d.parent.name), d))
    return max(versions)[1] if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server in a temp dir. `start()`, `stop()`, `database()`, `url()`."""

    def __init__(
        self, bin_dir: Path, *, durable_commits: bool = False, fsync: bool = False
    ) -> None:
        # synchronous_commit=off may lose the last commits when the server crashes: right for
        # speed, wrong for a test that stops it with -m immediate and counts what survived.
        # fsync=True (with durable_commits) is a production-like server, for benchmarks.
        self.durable_commits = durable_commits
        self.fsync = fsync
        self.bin_dir = bin_dir
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="tiergate-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.log = self.root / "server.log"
        self.port = 0
        self._names = count(1)
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-800:]}\n{self.log_tail()}"
            )
        return result

    def log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log.read_text().splitlines()[-15:])
        except OSError:
            return ""

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        """Start (or restart, on the same port and data) the server; waits until it accepts."""
        self.port = self.port or free_port()
        options = " ".join(
            f"-c {setting}"
            for setting in (
                f"port={self.port}",
                "listen_addresses=127.0.0.1",
                f"unix_socket_directories={self.socket_dir}",
                f"fsync={'on' if self.fsync else 'off'}",
                f"synchronous_commit={'on' if self.durable_commits else 'off'}",
                f"full_page_writes={'on' if self.fsync else 'off'}",
                "max_connections=200",
            )
        )
        self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data),
                  "-l", str(self.log), "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop; mode "immediate" is a crash as far as clients can tell."""
        self._run("pg_ctl", "stop", "-w", "-t", "30", "-D", str(self.data), "-m", mode)

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
            "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql,
        )  # fmt: skip
        return result.stdout.strip()

    def database(self, hint: str) -> str:
        """Create a fresh database (named after `hint`, e.g. the test) and return its URL."""
        name = f"t{next(self._names)}_{re.sub(r'[^a-z0-9]+', '_', hint.lower())}"[:60]
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required under CI=true and cannot be started: {reason}")
    pytest.skip(f"no PostgreSQL: {reason}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL server (started once)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("initdb/pg_ctl not found (apt-get install postgresql)")
        raise AssertionError("unreachable")
    cluster = PostgresCluster(bin_dir)
    try:
        try:
            cluster.init()
            cluster.start()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            _unavailable(str(exc))
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(postgres: PostgresCluster, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's PostgreSQL, for this test alone."""
    return postgres.database(request.node.name)
