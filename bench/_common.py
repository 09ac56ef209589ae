"""Shared pieces of the benchmarks: a separate database per benchmark, gunicorn serving the app,
and a load generator in its own process (8 keep-alive connections, loopback only).

Used by bench/directory.py, bench/groups.py and bench/newsletter.py. Not a benchmark itself: run with
no arguments (as ``make bench`` does, for every file here) it does nothing; with ``load`` it is
the load generator (``python bench/_common.py load --base URL PATH...``) and prints JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
BENCH_DIR = ROOT / "var" / "bench"
ZIPF_S = 1.1  # popularity in a "zipf" load: the k-th most common path ~ 1 / k^s


# --- The load generator (runs in its own process) ---------------------------------------------


def load(
    base: str,
    paths: list[str],
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict | None = None,
    *,
    order: str = "cycle",
    unique: bool = False,
    seed: int = 1,
):
    """Hit ``paths`` from ``concurrency`` threads, each with one keep-alive connection, until
    ``seconds`` pass or ``max_requests`` are sent. ``order``: "cycle" (in turn, shared by all
    threads), "random" (uniform) or "zipf" (the k-th path with weight 1/k^ZIPF_S). ``unique``
    adds a never-repeated ignored parameter, so no response can come from a cache. Returns the
    latencies and errors."""
    import random

    parts = urlsplit(base)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("The benchmark only ever talks to loopback.")
    sent_headers = {"Host": "127.0.0.1", **(headers or {})}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + seconds
    weights = [1 / (k**ZIPF_S) for k in range(1, len(paths) + 1)] if order == "zipf" else None

    def worker(number: int):
        rng = random.Random(seed * 1000 + number)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad = [], []
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            if order == "random":
                path = rng.choice(paths)
            elif order == "zipf":
                path = rng.choices(paths, weights)[0]
            else:
                path = paths[n % len(paths)]
            if unique:
                path += ("&" if "?" in path else "?") + f"nocache={seed}-{n}"
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=sent_headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad.append(f"{response.status} {path}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                bad.append(f"{type(exc).__name__} {path}")
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed}


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


# --- Orchestration ------------------------------------------------------------------------------


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def django_env(database_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        COALITION_TESTING="false",
        TASKS_BACKEND="immediate",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def recreate_database(name: str, database_url: str, sqlite_file: Path) -> None:
    """An empty database: the SQLite file removed, or the PostgreSQL database dropped and made
    again (only ever the benchmark's own, named in ``database_url``)."""
    if name == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(database_url)
    admin = parts._replace(path="/postgres").geturl()
    database = parts.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')


def maintain(name: str, env: dict) -> None:
    """Fresh planner statistics and (PostgreSQL) a visibility map for index-only scans, as a
    maintained server has once autovacuum has run."""
    statement = "ANALYZE" if name == "sqlite" else "VACUUM ANALYZE"
    code = "import django; django.setup(); from django.db import connection; "
    code += f"connection.cursor().execute({statement!r})"
    run([PYTHON, "-c", code], env)


def collectstatic() -> None:
    """Static files are served by whitenoise from the collected, hashed copies (DEBUG off)."""
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], django_env("sqlite://"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    env: dict, port: int, *, workers: int = 2, worker_class: str = "sync", threads: int = 4
) -> subprocess.Popen:
    cmd = [
        GUNICORN,
        "config.wsgi",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid``'s child processes, e.g. gunicorn's
    workers (Linux ``/proc``; ``nan`` elsewhere). Per request, it says what a page costs
    whatever else the machine is doing, which latency on a shared machine does not."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
        total = 0.0
        for child in children:
            with open(f"/proc/{child}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except (OSError, ValueError):
        return float("nan")


def measure(
    base: str,
    paths: list[str],
    *,
    concurrency: int = 8,
    seconds: float = 8,
    max_requests: int = 20000,
    headers: dict | None = None,
    order: str = "cycle",
    unique: bool = False,
    seed: int = 1,
) -> dict:
    """Run the load generator in another process and summarise what it saw."""
    cmd = [
        PYTHON,
        __file__,
        "load",
        "--base",
        base,
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
        "--max-requests",
        str(max_requests),
        "--order",
        order,
        "--seed",
        str(seed),
        *(["--unique"] if unique else []),
    ]
    for name, value in (headers or {}).items():
        cmd += ["--header", f"{name}: {value}"]
    result = json.loads(
        subprocess.run([*cmd, *paths], check=True, capture_output=True, text=True).stdout
    )
    lat = result["latencies"]
    return {
        "requests": len(lat),
        "errors": result["errors"],
        "rps": len(lat) / result["elapsed"] if result["elapsed"] else 0.0,
        "p50": percentile(lat, 0.50),
        "p95": percentile(lat, 0.95),
        "p99": percentile(lat, 0.99),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="The benchmarks' load generator.")
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("load")
    gen.add_argument("--base", required=True)
    gen.add_argument("--concurrency", type=int, default=8)
    gen.add_argument("--seconds", type=float, default=8)
    gen.add_argument("--max-requests", type=int, default=20000)
    gen.add_argument("--header", action="append", default=[])
    gen.add_argument("--order", default="cycle", choices=["cycle", "random", "zipf"])
    gen.add_argument("--unique", action="store_true")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.command is None:
        print("bench/_common.py holds the benchmarks' shared helpers; nothing to measure.")
        return 0
    headers = dict(h.split(": ", 1) for h in args.header)
    result = load(
        args.base,
        args.paths,
        args.concurrency,
        args.seconds,
        args.max_requests,
        headers,
        order=args.order,
        unique=args.unique,
        seed=args.seed,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
