"""Load benchmark: `make bench` (or `.venv/bin/python bench/run.py --help`). See bench/README.md.

For each database (SQLite, PostgreSQL) and each scale (ascending; the data is topped up from one
scale to the next): upgrade the schema, generate data with `flask demo seed --scale N`, start
gunicorn with 4 workers, sign in as the demo accounts, then for /healthz and every page in
bench/pages.py: the SQL query count (X-Query-Count, VH_COUNT_QUERIES on) and a wrk run (requests
per second, p50/p95 latency); then each worker's resident memory. Writes a Markdown table and
JSON to bench/results/ and prints the table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.pages import DEMO_PASSWORD, DEMO_USERS, PAGES, REFERENCE_PAGES, Page, demo_codes  # noqa: E402
from volunteer_hub.config import normalise_database_url  # noqa: E402

TARGETS = {"share_of_healthz": 0.25, "signed_in_layout_share_of_healthz": 0.5, "share_of_floor": 0.5,
           "p95_ratio": 1.5, "max_queries": 10, "worker_rss_mb": 150}


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# --- databases -----------------------------------------------------------------------------
def fresh_database(kind: str, args, workdir: Path) -> str | None:
    """An empty database of this kind, or None (with a message) when it is not available."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    url = normalise_database_url(args.pg_url)
    name = url.rsplit("/", 1)[1]
    try:
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - report and go on with the other database
        log(f"PostgreSQL at {args.pg_url} is not available ({exc.__class__.__name__}: {exc}); skipping it")
        return None
    return url


