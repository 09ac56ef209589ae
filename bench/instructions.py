"""Benchmark: CPU instructions per request of the group and thread pages, next to /healthz.

The other benchmarks time pages under load, as people would see them, but on a shared
two-CPU machine their figures move by a third with whatever else the machine is doing. This
one counts instructions with valgrind (``--tool=callgrind``), which gives the same count for
the same code, data and environment whatever else runs, so it tells whether a change made a
page cheaper, by how much, in one run. (Instructions spent inside PostgreSQL, another process,
are not counted; SQLite runs inside the process and is.)

For each page it runs, under valgrind, one Python process that sets Django up (DEBUG off),
calls the WSGI handler three times to warm up and then ``--requests`` times, and another that
stops after the warm-up; the difference divided by ``--requests`` is the page's count. The
pages are those of ``bench/groups.py`` (signed in as a member of the big group), on its
database, which must be seeded first (``bench/groups.py --skip-pages --skip-digests``); the
baseline is ``/healthz`` (one ``SELECT 1``), measured the same way in the same run.

    .venv/bin/python bench/instructions.py                    # PostgreSQL bench_groups
    .venv/bin/python bench/instructions.py --database sqlite --pages thread_first
    .venv/bin/python bench/instructions.py --root ../old-checkout   # the same for other code

Needs valgrind (Debian: ``apt-get install valgrind``). Each page takes about a minute per
process; pages run two at a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    sys.path[0] = str(_HERE.parent)

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from bench._common import PYTHON, ROOT, collectstatic, django_env  # noqa: E402

PAGES = ("healthz", "group_first", "group_last", "thread_first", "thread_last")
WARM_UP = 3


def inner(urls_file: str, page: str, requests: int) -> None:
    """Inside valgrind: set up, warm up, then ``requests`` requests of ``page``."""
    import django

    django.setup()
    import config.settings

    if not Path(config.settings.__file__).resolve().is_relative_to(Path.cwd().resolve()):
        raise SystemExit(f"measuring {config.settings.__file__}, not the code in {Path.cwd()}")
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    urls = json.loads(Path(urls_file).read_text())
    handler, factory = WSGIHandler(), RequestFactory()
    path, _, query = urls[page].partition("?")

    def call():
        environ = factory._base_environ(
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD="GET",
            HTTP_COOKIE=urls["cookie"],
            HTTP_HOST="127.0.0.1",
        )
        environ["wsgi.input"] = io.BytesIO(b"")
        statuses = []
        body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{page}: {statuses[0]}")

    for _ in range(WARM_UP + requests):
        call()


def count(root: Path, env: dict, urls_file: str, page: str, requests: int) -> int:
    """Instructions of one process (set-up, warm-up and ``requests`` requests)."""
    # Run this file from ``root`` with ``-c``, so that the first entry on sys.path is ``root``
    # (the code measured), not this file's checkout; ``inner`` checks it.
    runner = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        PYTHON, "-c", runner, __file__, "inner", urls_file, page, str(requests),
    ]  # fmt: skip
    run_env = {**env, "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)}
    result = subprocess.run(command, cwd=root, env=run_env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or not found:
        raise SystemExit(f"{page}: valgrind failed\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    internal = sub.add_parser("inner", help="(internal)")
    internal.add_argument("urls_file")
    internal.add_argument("page")
    internal.add_argument("requests", type=int)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--root", type=Path, default=ROOT, help="the code to measure")
    args = parser.parse_args(argv)
    if args.command == "inner":
        inner(args.urls_file, args.page, args.requests)
        return 0
    if not shutil.which("valgrind"):
        print("skipped: bench/instructions.py counts with valgrind (apt-get install valgrind)")
        return 0
    from bench import groups

    url = (
        groups.POSTGRES_URL if args.database == "postgresql" else f"sqlite:///{groups.SQLITE_FILE}"
    )
    env = django_env(url)
    collectstatic()
    urls = json.loads(
        subprocess.run(
            [PYTHON, str(Path(groups.__file__)), "urls"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
    )  # fmt: skip
    urls["healthz"] = "/healthz"
    pages = ["healthz", *(p for p in args.pages if p != "healthz")]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(urls, handle)
    try:
        jobs = [(page, n) for page in pages for n in (0, args.requests)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            totals = dict(
                zip(
                    jobs,
                    pool.map(lambda job: count(args.root, env, handle.name, job[0], job[1]), jobs),
                    strict=True,
                )
            )
    finally:
        os.unlink(handle.name)
    per_request = {
        page: (totals[(page, args.requests)] - totals[(page, 0)]) / args.requests for page in pages
    }
    print(
        f"== instructions per request ({args.database}, {args.requests} requests after "
        f"{WARM_UP} to warm up; code in {args.root})"
    )
    print(f"{'page':<16} {'millions':>9} {'x healthz':>10}")
    for page in pages:
        ratio = per_request[page] / per_request["healthz"]
        print(f"{page:<16} {per_request[page] / 1e6:9.2f} {ratio:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
