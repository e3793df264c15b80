"""What every Plaza benchmark shares: start Plaza on a loopback port, drive a bounded load
with keep-alive HTTP/1.1 connections, and summarise latencies.

Every load loop stops after a fixed number of requests or a time limit, whichever comes
first, and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict[str, str]) -> str:
    """Run a manage.py command with the benchmark's environment; return its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


@contextlib.contextmanager
def serve(*, env: dict[str, str], workers: int = 2, port: int | None = None, stderr=None):
    """Plaza under uvicorn with `workers` processes on a free loopback port; yields the base URL.

    The server's output goes to this process's, or to `stderr` (an open file) when given."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=stderr,
        stderr=stderr,
    )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Plaza did not start for the benchmark")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def serve_processes(*, env: dict[str, str], processes: int = 2, stderr=None):
    """Plaza under ``processes`` single-process uvicorn servers, each on a loopback port of its
    own; yields their base URLs. The load shares its connections out among them, as a load
    balancer in front of them would.

    Why not one server with ``--workers``: its workers share one listening socket, and a worker
    that wakes up takes every connection waiting. A benchmark opens its keep-alive connections
    at once and keeps them the whole run, so they often all went to one worker, which served
    the run on one core while the other sat idle: the same code measured once or twice as fast,
    by luck."""
    with contextlib.ExitStack() as servers:
        yield [
            servers.enter_context(serve(env=env, workers=1, stderr=stderr))
            for _ in range(max(processes, 1))
        ]


def port_of(base: str) -> int:
    assert base.startswith(f"http://{HOST}:"), "benchmarks talk to loopback only"
    return int(base.rsplit(":", 1)[1])


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(p) - 1]

    def line(self, label: str) -> str:
        return (
            f"{label:<14} {self.per_second:8.1f} req/s  p50 {self.percentile(50):7.1f} ms  "
            f"p99 {self.percentile(99):7.1f} ms  ok {self.ok}  errors {sum(self.errors.values())}"
        )


async def exchange_with_headers(
    reader, writer, raw: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send one request built by `raw_request` on an open keep-alive connection; (status,
    headers as lower-cased (name, value) pairs, body)."""
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers: list[tuple[str, str]] = []
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _sep, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, headers, body
    return status, headers, await reader.readexactly(length)


def _raw_get(path: str, port: int, headers: dict[str, str]) -> bytes:
    return raw_request("GET", path, port=port, headers=headers)