def flask(env: dict, *command: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "volunteer_hub", *command],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- the server ----------------------------------------------------------------------------
class Server:
    def __init__(self, env: dict, port: int, workers: int, log_path: Path, app: str = "volunteer_hub:create_app()",
                 ready: str = "/readyz"):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5", app],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + ready, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise SystemExit(f"gunicorn did not answer on {self.url}")
        time.sleep(1)  # let every worker finish booting

    def worker_rss_mb(self) -> list[float]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        sizes = []
        for child in children:
            status = Path(f"/proc/{child}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
            sizes.append(round(kb / 1024, 1))
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Browser:
    """Just enough of a browser to sign in: cookies, and the CSRF token from a form."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=30)

    def csrf(self, path: str) -> str:
        page = self.get(path).read().decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if not match:
            raise SystemExit(f"no CSRF token on {path}")
        return match.group(1)

    def post(self, path: str, form: dict):
        return self.opener.open(self.base + path, data=urllib.parse.urlencode(form).encode(), timeout=30)

    def sign_in(self, email: str) -> None:
        token = self.csrf("/auth/sign-in")
        response = self.post("/auth/sign-in", {"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
        for code in demo_codes() if response.geturl().endswith("/auth/sign-in/code") else []:
            try:
                response = self.post("/auth/sign-in/code", {"csrf_token": self.csrf("/auth/sign-in/code"), "code": code})
                break
            except urllib.error.HTTPError as refused:  # 400: that step was used already; try the next
                refused.close()
        if "/auth/sign-in" in response.geturl():
            raise SystemExit(f"could not sign in as {email}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


# --- measuring -----------------------------------------------------------------------------
def resolve(value, engine):
    if callable(value):
        with engine.connect() as conn:
            return value(conn)
    return value


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def query_count(browser: Browser | None, base: str, path: str, method: str, body: str | None) -> tuple[int, int]:
    # Not following a redirect: a POST's count is its own, not the page it redirects to.
    handlers = [_NoRedirect()] + ([urllib.request.HTTPCookieProcessor(browser.jar)] if browser else [])
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(base + path, data=body.encode() if body is not None else None, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        response = opener.open(request, timeout=30)
        status, count = response.status, response.headers.get("X-Query-Count")
    except urllib.error.HTTPError as error:
        status, count = error.code, error.headers.get("X-Query-Count")
    return status, int(count) if count is not None else -1


def run_wrk(url: str, args, cookie: str | None, method: str = "GET", body: str | None = None) -> dict:
    """Warm up (every worker compiles its templates, fills its caches), then measure."""
    if args.warmup:
        _wrk(url, args, cookie, method, body, args.warmup)
    return _wrk(url, args, cookie, method, body, args.duration)


def _wrk(url: str, args, cookie: str | None, method: str, body: str | None, duration: int) -> dict:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration}s",
               "--timeout", "10s", "-s", str(HERE / "wrk_report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    env = {**os.environ, "WRK_METHOD": method if method != "GET" else "", "WRK_BODY": body or "",
           "WRK_NONCE": secrets.token_hex(4)}
    done = subprocess.run([*command, url], capture_output=True, text=True, env=env)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line)
    seconds = data["duration_us"] / 1e6
    return {
        "rps": round(data["requests"] / seconds, 1),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p95_ms": round(data["p95_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
        "requests": data["requests"],
        "errors": data["non_2xx_3xx"] + data["socket_errors"],
    }


def measure(kind: str, scale: int, url: str, args, workdir: Path) -> dict:
    env = {
        **os.environ,
        "VH_CONFIG": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "VH_BASE_URL": f"http://127.0.0.1:{args.port}",
        "VH_MAIL_BACKEND": "console",
        "FLASK_VH_COUNT_QUERIES": "true",
        # The benchmark's own client speaks plain HTTP on loopback; in production TLS is in front.
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask(env, "db", "upgrade")
    started = time.perf_counter()
    flask(env, "demo", "seed", "--scale", str(scale))
    seed_seconds = round(time.perf_counter() - started, 1)
    log(f"{kind} scale {scale}: data ready in {seed_seconds} s (topped up from the previous scale)")
    engine = create_engine(url)
    server = Server(env, args.port, args.workers, workdir / "gunicorn.log")
    try:
        browsers: dict[str, Browser] = {}
        pages = chosen_pages(args)
        for page in pages:
            if page.as_user and page.as_user not in browsers:
                browsers[page.as_user] = Browser(server.url)
                browsers[page.as_user].sign_in(DEMO_USERS[page.as_user])
        results, floor = measure_references(kind, scale, server, browsers, engine, env, args, workdir)
        for page in pages[len(REFERENCE_PAGES):]:
            results[page.name] = measure_page(page, server, browsers, engine, args)
            r = results[page.name]
            log(f"{kind} scale {scale}: {page.name}: {r['rps']} req/s, p95 {r['p95_ms']} ms, {r['queries']} queries")
        rss = server.worker_rss_mb()
        # /healthz again, after the key pages: how far the machine drifted while they ran (the
        # baseline is the median round, taken beside the floor app and the reference rows).
        after = run_wrk(server.url + "/healthz", args, None)
        log(f"{kind} scale {scale}: /healthz again {after['rps']} req/s")
    finally:
        server.stop()
        engine.dispose()
    measure_alone([p for p in pages if "alone" in p.tags], results, browsers, env, args, workdir)
    baseline = results["healthz"]["rps"]
    return {"seed_seconds": seed_seconds, "pages": results, "healthz_after": after, "healthz_baseline_rps": baseline,
            "worker_rss_mb": rss, "floor": floor}


def measure_references(kind: str, scale: int, server: Server, browsers: dict, engine, env: dict, args,
                       workdir: Path) -> tuple[dict, dict]:
    """/healthz, the floor app's signed-in page and the reference rows (the layout signed out and
    signed in), taken in turn `--rounds` times; each is the round with the median throughput.
    A shared machine speeds up and slows down by a third within minutes, so measuring a
    ratio's two sides minutes apart (as one pass did) measures the machine; interleaved, the
    drift falls on both. The floor app (bench/floor/app.py: Flask, Flask-Login, a CSRF token, a
    layout of the same size, no database) runs under the same gunicorn settings on the next port."""
    floor_server = Server(env, args.port + 1, args.workers, workdir / "floor.log", app="bench.floor.app:create_app()",
                          ready="/healthz")
    try:
        floor_browser = Browser(floor_server.url)
        floor_browser.get("/sign-in").read()
        rounds: dict[str, list[dict]] = {}
        for _ in range(max(1, args.rounds)):
            rounds.setdefault("healthz", []).append(
                {"path": "/healthz", "queries": 0, **run_wrk(server.url + "/healthz", args, None)})
            rounds.setdefault("floor", []).append(
                {"path": "/page", **run_wrk(floor_server.url + "/page", args, floor_browser.cookie_header())})
            for page in REFERENCE_PAGES:
                rounds.setdefault(page.name, []).append(measure_page(page, server, browsers, engine, args))
    finally:
        floor_server.stop()
    chosen = {}
    for name, runs in rounds.items():
        ordered = sorted(runs, key=lambda r: r["rps"])
        chosen[name] = {**ordered[len(ordered) // 2], "rounds_rps": [r["rps"] for r in runs]}
        log(f"{kind} scale {scale}: {name}: {chosen[name]['rps']} req/s (rounds: {chosen[name]['rounds_rps']})")
    floor = chosen.pop("floor")
    return chosen, floor


def chosen_pages(args) -> list[Page]:
    """The reference rows, then the key pages (only those whose names contain a --pages word)."""
    words = [w.strip().lower() for w in (args.pages or "").split(",") if w.strip()]
    return REFERENCE_PAGES + [p for p in PAGES if not words or any(w in p.name.lower() for w in words)]


def measure_page(page: Page, server: Server, browsers: dict, engine, args) -> dict:
    browser = browsers.get(page.as_user) if page.as_user else None
    path = resolve(page.path, engine)
    body = None
    if page.method != "GET":
        form = dict(resolve(page.form, engine) or {})
        form["csrf_token"] = browser.csrf(page.csrf_from or path)
        body = urllib.parse.urlencode(form)
    once = body.replace("__UNIQUE__", secrets.token_hex(16)) if body else body
    status, _ = query_count(browser, server.url, path, page.method, once)
    if status >= 400:
        raise SystemExit(f"{page.name}: {page.method} {path} answered {status}")
    cookie = browser.cookie_header() if browser else None
    measured = run_wrk(server.url + path, args, cookie, page.method, body)
    # Counted after the load, on warm workers: a probe that lands on a worker this person has not
    # visited yet adds the query that loads them (and a first visit may do one-off work, as my
    # training making the calendar link), which is not what the page costs. Each worker is one of
    # `--workers`; the fewest of twice that many probes is the warm count.
    probes = [query_count(browser, server.url, path, page.method,
                          body.replace("__UNIQUE__", secrets.token_hex(16)) if body else body)[1]
              for _ in range(2 * args.workers)]
    return {"path": path, "queries": min(probes), "query_probes": probes, **measured}


def measure_alone(pages: list[Page], results: dict, browsers: dict, env: dict, args, workdir: Path) -> None:
    """The "alone" pages (the impact report) one request at a time (one connection), on a server
    that keeps no report between views (FLASK_VH_REPORT_CACHE=false): how long the first view
    after a write takes to build and render, without the queue that 8 connections on 4 workers
    and 2 cores build for a page this heavy. The loaded run above measures the report as kept."""
    if not pages:
        return
    server = Server({**env, "FLASK_VH_REPORT_CACHE": "false"}, args.port + 2, args.workers, workdir / "alone.log")
    one = argparse.Namespace(**{**vars(args), "threads": 1, "connections": 1})
    try:
        for page in pages:
            cookie = browsers[page.as_user].cookie_header() if page.as_user else None  # the same secret key
            results[page.name]["alone"] = run_wrk(server.url + results[page.name]["path"], one, cookie)
    finally:
        server.stop()


# --- reporting -----------------------------------------------------------------------------
def summarise(results: dict, scales: list[int]) -> dict:
    """Per database and page: share of /healthz, p95 ratio big/small, queries at both scales."""
    small, big = str(scales[0]), str(scales[-1])
    summary = {}
    for kind, by_scale in results.items():
        rows = []
        for name in by_scale[small]["pages"]:
            if name == "healthz":
                continue
            s, b = by_scale[small]["pages"][name], by_scale[big]["pages"][name]
            hs, hb = by_scale[small]["healthz_baseline_rps"], by_scale[big]["healthz_baseline_rps"]
            fs, fb = by_scale[small]["floor"]["rps"], by_scale[big]["floor"]["rps"]
            row = {
                "page": name, "path": s["path"],
                "share_small": round(s["rps"] / hs, 3), "share_big": round(b["rps"] / hb, 3),
                "floor_share_small": round(s["rps"] / fs, 3), "floor_share_big": round(b["rps"] / fb, 3),
                "rps_small": s["rps"], "rps_big": b["rps"],
                "p50_small": s["p50_ms"], "p95_small": s["p95_ms"], "p95_big": b["p95_ms"],
                "p95_ratio": round(b["p95_ms"] / s["p95_ms"], 2) if s["p95_ms"] and small != big else None,
                "queries_small": s["queries"], "queries_big": b["queries"],
                "errors": s["errors"] + b["errors"],
                "reference": name in {r.name for r in REFERENCE_PAGES},
                "alone": {sc: by_scale[sc]["pages"][name]["alone"] for sc in by_scale
                          if "alone" in by_scale[sc]["pages"][name]},
            }
            row["meets"] = {
                "throughput": min(row["share_small"], row["share_big"]) >= TARGETS["share_of_healthz"],
                "floor": min(row["floor_share_small"], row["floor_share_big"]) >= TARGETS["share_of_floor"],
                "p95": None if small == big else row["p95_ratio"] is not None and row["p95_ratio"] <= TARGETS["p95_ratio"],
                "queries": row["queries_small"] == row["queries_big"] <= TARGETS["max_queries"],
            }
            rows.append(row)
        summary[kind] = {
            "pages": rows,
            "healthz_rps": {sc: (by_scale[sc]["pages"]["healthz"]["rps"], by_scale[sc]["healthz_after"]["rps"])
                            for sc in by_scale},
            "worker_rss_mb": {sc: by_scale[sc]["worker_rss_mb"] for sc in by_scale},
            "floor_rps": {sc: by_scale[sc]["floor"]["rps"] for sc in by_scale},
            "rounds": len(by_scale[small]["pages"]["healthz"].get("rounds_rps", [None])),
            "rounds_rps": {sc: {name: r["rounds_rps"] for name, r in [("floor app", by_scale[sc]["floor"]),
                                                                      *by_scale[sc]["pages"].items()]
                                if "rounds_rps" in r} for sc in by_scale},
            "seed_seconds": {sc: by_scale[sc]["seed_seconds"] for sc in by_scale},
        }
    return summary


def markdown(summary: dict, scales: list[int], args) -> str:
    small, big = scales[0], scales[-1]
    ok = {True: "yes", False: "**no**", None: "n/a"}
    lines = [
        f"# Benchmark {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"gunicorn {args.workers} workers; wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s per page after {args.warmup} s of warm-up; scales {small} and {big} (scale 1 = 1,000 people); "
        f"{os.cpu_count()} CPU cores shared by wrk and the server.",
        "",
        f"Targets: every page >= {TARGETS['share_of_healthz']:.0%} of /healthz throughput and >= "
        f"{TARGETS['share_of_floor']:.0%} of the floor app's (bench/floor: Flask, Flask-Login, a CSRF token and a "
        f"layout of the same size, no database); the signed-in layout >= "
        f"{TARGETS['signed_in_layout_share_of_healthz']:.0%} of /healthz; "
        f"p95 at scale {big} <= {TARGETS['p95_ratio']} x scale {small}; the same number of queries at both scales "
        f"and at most {TARGETS['max_queries']}; each worker < {TARGETS['worker_rss_mb']} MB resident.",
    ]
    for kind, s in summary.items():
        hz = s["healthz_rps"]
        lines += [
            "", f"## {kind}", "",
            f"/healthz, the floor app's signed-in page and the two layout rows were taken in turn, "
            f"{s['rounds']} rounds; each figure is its median round. /healthz (the baseline) "
            f"{hz[str(small)][0]} req/s at scale {small} and {hz[str(big)][0]} at scale {big}; after the key pages "
            f"{hz[str(small)][1]} and {hz[str(big)][1]} (the machine's drift). The floor app's signed-in page: "
            f"{s['floor_rps'][str(small)]} req/s at scale {small}, {s['floor_rps'][str(big)]} at scale {big} "
            f"(the same app: it has no data).",
            *[f"- rounds at scale {sc}, req/s: " + "; ".join(f"{name} {', '.join(map(str, rps))}"
                                                          for name, rps in by_name.items())
              for sc, by_name in s["rounds_rps"].items() if by_name],
            "",
            f"| page | req/s s{small} | % of /healthz s{small} | % of /healthz s{big} | % of floor s{small} "
            f"| % of floor s{big} | p50 ms s{small} "
            f"| p95 ms s{small} | p95 ms s{big} | p95 s{big}/s{small} | queries s{small} / s{big} "
            "| throughput | floor | p95 | queries |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |",
        ]
        for r in s["pages"]:
            if r["page"].startswith("layout only, signed in"):
                verdicts = (ok[min(r["share_small"], r["share_big"]) >= TARGETS["signed_in_layout_share_of_healthz"]],
                            "reference", "", "")
            elif r["reference"]:
                verdicts = ("reference", "", "", "")
            else:
                verdicts = (ok[r['meets']['throughput']], ok[r['meets']['floor']], ok[r['meets']['p95']],
                            ok[r['meets']['queries']])
            lines.append(
                f"| {r['page']} | {r['rps_small']} | {r['share_small']:.0%} | {r['share_big']:.0%} "
                f"| {r['floor_share_small']:.0%} | {r['floor_share_big']:.0%} | {r['p50_small']} "
                f"| {r['p95_small']} | {r['p95_big']} | {r['p95_ratio']} | {r['queries_small']} / {r['queries_big']} "
                f"| {' | '.join(verdicts)} |"
                + (f" ({r['errors']} errors)" if r["errors"] else ""))
        alone = [r for r in s["pages"] if r["alone"]]
        if alone:
            lines += ["", "One request at a time (wrk, 1 connection), built on every view (`FLASK_VH_REPORT_CACHE=false`: the "
                      "first view after a write), the time a page takes without a queue:",
                      "", "| page | scale | req/s | p50 ms | p95 ms |", "| --- | ---: | ---: | ---: | ---: |"]
            lines += [f"| {r['page']} | {sc} | {a['rps']} | {a['p50_ms']} | {a['p95_ms']} |"
                      for r in alone for sc, a in r["alone"].items()]
        lines += ["", "| scale | data generated in | worker RSS MB | all < target |", "| ---: | ---: | --- | --- |"]
        for sc, rss in s["worker_rss_mb"].items():
            lines.append(f"| {sc} | {s['seed_seconds'][sc]} s | {', '.join(map(str, rss))} "
                         f"| {ok[bool(rss) and max(rss) < TARGETS['worker_rss_mb']]} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--scales", default="1,10", help="comma-separated, ascending (the target is 1,100)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each page")
    parser.add_argument("--rounds", type=int, default=3,
                        help="times /healthz, the floor app and the reference rows are taken in turn (the median counts)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 5390)))
    parser.add_argument("--pages", default="", help="comma-separated words: measure only the key pages whose names contain one (the reference rows always run)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/vh_bench"),
                        help="PostgreSQL database to use (its public schema is dropped and rebuilt)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    scales = sorted({int(s) for s in args.scales.split(",")})
    if len(scales) < 2:
        log("one scale only: no p95 growth ratio (the target needs two, e.g. --scales 1,100)")

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vh-bench-") as tmp:
        workdir = Path(tmp)
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            url = fresh_database(kind, args, workdir)
            if url is None:
                continue
            results[kind] = {str(sc): measure(kind, sc, url, args, workdir) for sc in scales}
    if not results:
        raise SystemExit("no database could be measured")
    summary = summarise(results, scales)
    report = markdown(summary, scales, args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    payload = {"when": dt.datetime.now().isoformat(timespec="seconds"), "scales": scales, "targets": TARGETS,
               "settings": {k: str(v) for k, v in vars(args).items() if k != "pg_url"},
               "summary": summary, "raw": results}
    for name in (f"bench-{stamp}", "latest"):
        (args.out / f"{name}.md").write_text(report)
        (args.out / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(report)
    log(f"written to {args.out}/bench-{stamp}.md and .json (and latest.*)")


if __name__ == "__main__":
    main()
