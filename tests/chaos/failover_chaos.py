#!/usr/bin/env python3
"""The PostgreSQL primary dies during a burst of STK pushes through the load balancer (`make chaos-failover`).

Starts a local cluster with scripts/cluster.sh (pg_auto_failover monitor, primary, synchronous standby; three
gateway nodes; one simulator; HAProxy) in a fresh state directory, waits until the standby reports in sync, then
sends a burst of pushes through HAProxy (each with its own phone and Idempotency-Key; a client retries the same
key on 5xx, 409 and cut connections, as a real client would). The simulator calls back through HAProxy too.
Part-way through the burst the primary's PostgreSQL and its pg_autoctl are killed with SIGKILL; the monitor
promotes the standby and the nodes reconnect.

Checks (exit status 1 when one fails):
  - zero acknowledged writes lost: every push answered 2xx has its row, with its amount and CheckoutRequestID,
    in the promoted database;
  - every acknowledged push settles once: SUCCESS or FAILED (or an open review item) within the deadline, at most
    one payment per transaction, no receipt twice, and no phone prompted twice by the simulator;
  - the killed node rejoins as the standby and is back in sync.
Prints the time from the kill until writes succeed again (the first push sent after the kill that is answered 2xx).

  tests/chaos/failover_chaos.py [BINARY]     (default build/haven-mpesa)
Knobs (env): FAILOVER_PUSHES (400), FAILOVER_THREADS (8), FAILOVER_KILL_AFTER_MS (1500), FAILOVER_KEEP=1 (keep the
state directory), HAVEN_CLUSTER_DIR (default: a new directory under /tmp).
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(ROOT, "scripts", "cluster.sh")
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "haven-mpesa"))
PUSHES = int(os.environ.get("FAILOVER_PUSHES", "400"))
THREADS = int(os.environ.get("FAILOVER_THREADS", "8"))
KILL_AFTER_MS = int(os.environ.get("FAILOVER_KILL_AFTER_MS", "1500"))
RETRY_DEADLINE_S = 120  # a client gives up on a push this long after its first attempt
SETTLE_DEADLINE_S = 120  # after the burst: every acknowledged push final by then
# Short reconciler settings: the callbacks lost while no node could write are recovered by STK queries.
NODE_ENV = {
    "RATE_LIMIT_PER_SECOND": "0",
    "RECONCILE_INTERVAL_SECONDS": "1",
    "RECONCILE_AFTER_SECONDS": "3",
    "RECONCILE_BACKOFF_SECONDS": "1",
    "RECONCILE_BACKOFF_MAX_SECONDS": "3",
    "IDEMPOTENCY_CLAIM_SECONDS": "5",
    # a push whose Daraja answer was never recorded waits this long, then settles from its callback or goes to review
    "STK_PROMPT_LIFETIME_SECONDS": "5",
    "NEEDS_REVIEW_AFTER_SECONDS": "60",
}


def log(msg):
    print(f"[failover] {msg}", flush=True)


def now_ms():
    return time.time() * 1000.0


def cluster(*args, check=True, capture=False, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([CLUSTER, *args], env=e, check=False, text=True,
                       stdout=subprocess.PIPE if capture else None)
    if check and r.returncode != 0:
        raise RuntimeError(f"scripts/cluster.sh {' '.join(args)} failed with status {r.returncode}")
    return r


class Client:
    """One keep-alive HTTP connection to a base URL; reconnects after an error."""

    def __init__(self, base, timeout=15):
        u = urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def send(self, method, path, body=None, headers=None):
        """(status, parsed JSON or text); status 0 with the error text when no answer came."""
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        data = json.dumps(body) if body is not None else None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            raw = r.read().decode("utf-8", "replace")
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                return r.status, json.loads(raw) if raw else None
            except ValueError:
                return r.status, raw
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return 0, f"{type(e).__name__}: {e}"

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError(f"psql: {r.stderr.strip()}")
    return [line.split("|") for line in r.stdout.splitlines() if line]


def main():
    if not os.access(BIN, os.X_OK):
        log(f"{BIN} not found; build first (make build)")
        return 2
    state = os.environ.get("HAVEN_CLUSTER_DIR") or tempfile.mkdtemp(prefix="haven-failover.", dir="/tmp")
    os.makedirs(state, exist_ok=True)
    os.chmod(state, 0o755)  # the postgres user enters it
    os.environ["HAVEN_CLUSTER_DIR"] = state
    os.environ["HAVEN_BIN"] = BIN
    failures = []
    try:
        failures = run(state)
    except Exception as e:  # noqa: BLE001 - any failure of the harness fails the run, with the cluster's state
        failures.append(f"harness: {e}")
        cluster("status", check=False)
    finally:
        cluster("down", check=False)
        left = subprocess.run(["bash", "-c", f"for p in /proc/[0-9]*; do readlink $p/cwd; done 2>/dev/null | grep -c '^{state}' || true"],
                              text=True, stdout=subprocess.PIPE).stdout.strip()
        if left not in ("", "0"):
            failures.append(f"{left} processes of the cluster still running after down")
        if os.environ.get("FAILOVER_KEEP") == "1":
            log(f"state kept in {state}")
        else:
            shutil.rmtree(state, ignore_errors=True)
    if failures:
        for f in failures:
            log(f"FAILED: {f}")
        return 1
    log("passed")
    return 0


def run(state):
    failures = []
    log(f"starting the cluster in {state}")
    t0 = now_ms()
    cluster("up", env=NODE_ENV)
    log(f"cluster up in {(now_ms() - t0) / 1000:.1f} s")
    env = dict(line.split("=", 1) for line in cluster("env", capture=True).stdout.splitlines() if "=" in line)
    lb, sim = env["LB_URL"], env["SIM_URL"]
    db_url = env["DATABASE_URL"].strip("'")

    t0 = now_ms()
    cluster("wait-sync", "120")
    log(f"the standby reports in sync ({(now_ms() - t0) / 1000:.1f} s)")

    api = Client(lb)
    status, body = api.send("POST", "/api/v1/auth/login", {"email": env["ADMIN_EMAIL"], "password": env["ADMIN_PASSWORD"]})
    if status != 200:
        raise RuntimeError(f"login through HAProxy: {status} {body}")
    auth = {"Authorization": "Bearer " + body["data"]["token"]}
    status, body = api.send("POST", "/api/v1/leases", {"tenantName": "Akinyi Otieno", "phoneNumber": "0708374149",
                                                         "unit": "F1", "monthlyRent": 25000,
                                                         "accountReference": "FAILOVER"}, auth)
    if status != 201:
        raise RuntimeError(f"lease through HAProxy: {status} {body}")
    lease_id = body["data"]["id"]

    # ---- The burst.
    run_tag = int(time.time()) % 100000
    assert PUSHES <= 1000, "FAILOVER_PUSHES: at most 1000 (one phone each)"
    pushes = []
    for i in range(PUSHES):
        pushes.append({
            "index": i,
            "key": f"failover-{run_tag}-{i}",
            "msisdn": f"2547{(run_tag % 90000) * 1000 + i:08d}",
            "amount": 100 + i,
            "attempts": [],  # (sent_ms, answered_ms, status)
            "acked": None,  # the 2xx body's data
        })
    for p in pushes:
        p["body"] = {"phoneNumber": "0" + p["msisdn"][3:], "amount": p["amount"], "accountReference": f"FO{p['index']}",
                     "transactionDesc": "Rent", "leaseId": lease_id}
    kill = {"ms": None, "node": None}
    stop = threading.Event()
    lock = threading.Lock()
    unexpected = []

    def client(t):
        c = Client(lb)
        for i in range(t, PUSHES, THREADS):
            p = pushes[i]
            first = time.monotonic()
            while not stop.is_set():
                sent = now_ms()
                status, body = c.send("POST", "/api/v1/mpesa/stk-push", p["body"], {**auth, "Idempotency-Key": p["key"]})
                with lock:
                    p["attempts"].append((sent, now_ms(), status))
                if 200 <= status < 300:
                    p["acked"] = body["data"]
                    break
                if status in (0, 409, 429) or status >= 500:
                    if time.monotonic() - first > RETRY_DEADLINE_S:
                        break
                    time.sleep(0.2)
                    continue
                with lock:
                    unexpected.append(f"push {i}: {status} {body}")
                break

    threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    burst_start = now_ms()
    for th in threads:
        th.start()
    time.sleep(KILL_AFTER_MS / 1000.0)
    acked_before = sum(1 for p in pushes if p["acked"])
    killed = cluster("kill-primary", capture=True).stdout.split()
    kill["node"], kill["ms"] = killed[0], float(killed[1])
    log(f"killed the primary ({kill['node']}) {kill['ms'] - burst_start:.0f} ms into the burst, "
        f"{acked_before} pushes acknowledged by then")
    for th in threads:
        th.join()
    burst_end = now_ms()

    acked = [p for p in pushes if p["acked"]]
    after = [(a[1], a[0]) for p in pushes for a in p["attempts"] if a[0] >= kill["ms"] and 200 <= a[2] < 300]
    errors = {}
    for p in pushes:
        for a in p["attempts"]:
            if not 200 <= a[2] < 300:
                errors[a[2]] = errors.get(a[2], 0) + 1
    last_before = max((a[1] for p in pushes for a in p["attempts"] if a[1] <= kill["ms"] and 200 <= a[2] < 300),
                      default=None)
    if after:
        first_ok = min(after)[0]
        recovery_ms = first_ok - kill["ms"]
        log(f"writes succeed again {recovery_ms / 1000:.1f} s after the kill (the first push sent after the kill "
            f"that was answered 2xx; the last 2xx before the kill came {(kill['ms'] - last_before) if last_before else 0:.0f} ms before it)")
    else:
        recovery_ms = None
        failures.append("no push sent after the kill was ever acknowledged")
    log(f"burst: {len(pushes)} pushes, {len(acked)} acknowledged in {(burst_end - burst_start) / 1000:.1f} s; "
        f"answers other than 2xx while retrying: {json.dumps({str(k): v for k, v in sorted(errors.items())})}")
    if unexpected:
        failures.append(f"{len(unexpected)} pushes refused outright, e.g. {unexpected[:3]}")
    if len(acked) != len(pushes):
        failures.append(f"{len(pushes) - len(acked)} pushes never acknowledged within {RETRY_DEADLINE_S} s")

    # ---- Zero acknowledged writes lost.
    rows = {int(r[1]): r for r in psql(db_url, "SELECT checkout_request_id, id, amount, status, COALESCE(review_reason, '') "
                                          "FROM stk_transactions")}
    lost = []
    for p in acked:
        r = rows.get(p["acked"].get("transactionId"))
        checkout = p["acked"].get("checkoutRequestId")
        if r is None or int(r[2]) != p["amount"] or (checkout and r[0] != checkout):
            lost.append(f"push {p['index']} (transaction {p['acked'].get('transactionId')}, {checkout}): row {r}")
    no_ids = [p for p in acked if not p["acked"].get("checkoutRequestId")]
    if no_ids:
        # The push reached Daraja but its answer was not recorded (the database went away in between): the row
        # waits for its callback, matched by phone and amount once the prompt's life is over, or for a person.
        log(f"{len(no_ids)} pushes acknowledged without a CheckoutRequestID (Daraja's answer came while no database "
            f"took writes), e.g. {json.dumps(no_ids[0]['acked'])[:300]}")
    log(f"acknowledged pushes with their row in the promoted database: {len(acked) - len(lost)} of {len(acked)}")
    if lost:
        failures.append(f"{len(lost)} acknowledged pushes lost: {lost[:5]}")

    # ---- Every acknowledged push settles once.
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    ids = ",".join(str(p["acked"]["transactionId"]) for p in acked) or "0"
    while True:
        open_rows = psql(db_url, f"SELECT id FROM stk_transactions WHERE id IN ({ids}) AND status NOT IN "
                                 f"('SUCCESS', 'FAILED') AND review_reason IS NULL")
        if not open_rows or time.monotonic() > deadline:
            break
        time.sleep(1)
    settled_s = (now_ms() - burst_end) / 1000
    if open_rows:
        failures.append(f"{len(open_rows)} acknowledged pushes still open {SETTLE_DEADLINE_S} s after the burst: "
                        f"{[r[0] for r in open_rows[:10]]}")
    else:
        log(f"every acknowledged push final {settled_s:.1f} s after the burst")
    counts = psql(db_url, f"SELECT status, count(*) FROM stk_transactions WHERE id IN ({ids}) GROUP BY status ORDER BY 1")
    log(f"final states: {', '.join(f'{s} {n}' for s, n in counts)}")
    dup = psql(db_url, "SELECT transaction_id, count(*) FROM payments WHERE transaction_id IS NOT NULL "
                       "GROUP BY transaction_id HAVING count(*) > 1")
    if dup:
        failures.append(f"transactions paid more than once: {dup[:5]}")
    # (a payment settled by an STK query has no receipt: Daraja's query answer carries none)
    dup = psql(db_url, "SELECT mpesa_receipt_number, count(*) FROM payments WHERE mpesa_receipt_number <> '' "
                       "GROUP BY 1 HAVING count(*) > 1")
    if dup:
        failures.append(f"receipts recorded more than once: {dup[:5]}")
    paid = psql(db_url, f"SELECT count(*) FROM payments WHERE transaction_id IN ({ids})")[0][0]
    success = sum(int(n) for s, n in counts if s == "SUCCESS")
    if int(paid) != success:
        failures.append(f"{success} pushes SUCCESS but {paid} payments")
    status, body = Client(sim).send("GET", "/sim/v1/stk")
    if status == 200:
        per_phone = {}
        for s in body.get("transactions", []):
            per_phone[s.get("phoneNumber", "")] = per_phone.get(s.get("phoneNumber", ""), 0) + 1
        twice = [(p["msisdn"], per_phone[p["msisdn"]]) for p in pushes if per_phone.get(p["msisdn"], 0) > 1]
        if twice:
            failures.append(f"{len(twice)} phones prompted more than once: {twice[:5]}")
        else:
            log(f"no phone prompted twice ({len(per_phone)} prompts at the simulator)")
    else:
        failures.append(f"the simulator's sessions: {status}")

    # ---- The killed node rejoins as the standby.
    t0 = now_ms()
    cluster("start-pg", kill["node"])
    r = cluster("wait-sync", "180", check=False)
    if r.returncode != 0:
        failures.append(f"{kill['node']} did not rejoin in sync within 180 s")
    else:
        log(f"{kill['node']} rejoined as the standby, in sync after {(now_ms() - t0) / 1000:.1f} s")
    cluster("status", check=False)
    if recovery_ms is not None:
        print(f"FAILOVER: writes succeeded again {recovery_ms / 1000:.1f} s after kill -9 of the primary; "
              f"{len(acked)} acknowledged pushes, {len(lost)} lost", flush=True)
    return failures


if __name__ == "__main__":
    sys.exit(main())
