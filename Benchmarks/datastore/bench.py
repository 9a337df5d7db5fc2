#!/usr/bin/env python3
"""ML Data Store benchmark: ingest through HTTP beside psql \\copy, and the
scoreboard over millions of rows. Stdlib only; loopback only."""
import argparse, http.client, json, os, pwd, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, uuid
from datetime import datetime, timedelta, timezone

PGBIN = "/usr/lib/postgresql/15/bin"
ADMIN = "bench-admin-token-0123456789"


def as_postgres(cmd, **kw):
    """PostgreSQL refuses root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])}...: {result.stderr.strip()[:500]}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-bench-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "data")
        as_postgres([f"{PGBIN}/initdb", "-D", self.data, "-U", "bench", "--auth=trust", "-E", "UTF8"])
        opts = f"-k {self.dir} -c listen_addresses='' -c fsync=on -c shared_buffers=512MB -c max_wal_size=4GB"
        as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-o", opts, "-w", "-l", os.path.join(self.dir, "log"), "start"])
        self.psql("postgres", "CREATE DATABASE sluice")
        self.url = f"postgres:///sluice?host={self.dir}&user=bench"

    def psql(self, db, sql, *extra):
        return as_postgres(["psql", "-h", self.dir, "-U", "bench", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql, *extra]).stdout

    def stop(self):
        try:
            as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {ADMIN}", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def process_ticks(pids):
    """utime + stime, in clock ticks, of the given processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def children(parent):
    """Process ids whose parent is `parent` (a postmaster's backends and helpers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


class CPUMeter:
    """CPU seconds spent by the server, by PostgreSQL (postmaster and every
    backend, sampled at start and end) and by this client between start()
    and stop(). Backends that exit in between are not counted: the server's
    pool keeps its connections open, so none do here."""

    def __init__(self, server_pid, postmaster_pid):
        self.server, self.postmaster = server_pid, postmaster_pid
        self.hz = os.sysconf("SC_CLK_TCK")

    def _sample(self):
        pg = [self.postmaster] + children(self.postmaster)
        own = os.times()
        return process_ticks([self.server]), process_ticks(pg), own.user + own.system

    def start(self):
        self.before = self._sample()

    def stop(self):
        after = self._sample()
        return ((after[0] - self.before[0]) / self.hz, (after[1] - self.before[1]) / self.hz,
                after[2] - self.before[2])


class IngestFailed(Exception):
    pass


def ingest_round(port, bodies, clients, path="/v1/predictions"):
    """POSTs every body once over `clients` keep-alive connections."""
    queue = list(bodies)
    lock = threading.Lock()
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            conn.request("POST", path, body=body,
                         headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                errors.append((response.status, data[:200]))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise IngestFailed(f"ingest errors: {errors[:3]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--migrations", required=True)
    args = parser.parse_args()
    rounds = int(os.environ.get("ROUNDS", 3))
    batches = int(os.environ.get("BATCHES", 100))
    clients = int(os.environ.get("CLIENTS", 4))
    rows = int(os.environ.get("ROWS", 10_000_000))
    queries = int(os.environ.get("QUERIES", 5))
    days = int(os.environ.get("PARTITIONS", 0))

    cluster = Cluster()
    port = free_port()
    env = dict(os.environ, SLUICE_DATABASE_URL=cluster.url, SLUICE_ADMIN_TOKEN=ADMIN, SLUICE_PORT=str(port),
               SLUICE_MIGRATIONS_DIR=args.migrations, SLUICE_WORKERS="off", SLUICE_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warning"))
    log_path = os.path.join(cluster.dir, "sluice.log")
    server_log = open(log_path, "w")
    server = subprocess.Popen([args.sluice, "serve"], env=env, stdout=server_log, stderr=server_log)
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        cluster.psql("sluice", """
            INSERT INTO models (name, task) VALUES ('bench', 'classification');
            INSERT INTO model_versions (model_id, version, artifact_uri, image, created_by)
                SELECT id, 1, 's3://b/m', 'b/m:1', 'bench' FROM models;
            INSERT INTO deployments (id, name, region, endpoint, model_id, model_version, mode, runtime, target, created_by)
                SELECT ('00000000-0000-0000-0000-00000000000' || n)::uuid, 'd' || n, 'eu-west-1', 'bench', m.id, 1,
                       CASE WHEN n = 1 THEN 'live' ELSE 'stealth' END, 'torchserve',
                       '{"type":"external","urls":["http://127.0.0.1:9"]}', 'bench'
                FROM models m, generate_series(1, 3) n;
            CREATE TABLE copy_floor (LIKE predictions INCLUDING DEFAULTS);
            CREATE TABLE copy_floor_unique (LIKE predictions INCLUDING DEFAULTS, PRIMARY KEY (deployment_id, request_id));
            """)
        if days:
            # A store that has been running: `days` past day partitions, each
            # with 1,000 requests answered by all three deployments, half of
            # them with their outcome, keys included, as the ingest path
            # would have left them (the other half's outcomes are measured).
            cluster.psql("sluice", f"""
                SET TimeZone = 'UTC';
                SELECT sluice_ensure_day_partition(t, (current_date - g)::date)
                    FROM generate_series(1, {days}) g, unnest(ARRAY['predictions', 'outcomes']) t;
                INSERT INTO prediction_keys (deployment_id, request_id, at)
                    SELECT d.id, 'old' || g || '-' || k, (current_date - g)::timestamptz + interval '1 hour'
                    FROM generate_series(1, {days}) g, generate_series(1, 1000) k, deployments d;
                INSERT INTO predictions (deployment_id, request_id, region, endpoint, output_label, probabilities, latency_ms, at, status)
                    SELECT deployment_id, request_id, 'eu-west-1', 'bench', 'a', '{{"a": 0.7, "b": 0.3}}', 4, at, 200 FROM prediction_keys;
                INSERT INTO outcome_keys (region, endpoint, request_id, at)
                    SELECT 'eu-west-1', 'bench', 'old' || g || '-' || k, (current_date - g)::timestamptz + interval '2 hours'
                    FROM generate_series(1, {days}) g, generate_series(1, 500) k;
                INSERT INTO outcomes (region, endpoint, request_id, actual_label, at)
                    SELECT region, endpoint, request_id, 'a', at FROM outcome_keys;
                ANALYZE;
                """)
        with open(os.path.join(cluster.data, "postmaster.pid")) as f:
            meter = CPUMeter(server.pid, int(f.readline()))
        deployment = "00000000-0000-0000-0000-000000000001"
        now = datetime.now(timezone.utc)
        at = (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ingest_rates, copy_rates, unique_rates, cpu = [], [], [], []
        for r in range(rounds):
            items = [[{"deployment_id": deployment, "request_id": f"r{r}-{b}-{i}",
                       "output": {"label": "a" if i % 3 else "b", "probabilities": {"a": 0.7, "b": 0.3}},
                       "latency_ms": 3.5 + i % 7, "at": at} for i in range(1000)] for b in range(batches)]
            bodies = [json.dumps(batch).encode() for batch in items]
            meter.start()
            elapsed = ingest_round(port, bodies, clients)
            cpu.append(meter.stop())
            ingest_rates.append(batches * 1000 / elapsed)
            csv_path = os.path.join(cluster.dir, f"rows-{r}.csv")
            with open(csv_path, "w") as f:
                for batch in items:
                    for p in batch:
                        f.write(f'{deployment},{p["request_id"]},eu-west-1,bench,,{p["output"]["label"]},'
                                f'"{{""a"": 0.7, ""b"": 0.3}}",{p["latency_ms"]},{at}\n')
            os.chmod(csv_path, 0o644)
            start = time.perf_counter()
            cluster.psql("sluice", f"\\copy copy_floor (deployment_id, request_id, region, endpoint, output_number, output_label, probabilities, latency_ms, at) FROM '{csv_path}' WITH (FORMAT csv)")
            copy_rates.append(batches * 1000 / (time.perf_counter() - start))
            start = time.perf_counter()
            cluster.psql("sluice", f"\\copy copy_floor_unique (deployment_id, request_id, region, endpoint, output_number, output_label, probabilities, latency_ms, at) FROM '{csv_path}' WITH (FORMAT csv)")
            unique_rates.append(batches * 1000 / (time.perf_counter() - start))
        count = int(cluster.psql("sluice", "SELECT count(*) FROM predictions WHERE request_id NOT LIKE 'old%'").strip())
        assert count == rounds * batches * 1000, count
        late_rate = None
        if days:
            # The outcomes of the other half of the stored requests: each is
            # matched with its three predictions, in their day's partition.
            at = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            late = [f'{{"region":"eu-west-1","endpoint":"bench","request_id":"old{g}-{k}","actual":"a","at":"{at}"}}'
                    for g in range(1, days + 1) for k in range(501, 1001)]
            bodies = [("[" + ",".join(late[i:i + 1000]) + "]").encode() for i in range(0, len(late), 1000)]
            late_rate = len(late) / ingest_round(port, bodies, clients, path="/v1/outcomes")
            matched = int(cluster.psql("sluice", "SELECT coalesce(sum(matched), 0) FROM score_rollup").strip())
            assert matched == len(late) * 3, matched

        if rows:
            # Scoreboard over `rows` predictions, loaded through the API like
            # production traffic: three deployments answering the same requests,
            # then the outcomes, so every rollup is built by the real ingest path.
            per = rows // 3
            hour_base = now - timedelta(hours=20)

            ats = [(hour_base + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in range(72000)]

            def prediction_bodies(n):
                template = ('{{"deployment_id":"00000000-0000-0000-0000-00000000000{n}","request_id":"s{i}",'
                            '"output":{{"label":"{label}","probabilities":{{"a":{pa},"b":{pb}}}}},"latency_ms":{lat},"at":"{at}"}}')
                for start in range(0, per, 1000):
                    items = []
                    for i in range(start, min(per, start + 1000)):
                        pa = ((i * n) % 10) / 10
                        items.append(template.format(n=n, i=i, label="a" if (i * n) % 5 < 3 else "b", pa=pa, pb=round(1 - pa, 1),
                                                     lat=1 + (i % 50) / 3, at=ats[(i * 7) % 72000]))
                    yield ("[" + ",".join(items) + "]").encode()

            def outcome_bodies():
                at = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
                for start in range(0, per, 1000):
                    items = [f'{{"region":"eu-west-1","endpoint":"bench","request_id":"s{i}","actual":"{"a" if i % 7 < 4 else "b"}","at":"{at}"}}'
                             for i in range(start, min(per, start + 1000))]
                    yield ("[" + ",".join(items) + "]").encode()

            # Bodies are built before the clock starts: the load rate is the server's.
            load_predictions = 0.0
            for n in (1, 2, 3):
                bodies = list(prediction_bodies(n))
                load_predictions += ingest_round(port, bodies, clients)
            bodies = list(outcome_bodies())
            load_outcomes = ingest_round(port, bodies, clients, path="/v1/outcomes")
            del bodies
            cluster.psql("sluice", "ANALYZE")
            since = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
            until = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            latencies = []
            for _ in range(queries):
                start = time.perf_counter()
                status, body = request(port, "GET", f"/v1/endpoints/eu-west-1/bench/scoreboard?since={since}&until={until}")
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    raise SystemExit(f"scoreboard: {status} {body[:300]}")
            board = json.loads(body)
            total = sum(d["predictions"] for d in board["deployments"])
            start = time.perf_counter()
            status, _ = request(port, "GET", f"/v1/endpoints/eu-west-1/bench/scoreboard?since={since}&until={until}&exact=true")
            exact_seconds = time.perf_counter() - start

        print("# ML Data Store benchmark\n")
        print(f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n")
        print(f"## Ingest: {rounds} rounds x {batches} batches of 1,000 predictions, {clients} connections\n")
        if days:
            print(f"Into a store holding {days} past days of partitions ({days * 3000:,} predictions and {days * 500:,} outcomes).\n")
        print("| path | predictions/s (median) | rounds |")
        print("|---|---|---|")
        print(f"| POST /v1/predictions (HTTP, JSON, auth, dedup, rollups) | {statistics.median(ingest_rates):,.0f} | {', '.join(f'{x:,.0f}' for x in ingest_rates)} |")
        print(f"| psql \\copy CSV into a plain table (floor) | {statistics.median(copy_rates):,.0f} | {', '.join(f'{x:,.0f}' for x in copy_rates)} |")
        print(f"| psql \\copy CSV into a table with only the unique key (deployment_id, request_id) | {statistics.median(unique_rates):,.0f} | {', '.join(f'{x:,.0f}' for x in unique_rates)} |")
        print(f"\nRatio Sluice / floor: {statistics.median(ingest_rates) / statistics.median(copy_rates):.2f}\n")
        if late_rate:
            print(f"Outcomes of {days * 500:,} stored requests, one per request of every past day, each matched with its "
                  f"three predictions: {late_rate:,.0f}/s (POST /v1/outcomes, batches of 1,000).\n")
        n = batches * 1000
        per_prediction = [tuple(x / n * 1e6 for x in c) for c in cpu]
        server_us, pg_us, client_us = (statistics.median(p[i] for p in per_prediction) for i in range(3))
        print("CPU per prediction during the ingest rounds (median), from /proc:\n")
        print("| sluice serve | PostgreSQL (all backends) | this client (Python) | sum | budget at 100,000/s on "
              f"{os.cpu_count()} cores |")
        print("|---|---|---|---|---|")
        print(f"| {server_us:.1f} µs | {pg_us:.1f} µs | {client_us:.1f} µs | {server_us + pg_us + client_us:.1f} µs "
              f"| {os.cpu_count() * 1e6 / 100_000:.0f} µs |\n")
        if rows:
            print(f"## Scoreboard over {total:,} predictions and {per:,} outcomes (3 deployments, paired)\n")
            print(f"Loaded through the API: predictions at {3 * per / load_predictions:,.0f}/s, outcomes at {per / load_outcomes:,.0f}/s "
                  f"(rollups maintained).\n")
            print(f"GET .../scoreboard (rollups), {queries} queries: median {statistics.median(latencies) * 1000:.1f} ms, "
                  f"max {max(latencies) * 1000:.1f} ms. With exact=true (joins over the rows): {exact_seconds:.1f} s (status {status}).")
    except IngestFailed as failure:
        with open(log_path) as log:
            errors = [line for line in log if '"error"' in line][-3:]
        raise SystemExit(f"{failure}\nserver: {''.join(errors)[:2000]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        cluster.stop()


if __name__ == "__main__":
    main()