def raw_request(
    method: str, path: str, *, port: int, headers: dict[str, str], body: bytes = b""
) -> bytes:
    """One keep-alive HTTP/1.1 request to 127.0.0.1:`port`, as bytes (for `exchange`)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(reader, writer, raw: bytes) -> tuple[int, bytes]:
    """Send one request built by `raw_request` on an open connection; (status, body)."""
    status, _headers, body = await exchange_with_headers(reader, writer, raw)
    return status, body


async def _load(url: str, *, total: int, concurrency: int, seconds: float, headers) -> Result:
    assert url.startswith(f"http://{HOST}:"), "benchmarks talk to loopback only"
    rest = url.removeprefix(f"http://{HOST}:")
    port_text, _slash, path = rest.partition("/")
    port, path = int(port_text), "/" + path
    raw = _raw_get(path, port, headers or {})
    result = Result()
    remaining = total
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal remaining
        reader = writer = None
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            started = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                status, _body = await exchange(reader, writer, raw)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                result.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            result.statuses[status] += 1
            if status == 200:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.errors[f"HTTP {status}"] += 1
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def load(
    url: str,
    *,
    total: int = 2000,
    concurrency: int = 16,
    seconds: float = 30.0,
    headers: dict[str, str] | None = None,
) -> Result:
    """GET `url` `total` times over `concurrency` keep-alive connections, within `seconds`."""
    return asyncio.run(
        _load(url, total=total, concurrency=concurrency, seconds=seconds, headers=headers)
    )


def bench_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmark server: its own data folder, no rate limits."""
    env = dict(os.environ)
    env.update(
        {
            "PLAZA_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PLAZA_NO_RATE_LIMITS": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (1 to 99) of ``values``; NaN for none."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def fresh_database(name: str, admin_url: str) -> str:
    """Drop and create ``name`` on the server of ``admin_url``; its DATABASE_URL. Only a
    benchmark's own database (``plaza_bench…``) is ever dropped."""
    import psycopg
    from psycopg import sql

    if not name.startswith("plaza_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the benchmark's database starts 'plaza_bench'"
        )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return admin_url.rsplit("/", 1)[0] + "/" + name


def server_version(database_url: str) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def redis_cli(db: int, *args: str, timeout: float = 30) -> str:
    """``redis-cli`` on the loopback server's database ``db``; its answer."""
    return subprocess.run(
        ["redis-cli", "-h", HOST, "-p", "6379", "-n", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout.strip()


def redis_database_url(db: int, *, disabled: bool = False) -> str:
    """The URL of the loopback Redis's database ``db``, or "" when Redis does not answer."""
    if disabled:
        return ""
    try:
        answer = redis_cli(db, "ping", timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return f"redis://{HOST}:6379/{db}" if answer == "PONG" else ""


async def serve_people(
    people: list,
    visit,
    *,
    ports: list[int],
    concurrency: int,
    seconds: float,
    errors: Counter,
    done=lambda: None,
) -> float:
    """Let ``concurrency`` clients take ``people`` in order, each over a keep-alive connection to
    one of the loopback ``ports`` (client i to the i-th in turn, so the servers share them
    evenly): ``await visit(conn, person)`` for each, until the people or the ``seconds`` run
    out. A failed visit counts its exception's name in ``errors`` and opens a new connection;
    ``done()`` is called after every person. Returns the seconds it took."""
    queue = list(reversed(people))
    deadline = time.monotonic() + seconds

    async def client(port: int) -> None:
        conn = None
        while queue and time.monotonic() < deadline:
            person = queue.pop()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(HOST, port)
                await asyncio.wait_for(
                    visit(conn, person), timeout=max(deadline - time.monotonic(), 0) + 30
                )
            except (
                OSError,
                ConnectionError,
                asyncio.IncompleteReadError,
                ValueError,
                TimeoutError,
            ) as exc:
                errors[type(exc).__name__] += 1
                if conn is not None:
                    conn[1].close()
                conn = None
            done()
        if conn is not None:
            conn[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client(ports[i % len(ports)]) for i in range(concurrency)))
    return time.perf_counter() - started


def database_pool(env: dict[str, str], *, workers: int, default_size: int) -> str:
    """Give each worker process a pool of ``DB_POOL_MAX_SIZE`` connections (the environment's,
    else ``default_size``; "0" or "" for none), refusing sizes too close to PostgreSQL's 100
    connections. Returns how the run connects, for its report."""
    pool_size = os.environ.get("DB_POOL_MAX_SIZE", str(default_size))
    if pool_size and pool_size != "0":
        env["DB_POOL_MAX_SIZE"] = pool_size
        if int(pool_size) * workers > 80:
            raise SystemExit(
                f"DB_POOL_MAX_SIZE={pool_size} x {workers} workers is too close to "
                "PostgreSQL's max_connections (100)"
            )
        return f"DB_POOL_MAX_SIZE={pool_size} per worker"
    env.pop("DB_POOL_MAX_SIZE", None)
    return f"no pool, DB_CONN_MAX_AGE={env.get('DB_CONN_MAX_AGE', '0 (default)')}"


# --- CPU time spent, read from /proc (Linux): the machine is shared, so the CPU a phase cost is a
# steadier figure than its wall time --------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ... utime at 11)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids() -> list[int]:
    """This run's uvicorn process and its workers (descendants of this process)."""
    parents = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None:
            parents[pid] = int(fields[1])
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def database_backend_pids(database: str) -> list[int]:
    """PostgreSQL backends connected to the run's database, when they run on this machine."""
    pids = []
    for pid in _pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("postgres:") and f" {database} " in cmdline:
            pids.append(pid)
    return pids


def redis_server_pids() -> list[int]:
    """The Redis server, when it runs on this machine (shared: other work may use it too)."""
    pids = []
    for pid in _pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "redis-server":
                pids.append(pid)
    return pids


@dataclass
class CpuMeter:
    """CPU seconds spent by the server, the database's backends, Redis and this load generator."""

    database: str
    server: float = 0.0
    postgres: float = 0.0
    redis: float = 0.0
    client: float = 0.0

    def _now(self) -> tuple[float, float, float, float]:
        return (
            _cpu_seconds(server_pids()),
            _cpu_seconds(database_backend_pids(self.database)),
            _cpu_seconds(redis_server_pids()),
            time.process_time(),
        )

    def __enter__(self) -> CpuMeter:
        self._before = self._now()
        return self

    def __exit__(self, *exc) -> None:
        after = self._now()
        self.server, self.postgres, self.redis, self.client = (
            a - b for a, b in zip(after, self._before, strict=True)
        )

    @property
    def total(self) -> float:
        return self.server + self.postgres + self.redis + self.client or 1e-9

    def per(self, count: int) -> str:
        count = max(count, 1)
        return (
            f"server {1000 * self.server / count:.1f} ms, "
            f"PostgreSQL {1000 * self.postgres / count:.1f} ms, "
            f"Redis {1000 * self.redis / count:.1f} ms, "
            f"load generator {1000 * self.client / count:.1f} ms"
        )


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def load_spread(urls: list[str], *, total: int, concurrency: int, seconds: float) -> Result:
    """``load`` over several servers at once (``serve_processes``), the requests and the
    connections shared out evenly."""
    share = len(urls)
    with ThreadPoolExecutor(max_workers=share) as pool:
        parts = list(
            pool.map(
                lambda url: load(
                    url,
                    total=max(total // share, 1),
                    concurrency=max(concurrency // share, 1),
                    seconds=seconds,
                ),
                urls,
            )
        )
    merged = Result(seconds=max(part.seconds for part in parts))
    for part in parts:
        merged.latencies_ms += part.latencies_ms
        merged.errors.update(part.errors)
        merged.statuses.update(part.statuses)
    return merged


def trivial_phase(bases: list[str], database: str, *, total: int, concurrency: int):
    """``/livez`` on the run's servers, the benchmarks' baseline, with the CPU it cost."""
    with CpuMeter(database) as cpu:
        trivial = load_spread(
            [f"{base}/livez" for base in bases], total=total, concurrency=concurrency, seconds=60
        )
    return trivial, cpu
