"""Live multi-platform harness: complete OCPI platforms as real OS processes.

Each platform gets its own var dir, database (SQLite file, or a PostgreSQL database when the test run's
DATABASE_URL is PostgreSQL), Celery broker (filesystem in its var dir, or its own Redis db number when
REDIS_URL is set), port, identity (country code, party id, roles, business name) and admin superuser,
and runs gunicorn and a Celery worker, plus the OCPP central system (`run_ocpp`, on a port of its own)
when its spec says `ocpp=True`. Usage (the `platforms` fixture is a `Platforms`):

    a, b = platforms.start("NL-AAA:CPO", PlatformSpec("DE", "BBB", ("EMSP",), "Beta Mobility"))
    b.manage("ocpi_invite", "--name", "alpha").stdout
    a.get("/ocpi/2.2.1/credentials", token="...").json()
    a.stop(); a.start()    # same database, var dir and ports

    (c,) = platforms.start(PlatformSpec("NL", "CCC", ("CPO",), ocpp=True))
    c.ocpp_url("CP-1")     # ws://127.0.0.1:<ocpp_port>/ocpp/CP-1
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
COMMAND_TIMEOUT = 120.0
PORT_RANGE = (20_000, 32_000)  # below Linux's ephemeral range: the kernel never hands these out on its own
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}
REDIS_DBS = range(1, 16)  # Redis has 16 databases by default; 0 is left to the rest of the test run
LOG_TAIL_LINES = 150

T = TypeVar("T")
R = TypeVar("R")


class PlatformStartError(RuntimeError):
    """A platform did not come up; the message carries the tail of its logs."""


class CommandFailed(AssertionError):
    """A management command exited non-zero (raised by `LivePlatform.manage(..., check=True)`)."""

    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"`manage.py {' '.join(result.args[2:])}` exited {result.returncode}\n"
            f"--- stdout ---\n{_tail(result.stdout, 60)}\n--- stderr ---\n{_tail(result.stderr, 60)}"
        )


def auth_header(token: str) -> str:
    """`Token <base64(token)>` (OCPI 2.2.1 §4.1.3), written here independently of the platform's code."""
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def parallel(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """fn over items in threads (each item usually runs a subprocess); the first exception is raised."""
    items = list(items)
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(fn, items))


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class _Ports:
    """Free ports from PORT_RANGE, never the same twice in this process (xdist workers pick at random)."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._lock = threading.Lock()
        self._random = random.Random(os.getpid() ^ time.time_ns())

    def allocate(self) -> int:
        with self._lock:
            for _ in range(1000):
                port = self._random.randrange(*PORT_RANGE)
                if port not in self._used and _port_is_free(port):
                    self._used.add(port)
                    return port
        raise PlatformStartError(f"No free port found in {PORT_RANGE}")


class _RedisDbs:
    """Redis database numbers, one per live platform; shared out between pytest-xdist workers."""

    def __init__(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
        index = int(worker[2:]) if worker[2:].isdigit() else 0
        self._free = [db for db in REDIS_DBS if (db - 1) % count == index % count]
        self._lock = threading.Lock()

    def allocate(self) -> int:
        with self._lock:
            if not self._free:
                raise PlatformStartError("No free Redis database number left: stop some platforms first")
            return self._free.pop(0)

    def release(self, db: int) -> None:
        with self._lock:
            if db not in self._free:
                self._free.append(db)
                self._free.sort()


_PORTS = _Ports()
_REDIS_DBS = _RedisDbs()


@dataclass(frozen=True)
class PlatformSpec:
    """Who a platform is: its party (country_code, party_id), roles and business name, plus extra env;
    `ocpp`: it also runs the OCPP central system (`manage.py run_ocpp`) on a port of its own."""

    country_code: str
    party_id: str
    roles: tuple[str, ...] = ("CPO", "EMSP")
    business_name: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    ocpp: bool = False

    @classmethod
    def parse(cls, text: str) -> PlatformSpec:
        """`NL-AAA` or `NL-AAA:CPO,EMSP`."""
        code, _, roles = text.partition(":")
        cc, _, pid = code.partition("-")
        if len(cc) != 2 or len(pid) != 3:
            raise ValueError(f"Expected CC-PID[:ROLE,ROLE], got {text!r}")
        parsed = tuple(r.strip().upper() for r in roles.split(",") if r.strip())
        return cls(cc.upper(), pid.upper(), parsed or ("CPO", "EMSP"))

    @property
    def code(self) -> str:
        return f"{self.country_code}-{self.party_id}"


class LivePlatform:
    """One running platform: its URLs, environment, processes, logs and helpers to talk to it."""

    admin_username = "admin"

    def __init__(
        self, spec: PlatformSpec, *, index: int, var_dir: Path, base_database_url: str, redis_url: str
    ) -> None:
        self.spec = spec
        self.index = index
        self.var_dir = var_dir
        self.log_dir = var_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.admin_password = secrets.token_urlsafe(12)
        self.port = _PORTS.allocate()
        self.ocpp_port: int | None = _PORTS.allocate() if spec.ocpp else None
        self.database_url = ""
        self.redis_db: int | None = None
        self._base_database_url = base_database_url
        self._base_redis_url = redis_url
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._log_marks: dict[Path, int] = {}
        self._spawn_marks: dict[str, int] = {}  # kind -> size of its log when last spawned
        self._pg_created = False
        self.env: dict[str, str] = {}  # set by prepare(); edit it before start() to restart differently

    # --- identity and URLs --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """CC-PID, e.g. NL-AAA."""
        return self.spec.code

    @property
    def country_code(self) -> str:
        return self.spec.country_code

    @property
    def party_id(self) -> str:
        return self.spec.party_id

    @property
    def roles(self) -> tuple[str, ...]:
        return self.spec.roles

    @property
    def business_name(self) -> str:
        return self.spec.business_name or f"Platform {self.name}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def details_url(self) -> str:
        return f"{self.base_url}/ocpi/2.2.1"

    @property
    def credentials_url(self) -> str:
        return f"{self.base_url}/ocpi/2.2.1/credentials"

    @property
    def ocpp_node(self) -> str:
        """The `--node` name of its run_ocpp process: stable across restarts, as run_ocpp wants."""
        return f"e2e-{self.name.lower()}"

    def ocpp_url(self, identity: str) -> str:
        """Where the charger `identity` connects: ws://127.0.0.1:<ocpp_port>/ocpp/<identity>."""
        if self.ocpp_port is None:
            raise RuntimeError(f"{self.name} runs no OCPP server: start it with PlatformSpec(..., ocpp=True)")
        return f"ws://127.0.0.1:{self.ocpp_port}/ocpp/{quote(identity, safe='')}"

    def url(self, path: str) -> str:
        """An absolute URL on this platform (absolute URLs are returned unchanged)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __repr__(self) -> str:
        return f"<LivePlatform {self.name} {self.base_url} {'up' if self.running else 'down'}>"

    # --- set-up --------------------------------------------------------------------------------------

    def _build_env(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SUPERUSER_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
                "DATABASE_URL": self.database_url,
                # Set even when empty, so a .env file cannot slip a shared broker in.
                "REDIS_URL": self._redis_url(),
                "OCPI_VAR_DIR": str(self.var_dir),
                "OCPI_BASE_URL": self.base_url,
                "OCPI_COUNTRY_CODE": self.country_code,
                "OCPI_PARTY_ID": self.party_id,
                "OCPI_ROLES": ",".join(self.roles),
                "OCPI_BUSINESS_NAME": self.business_name,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(self.spec.env)
        self.env = env

    def _redis_url(self) -> str:
        if self.redis_db is None:
            return ""
        parts = urlsplit(self._base_redis_url)
        return urlunsplit(parts._replace(path=f"/{self.redis_db}"))

    def prepare(self) -> None:
        """Database and broker, `migrate`, the admin superuser (no server yet)."""
        if _is_postgres(self._base_database_url):
            self.database_url = _pg_create(self._base_database_url, self.index)
            self._pg_created = True
        else:
            self.database_url = f"sqlite:///{self.var_dir / 'db.sqlite3'}"
        if self._base_redis_url:
            import redis

            self.redis_db = _REDIS_DBS.allocate()
            client = redis.Redis.from_url(self._redis_url())
            try:
                client.flushdb()
            finally:
                client.close()
        self._build_env()
        self.manage("migrate", "--noinput", timeout=START_TIMEOUT * 2)
        self.manage(
            "createsuperuser",
            "--noinput",
            extra_env={
                "DJANGO_SUPERUSER_USERNAME": self.admin_username,
                "DJANGO_SUPERUSER_PASSWORD": self.admin_password,
                "DJANGO_SUPERUSER_EMAIL": f"{self.admin_username}@example.com",
            },
        )

    # --- processes ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._procs) and all(p.poll() is None for p in self._procs.values())

    def _note(self, kind: str, text: str) -> None:
        """A timestamped line of our own in a process log."""
        with (self.log_dir / f"{kind}.log").open("a", encoding="utf-8") as log:
            log.write(f"=== {time.strftime('%H:%M:%S')} {text}\n")

    def _spawn(self, kind: str, argv: Sequence[str]) -> None:
        self._note(kind, f"start {kind}: {' '.join(argv)}")
        with (self.log_dir / f"{kind}.log").open("ab") as log:
            self._spawn_marks[kind] = log.tell()
            self._procs[kind] = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole, spared the terminal's ^C
            )

    def spawn(self) -> None:
        """Start gunicorn, the Celery worker (and run_ocpp) without waiting (see `wait_ready`)."""
        if self._procs:
            raise RuntimeError(f"{self.name} is already started")
        self._spawn(
            "web",
            [
                sys.executable, "-m", "gunicorn", "config.wsgi",
                "-b", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "8",
                "--graceful-timeout", "5", "--timeout", "60",
                "--access-logfile", "-", "--error-logfile", "-",
                "--no-control-socket",  # by default one socket in $HOME, shared by every gunicorn
            ],
        )  # fmt: skip
        self._spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING",
                "-n", f"{self.name.lower()}@%h", "--without-mingle", "--without-gossip",
            ],
        )  # fmt: skip
        if self.ocpp_port is not None:
            self._spawn(
                "ocpp",
                [
                    sys.executable, "manage.py", "run_ocpp",
                    "--host", "127.0.0.1", "--port", str(self.ocpp_port), "--node", self.ocpp_node,
                ],
            )  # fmt: skip

    def log_since_spawn(self, kind: str) -> str:
        """What the process `kind` has logged since it was last spawned."""
        path = self.log_dir / f"{kind}.log"
        if not path.exists():
            return ""
        with path.open("rb") as f:
            f.seek(self._spawn_marks.get(kind, 0))
            return f.read().decode("utf-8", "replace")

    def poll_ready(self) -> bool:
        """True when /ocpi/versions answers (401 without a token counts) and, with OCPP, run_ocpp listens
        (its port accepts TCP connections); raises if a process died."""
        for kind, proc in self._procs.items():
            if proc.poll() is not None:
                raise PlatformStartError(
                    f"{self.name}: {kind} exited with {proc.returncode}\n{self.log_tail()}"
                )
        try:
            response = requests.get(self.versions_url, timeout=2)
        except requests.RequestException:
            return False
        if response.status_code not in (200, 401):
            return False
        return self.ocpp_port is None or self._ocpp_listening()

    def _ocpp_listening(self) -> bool:
        """run_ocpp says it listens on its port (not some other process that took it: run_ocpp would
        then die, a moment later) and the port accepts TCP connections."""
        assert self.ocpp_port is not None
        said = f"127.0.0.1:{self.ocpp_port}" in self.log_since_spawn("ocpp")
        return said and _accepts_tcp(self.ocpp_port)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.poll_ready():
            if time.monotonic() > deadline:
                raise PlatformStartError(f"{self.name} not up after {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.2)

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """(Re)start web, worker (and run_ocpp) on the same ports, database and var dir; wait until up."""
        self.spawn()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, *, kill: bool = False) -> None:
        """Stop web, worker (and run_ocpp): SIGTERM, then SIGKILL after STOP_TIMEOUT (`kill=True`: SIGKILL,
        a crash).

        The var dir, database and ports stay: `start()` brings the same platform back.
        """
        for proc in self._procs.values():
            _signal_group(proc, signal.SIGKILL if kill else signal.SIGTERM)
        for kind, proc in list(self._procs.items()):
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT)
            _signal_group(proc, signal.SIGKILL)  # stragglers of the group (e.g. a gunicorn worker)
            del self._procs[kind]
            self._note(kind, f"stopped {kind}: exit {proc.returncode}")

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        self.stop()
        self.start(timeout)

    def close(self) -> None:
        """Stop everything and drop what lives outside the var dir (PostgreSQL database, Redis db)."""
        self.stop()
        if self._pg_created:
            _pg_drop(self._base_database_url, self.database_url)
            self._pg_created = False
        if self.redis_db is not None:
            import redis

            client = redis.Redis.from_url(self._redis_url())
            try:
                client.flushdb()
            except redis.RedisError:
                pass  # flushed again by whoever gets this number next
            finally:
                client.close()
            _REDIS_DBS.release(self.redis_db)
            self.redis_db = None

    # --- commands and database ---------------------------------------------------------------------

    def manage(
        self,
        *args: str,
        check: bool = True,
        timeout: float = COMMAND_TIMEOUT,
        extra_env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`manage.py <args>` in this platform's environment (same database); CommandFailed if non-zero."""
        argv = [sys.executable, "manage.py", *args]
        result = subprocess.run(
            argv,
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self._note("manage", f"manage.py {' '.join(args)} -> exit {result.returncode}")
        with (self.log_dir / "manage.log").open("a", encoding="utf-8") as log:
            log.write(result.stdout + result.stderr)
        if check and result.returncode != 0:
            raise CommandFailed(result)
        return result

    def shell(self, code: str) -> str:
        """Run Python code in `manage.py shell` (Django set up, nothing auto-imported); its stdout."""
        return self.manage("shell", "--no-imports", "-c", code).stdout

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement on this platform's database (`%s` placeholders), rows if any; fast."""
        if _is_postgres(self.database_url):
            import psycopg

            with (
                psycopg.connect(_libpq_url(self.database_url), autocommit=True) as conn,
                conn.cursor() as cur,
            ):
                cur.execute(query.encode(), params)
                return list(cur.fetchall()) if cur.description else []
        with contextlib.closing(sqlite3.connect(self.var_dir / "db.sqlite3", timeout=30)) as lite:
            rows = lite.execute(query.replace("%s", "?"), tuple(params)).fetchall()
            lite.commit()
            return rows

    def reset_partners(self) -> None:
        """Forget every partner platform (their tokens, endpoints, parties cascade); own parties stay."""
        self.shell("from ocpi.models import Platform; Platform.objects.all().delete()")

    # --- HTTP --------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        plain: bool = False,
        timeout: float = 15,
    ) -> requests.Response:
        """An HTTP call to this platform; `token` goes in `Authorization: Token <base64>` (`plain`: as is)."""
        all_headers = {"Accept": "application/json"}
        if token is not None:
            all_headers["Authorization"] = f"Token {token}" if plain else auth_header(token)
        all_headers.update(headers or {})
        return requests.request(method, self.url(path), json=json, headers=all_headers, timeout=timeout)

    def get(self, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, token=token, **kwargs)

    def post(
        self, path: str, json: Any = None, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.request("POST", path, token=token, json=json, **kwargs)

    def put(
        self, path: str, json: Any = None, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.request("PUT", path, token=token, json=json, **kwargs)

    def patch(
        self, path: str, json: Any = None, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.request("PATCH", path, token=token, json=json, **kwargs)

    def delete(self, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, token=token, **kwargs)

    def admin_session(self) -> requests.Session:
        """A requests session logged in to /admin/ as the superuser."""
        session = requests.Session()
        login = self.url("/admin/login/")
        session.get(login, timeout=15).raise_for_status()
        response = session.post(
            login,
            data={
                "username": self.admin_username,
                "password": self.admin_password,
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                "next": "/admin/",
            },
            headers={"Referer": login},
            timeout=15,
        )
        if response.status_code != 200 or "/admin/login/" in response.url:
            raise AssertionError(
                f"admin login on {self.name} failed: HTTP {response.status_code} {response.url}"
            )
        return session

    # --- logs ----------------------------------------------------------------------------------------

    def log_files(self) -> list[Path]:
        return sorted(self.log_dir.glob("*.log"))

    def mark_logs(self) -> None:
        """Remember where the logs end now: `log_report` shows what comes after."""
        self._log_marks = {path: path.stat().st_size for path in self.log_files()}

    def log_report(self, lines: int = LOG_TAIL_LINES) -> list[tuple[str, str]]:
        """(file name, text) per log file: what was written since `mark_logs`, its last `lines` lines."""
        sections = []
        for path in self.log_files():
            with path.open("rb") as f:
                f.seek(self._log_marks.get(path, 0))
                text = f.read().decode("utf-8", "replace")
            if text.strip():
                sections.append((path.name, _tail(text, lines)))
        return sections

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of every log file, for error messages."""
        parts = []
        for path in self.log_files():
            text = path.read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {self.name} {path} ---\n{_tail(text, lines)}")
        return "\n".join(parts)


class Platforms:
    """Factory and owner of live platforms: `start(*specs)`; `close()` stops them all and drops databases."""

    def __init__(
        self, base_dir: Path, *, database_url: str | None = None, redis_url: str | None = None
    ) -> None:
        self.base_dir = base_dir
        self.database_url = os.environ.get("DATABASE_URL", "") if database_url is None else database_url
        self.redis_url = os.environ.get("REDIS_URL", "") if redis_url is None else redis_url
        self._platforms: list[LivePlatform] = []
        self._counter = 0
        self._lock = threading.Lock()
        _LIVE.append(self)
        atexit.register(self.close)

    def __iter__(self) -> Iterator[LivePlatform]:
        return iter(list(self._platforms))

    def __len__(self) -> int:
        return len(self._platforms)

    def start(self, *specs: PlatformSpec | str, timeout: float = START_TIMEOUT) -> list[LivePlatform]:
        """Start one platform per spec; `migrate` runs in parallel, then all servers start together."""
        new = [
            self._new(spec if isinstance(spec, PlatformSpec) else PlatformSpec.parse(spec)) for spec in specs
        ]
        try:
            parallel(LivePlatform.prepare, new)
            for platform in new:
                platform.spawn()
            self._wait_all(new, timeout)
        except BaseException:
            for platform in new:
                self.destroy(platform)
            raise
        return new

    def _new(self, spec: PlatformSpec) -> LivePlatform:
        with self._lock:
            self._counter += 1
            index = self._counter
        var_dir = self.base_dir / f"{index:02d}-{spec.code}"
        platform = LivePlatform(
            spec, index=index, var_dir=var_dir, base_database_url=self.database_url, redis_url=self.redis_url
        )
        self._platforms.append(platform)
        return platform

    def _wait_all(self, platforms: list[LivePlatform], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(platforms)
        while waiting:
            for platform in list(waiting):
                try:
                    ready = platform.poll_ready()
                except PlatformStartError:
                    lost = _lost_port_race(platform)
                    if not lost:
                        raise
                    platform.stop()
                    if "web" in lost:
                        platform.port = _PORTS.allocate()
                        platform.env["OCPI_BASE_URL"] = platform.base_url
                    if "ocpp" in lost:
                        platform.ocpp_port = _PORTS.allocate()
                    platform.spawn()
                    continue
                if ready:
                    waiting.remove(platform)
            if waiting and time.monotonic() > deadline:
                tails = "\n".join(p.log_tail() for p in waiting)
                raise PlatformStartError(
                    f"not up after {timeout:.0f} s: {', '.join(map(str, waiting))}\n{tails}"
                )
            if waiting:
                time.sleep(0.2)

    def destroy(self, *platforms: LivePlatform) -> None:
        """Stop and clean up these platforms now (in parallel), rather than at the end of the session."""

        def close_one(platform: LivePlatform) -> BaseException | None:
            try:
                platform.close()
            except Exception as exc:
                return exc
            finally:
                if platform in self._platforms:
                    self._platforms.remove(platform)
            return None

        errors = [error for error in parallel(close_one, platforms) if error is not None]
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Stop every platform and drop their databases; safe to call twice."""
        try:
            self.destroy(*self._platforms)
        finally:
            if self in _LIVE:
                _LIVE.remove(self)
            atexit.unregister(self.close)


_LIVE: list[Platforms] = []


def live_platforms() -> list[LivePlatform]:
    """Every platform any open `Platforms` owns (for the failure log report in conftest)."""
    return [platform for owner in _LIVE for platform in owner]


def _lost_port_race(platform: LivePlatform) -> set[str]:
    """The processes (web, ocpp) that could not bind: someone took the port between our check and
    their start."""
    lost = set()
    if "Connection in use" in _tail(platform.log_since_spawn("web"), 30):
        lost.add("web")
    if platform.ocpp_port is not None and re.search(
        r"\[Errno 98\]|address already in use", _tail(platform.log_since_spawn("ocpp"), 30), re.IGNORECASE
    ):
        lost.add("ocpp")
    return lost


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


# --- PostgreSQL -------------------------------------------------------------------------------------


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def _libpq_url(url: str) -> str:
    """libpq understands postgresql:// and postgres:// only."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def _with_dbname(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))


def _pg_maintenance_url(url: str) -> str:
    return _libpq_url(_with_dbname(url, "postgres"))


def _pg_create(base_url: str, index: int) -> str:
    import psycopg

    base_name = urlsplit(base_url).path.lstrip("/") or "ocpi"
    dbname = f"{base_name[:40]}_e2e_{index}_{secrets.token_hex(3)}".lower()
    with psycopg.connect(_pg_maintenance_url(base_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"'.encode())
    return _with_dbname(base_url, dbname)


def _pg_drop(base_url: str, url: str) -> None:
    import psycopg

    dbname = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_pg_maintenance_url(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'.encode())
