#!/usr/bin/env python3
"""Crash, fault and soak tests against the real `custodia` binary (issue 13, RELIABILITY.md).

    scripts/faults.py kill --database sqlite|postgres [--rounds N]   # SIGKILL under a write load
    scripts/faults.py pg-restart [--restarts N]                      # PostgreSQL restarted under load
    scripts/faults.py soak [--seconds S] [--interval S]              # mixed load, memory sampled

The binary is $BIN (default target/release/custodia); PostgreSQL is the throwaway cluster of
scripts/pg-cluster.sh (CUSTODIA_TEST_POSTGRES_URL, PG_CLUSTER_DIR, PG_CLUSTER_BIN). Each run makes
a fresh register in a temporary directory (and, on PostgreSQL, a fresh database) and removes it at
the end unless it failed.

The load: worker threads, each owning its own records, act as the register's users over HTTP on
loopback — person imports and amendments, case proposals, screening and the two approvals, legal
holds placed, lifted and confirmed (a cycle with no end), contacts, incidents (a serious injury
opens three notifications in the same transaction), addenda and notifications sent. Every answer
2xx is an acknowledged write, and the worker keeps what it answered (ids, versions, the record).
A write without an answer (the server was killed, or the database went away) is *uncertain*: the
check accepts it applied whole or not at all — never in part — and the worker leaves that record
alone until the check has seen which.

The check, after every fault: every acknowledged write is present exactly as answered (a case's
version, state, approvals and holds; a person's record; a contact; an incident with its addenda
and notifications), every record present was written by the load, nothing is half applied, and
`custodia journal verify` passes. Exit status 0 when every round held, 1 otherwise (the data
directory and the server's log are kept and named).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
AGREEMENT = "se-ee-tartu"
AGREEMENT_FILE = os.path.join(ROOT, "examples/agreements/se-ee-tartu.toml")
PERSON_HEADER = (
    "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,"
    "sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,"
    "torture_risk,torture_risk_assessed_on,care_needs"
)
# Users of the load: name, role, facilities.
USERS = [
    ("se.officer", "sending_officer", "*"),
    ("ee.officer", "receiving_officer", "*"),
    ("legal.one", "legal_officer", "*"),
    ("legal.two", "legal_officer", "*"),
    ("auditor", "auditor", "*"),
]
# Connections of the server's SQLite pool (custodia-store's backend.rs), each with its own page cache.
SQLITE_POOL_CONNECTIONS = 4
# How long to wait for the server to come back or for writes to resume: a bound so that a
# broken run ends, never a measured figure (nothing here asserts on time).
LIVENESS_S = 180
# The server closes a keep-alive connection left idle for its header_read_timeout_ms (10 s by
# default); a client that reused it later would write into a closed socket and could not tell that
# from a crash. Like any pooling client, ours drops a connection idle for longer than this first.
IDLE_REUSE_S = 4.0


class Failed(Exception):
    """A fault the register did not survive."""


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The register and the server process
# ---------------------------------------------------------------------------------------------


class Register:
    """A fresh register: a data directory (the signing key; SQLite's file) and maybe a PG database."""

    def __init__(self, binary: str, database: str):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="custodia-faults-")
        self.data_dir = os.path.join(self.dir, "data")
        self.url = None
        self.db_name = None
        if database == "postgres":
            server = os.environ.get("CUSTODIA_TEST_POSTGRES_URL")
            if not server:
                raise Failed("--database postgres needs CUSTODIA_TEST_POSTGRES_URL (scripts/pg-cluster.sh start)")
            self.db_name = f"custodia_faults_{os.getpid()}_{random.randrange(1 << 30)}"
            self.server_url = server
            self.url = with_database(server, self.db_name)
            pg_tool("createdb", server, self.db_name)
        self.tokens: dict[str, str] = {}

    def place(self) -> list[str]:
        args = ["--data-dir", self.data_dir]
        return args + (["--database", self.url] if self.url else [])

    def cli(self, *args: str, token: str | None = None, stdin: str | None = None) -> str:
        env = dict(os.environ, CUSTODIA_LOG_FILTER="warn")
        env.pop("CUSTODIA_TOKEN", None)
        if token:
            env["CUSTODIA_TOKEN"] = token
        done = subprocess.run(
            [self.binary, *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
        )
        if done.returncode != 0:
            raise Failed(f"custodia {' '.join(args[:3])}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def create(self) -> None:
        out = self.cli("init", "--admin", "admin", *self.place())
        admin = secret(out)
        self.cli("import", "agreement", AGREEMENT_FILE, *self.place(), token=admin)
        for name, role, facilities in USERS:
            # One admin: a user change applies at once (docs/access.md).
            self.cli("user", "add", name, "--role", role, "--agreements", AGREEMENT,
                     "--facilities", facilities, *self.place(), token=admin)
            self.tokens[name] = secret(self.cli("user", "token", name, *self.place()))

    def sqlite_kib(self) -> int:
        """The size of the SQLite database and its WAL (0 on PostgreSQL)."""
        if self.url:
            return 0
        names = [os.path.join(self.data_dir, n) for n in ("custodia.db", "custodia.db-wal")]
        return sum(os.path.getsize(n) for n in names if os.path.exists(n)) // 1024

    def verify_journal(self) -> str:
        return self.cli("journal", "verify", *self.place()).strip().splitlines()[0]

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.db_name:
            pg_tool("dropdb", self.server_url, self.db_name, "--force")


def secret(out: str) -> str:
    found = re.search(r"cst_[A-Za-z0-9_-]+", out)
    if not found:
        raise Failed(f"no token in {out!r}")
    return found.group(0)


def with_database(server: str, name: str) -> str:
    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def pg_bin(tool: str) -> str:
    directory = os.environ.get("PG_CLUSTER_BIN")
    if not directory:
        raise Failed("PG_CLUSTER_BIN is not set (eval \"$(scripts/pg-cluster.sh start)\")")
    return os.path.join(directory, tool)


def as_cluster_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args


def pg_tool(tool: str, server: str, *args: str) -> None:
    parts = urllib.parse.urlsplit(server)
    cmd = [pg_bin(tool), "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
           "-U", parts.username or "postgres", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise Failed(f"{tool}: {done.stderr.strip()}")


def pg_restart(mode: str) -> None:
    directory = os.environ.get("PG_CLUSTER_DIR")
    if not directory:
        raise Failed("PG_CLUSTER_DIR is not set (eval \"$(scripts/pg-cluster.sh start)\")")
    # The restarted postmaster writes to the cluster's log (-l), never to our pipes, which it
    # would hold open for as long as it runs.
    cmd = as_cluster_owner([pg_bin("pg_ctl"), "-D", os.path.join(directory, "data"), "-l",
                            os.path.join(directory, "server.log"), "-m", mode, "-w", "-t", "120", "restart"])
    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=300)
        if done.returncode != 0:
            out.seek(0)
            raise Failed(f"pg_ctl restart -m {mode}: {out.read().strip()}")


class Server:
    """`custodia serve` on a free loopback port."""

    started: list[Server] = []  # every server of the run, killed at the end if still running

    def __init__(self, register: Register):
        Server.started.append(self)
        self.register = register
        self.log_path = os.path.join(register.dir, "serve.log")
        self.process: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.starts = 0

    def start(self) -> None:
        env = dict(os.environ, CUSTODIA_LOG_FILTER="warn")
        with open(self.log_path, "a") as err:
            err.write(f"--- start {self.starts + 1}\n")
            err.flush()
            self.process = subprocess.Popen(
                [self.register.binary, "serve", "--addr", "127.0.0.1:0", *self.register.place()],
                stdout=subprocess.PIPE, stderr=err, text=True, env=env,
            )
        self.starts += 1
        assert self.process.stdout is not None
        for line in self.process.stdout:  # ends when the process exits
            if line.startswith("address: "):
                address = urllib.parse.urlsplit(line.split(" ", 1)[1].strip())
                self.host, self.port = address.hostname, address.port
                return
        self.process.wait()
        raise Failed(f"custodia serve exited {self.process.returncode} before listening: {self.log_tail()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=LIVENESS_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise Failed("custodia serve did not stop on SIGTERM")
            if self.process.returncode != 0:
                raise Failed(f"custodia serve exited {self.process.returncode} on SIGTERM: {self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_kib(self) -> int:
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failed("no VmRSS in /proc/PID/status")

    def log_tail(self) -> str:
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class NoAnswer(Exception):
    """The request got no HTTP answer, or a 5xx: it may or may not have been applied."""


class Refused(Exception):
    """A 4xx the load did not expect: a fault in the load's model or in the register."""


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, server: Server, token: str):
        self.server = server
        self.token = token
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0.0  # time.monotonic() of the last answer on self.conn

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        if self.conn is not None and time.monotonic() - self.used > IDLE_REUSE_S:
            self.close()
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise NoAnswer(f"{method} {path}: {e!r}") from None
        self.used = time.monotonic()
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        payload = json.loads(raw) if raw and is_json else raw.decode(errors="replace")
        if response.status >= 500:
            raise NoAnswer(f"{method} {path}: {response.status} {payload}")
        return response.status, payload

    def write(self, method: str, path: str, body: object) -> object:
        status, payload = self.request(method, path, body)
        if not 200 <= status < 300:
            raise Refused(f"{method} {path} {json.dumps(body)[:300]}: {status} {payload}")
        return payload

    def read(self, path: str) -> object:
        status, payload = self.request("GET", path)
        if status != 200:
            raise Refused(f"GET {path}: {status} {payload}")
        return payload

    def pages(self, path: str) -> list:
        items, after = [], None
        while True:
            sep = "&" if "?" in path else "?"
            page = self.read(f"{path}{sep}limit=1000" + (f"&after={after}" if after is not None else ""))
            items += page["items"]
            after = page["next_after"]
            if after is None:
                return items

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------------------------------------
# What the register answered: the acknowledged state, and the writes without an answer
# ---------------------------------------------------------------------------------------------


def case_state(view: dict) -> dict:
    """What a case must be: everything the transitions of the load change."""
    return {k: view[k] for k in ("id", "person_id", "sending_person_id", "state", "version", "decision",
                                 "sending_approval", "receiving_approval", "holds")}


def incident_state(view: dict) -> dict:
    """An incident without what the clock changes (a pending notification becomes overdue)."""
    state = {k: view[k] for k in ("id", "agreement_id", "case_id", "kind", "occurred_at", "report", "addenda")}
    state["notifications"] = sorted((n["recipient"], n["due_at"], n["sent_at"]) for n in view["notifications"])
    return state


def person_row(sending_id: str, given: str) -> str:
    # Eligible under the Tartu agreement: a final sentence running, medium security, consent given.
    return f"{sending_id},Fault,{given},1980-01-01,SE,final,property,2026-01-01,10y,0,medium,given,none,no_risk,2026-06-01,no"


class Model:
    """Everything acknowledged, by every worker, and the writes whose outcome is unknown."""

    def __init__(self):
        self.lock = threading.Lock()
        self.persons: dict[str, str] = {}  # sending id -> given names as acknowledged
        self.cases: dict[int, dict] = {}  # case id -> case_state as acknowledged
        self.contacts: dict[int, dict] = {}
        self.incidents: dict[int, dict] = {}
        # Unknown outcomes: (kind, key, test-if-applied) as recorded by the worker.
        self.uncertain: list[dict] = []
        self.acks = 0

    def ack(self) -> None:
        with self.lock:
            self.acks += 1

    def unsure(self, **entry) -> None:
        with self.lock:
            self.uncertain.append(entry)


class Worker(threading.Thread):
    """One user session writing (and, in the soak, reading) its own records."""

    def __init__(self, index: int, server: Server, register: Register, model: Model, stop: threading.Event,
                 on_no_answer: str, read_share: float, seed: int):
        super().__init__(name=f"worker-{index}", daemon=True)
        self.index = index
        self.model = model
        self.stop_event = stop
        self.on_no_answer = on_no_answer  # "stop" (the server was killed), "retry" (the database restarts), "fail"
        self.read_share = read_share
        self.rng = random.Random(seed)
        self.as_user = {name: Client(server, register.tokens[name]) for name, _, _ in USERS}
        self.error: BaseException | None = None
        self.records: int | None = None  # the soak's cap on the records of each kind
        self.contacts = 0
        self.counter = 0
        self.reads = 0
        # The worker's own records that it may touch (frozen ones are left out until checked).
        self.spare_persons: list[str] = []  # imported, no case yet
        self.cases: list[int] = []
        self.incidents: list[int] = []
        self.hold_seq = 0

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    if self.rng.random() < self.read_share:
                        self.one_read()
                    else:
                        self.one_write()
                except NoAnswer:
                    if self.on_no_answer == "stop":
                        return
                    if self.on_no_answer == "fail":
                        raise
                    time.sleep(0.05)
        except BaseException as e:  # a refused write is a failure of the run; report it
            self.error = e
        finally:
            for client in self.as_user.values():
                client.close()

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-w{self.index}-{self.counter}"

    # -- writes -------------------------------------------------------------------------------

    def under(self, count: int, share: int = 1) -> bool:
        """Whether the worker may add a record of a kind it holds `count` of (the soak's cap)."""
        return self.records is None or count < self.records // share

    def one_write(self) -> None:
        choices = [(self.amend, 1)] if self.spare_persons else []
        if self.under(len(self.spare_persons) + len(self.cases)):
            choices.append((self.import_persons, 1))
        if self.under(self.contacts):
            choices.append((self.contact, 3))
        if self.under(len(self.incidents), 4):
            choices.append((self.incident, 1))
        if self.spare_persons and self.under(len(self.cases)):
            choices.append((self.propose, 2))
        if self.cases:
            choices.append((self.case_step, 6))
        if self.incidents:
            choices += [(self.addendum, 2), (self.notify, 1)]
        total = sum(w for _, w in choices)
        pick = self.rng.uniform(0, total)
        for action, weight in choices:
            pick -= weight
            if pick <= 0:
                action()
                return
        choices[-1][0]()

    def attempt(self, user: str, method: str, path: str, body: object, unsure: dict) -> object:
        try:
            answer = self.as_user[user].write(method, path, body)
        except NoAnswer:
            self.model.unsure(**unsure)
            raise
        self.model.ack()
        return answer

    def import_persons(self) -> None:
        ids = [self.fresh("P") for _ in range(self.rng.randint(1, 5))]
        rows = {i: f"Given {i}" for i in ids}
        csv = "\n".join([PERSON_HEADER] + [person_row(i, g) for i, g in rows.items()]) + "\n"
        answer = self.attempt("se.officer", "POST", "/api/v1/persons", {"agreement_id": AGREEMENT, "csv": csv},
                              {"kind": "persons", "rows": rows, "worker": self.index})
        if answer["added"] != len(ids):
            raise Refused(f"import of {len(ids)} new persons answered {answer}")
        with self.model.lock:
            self.model.persons.update(rows)
        self.spare_persons += ids

    def amend(self) -> None:
        person = self.spare_persons.pop(self.rng.randrange(len(self.spare_persons)))
        given = f"Amended {self.fresh('G')}"
        csv = f"{PERSON_HEADER}\n{person_row(person, given)}\n"
        answer = self.attempt("se.officer", "POST", "/api/v1/persons", {"agreement_id": AGREEMENT, "csv": csv},
                              {"kind": "amend", "person": person, "given": given, "worker": self.index})
        if answer["amended"] != 1:
            raise Refused(f"amendment of {person} answered {answer}")
        with self.model.lock:
            self.model.persons[person] = given
        self.spare_persons.append(person)

    def propose(self) -> None:
        person = self.spare_persons.pop(self.rng.randrange(len(self.spare_persons)))
        view = self.attempt("se.officer", "POST", "/api/v1/cases", {"agreement_id": AGREEMENT, "person_id": person},
                            {"kind": "propose", "person": person, "worker": self.index})
        if view["state"] != "proposed" or view["version"] < 1:
            raise Refused(f"a new case answered {view}")
        with self.model.lock:
            self.model.cases[view["id"]] = case_state(view)
        self.cases.append(view["id"])

    def case_step(self) -> None:
        case_id = self.cases.pop(self.rng.randrange(len(self.cases)))
        with self.model.lock:
            case = self.model.cases[case_id]
        user, path, body, applied = self.next_step(case)
        view = self.attempt(user, "POST", path, body,
                            {"kind": "case", "id": case_id, "applied": applied, "worker": self.index})
        if view["version"] != case["version"] + 1 or not applied(view):
            raise Refused(f"case {case_id}: {body} answered {view} after {case}")
        with self.model.lock:
            self.model.cases[case_id] = case_state(view)
        self.cases.append(case_id)

    def next_step(self, case: dict):
        """The next write of a case: screening and the two approvals, then holds placed, lifted and
        confirmed lifted, over and over. Each with the test a view passes once it is applied."""
        transitions = f"/api/v1/cases/{case['id']}/transitions"
        standing = [h for h in case["holds"] if h["stands"]]
        if case["state"] == "proposed":
            return "se.officer", transitions, {"action": "screen", "reason": "SCREENED"}, \
                lambda v: v["state"] == "screened"
        if case["sending_approval"] is None:
            return "se.officer", transitions, {"action": "approve", "party": "sending", "reason": "APPROVED"}, \
                lambda v: v["sending_approval"] == "se.officer"
        if case["receiving_approval"] is None:
            return "ee.officer", transitions, {"action": "approve", "party": "receiving", "reason": "APPROVED"}, \
                lambda v: v["receiving_approval"] == "ee.officer"
        if not standing:
            self.hold_seq += 1
            reference = f"ORDER-{case['id']}-{self.index}-{self.hold_seq}"
            return "legal.one", "/api/v1/holds", {"case_id": case["id"], "authority": "Tartu District Court",
                                                  "reference": reference, "order": "stop", "reason": "COURT_ORDER"}, \
                lambda v: any(h["reference"] == reference and h["stands"] for h in v["holds"])
        hold = standing[0]
        reference = hold["reference"]
        if hold["lifting_by"] is None:
            return "legal.one", "/api/v1/holds/lift", {"case_id": case["id"], "reference": reference,
                                                       "decision_reference": f"LIFT-{reference}",
                                                       "reason": "ORDER_VACATED"}, \
                lambda v: any(h["reference"] == reference and h["lifting_by"] == "legal.one" for h in v["holds"])
        return "legal.two", "/api/v1/holds/confirm-lift", {"case_id": case["id"], "reference": reference,
                                                           "reason": "ORDER_VACATED"}, \
            lambda v: any(h["reference"] == reference and not h["stands"] for h in v["holds"])

    def contact(self) -> None:
        note = f"note {self.fresh('C')}"
        body = {"agreement_id": AGREEMENT, "contact": "Swedish consul in Tallinn", "at": now_rfc3339(),
                "means": self.rng.choice(["visit", "phone", "video", "letter", "email"]), "note": note}
        view = self.attempt("se.officer", "POST", "/api/v1/contacts", body,
                            {"kind": "contact", "note": note, "worker": self.index})
        if view["note"] != note:
            raise Refused(f"contact answered {view}")
        with self.model.lock:
            self.model.contacts[view["id"]] = view
        self.contacts += 1

    def incident(self) -> None:
        report = f"report {self.fresh('I')}: a fall in the yard, a broken wrist"
        body = {"agreement_id": AGREEMENT, "kind": "serious_injury", "occurred_at": now_rfc3339(), "report": report}
        view = self.attempt("ee.officer", "POST", "/api/v1/incidents", body,
                            {"kind": "incident", "report": report, "worker": self.index})
        if view["report"] != report or len(view["notifications"]) != 3:
            raise Refused(f"incident answered {view}")
        with self.model.lock:
            self.model.incidents[view["id"]] = incident_state(view)
        self.incidents.append(view["id"])

    def incident_step(self, body_of, path_of, applied_of) -> None:
        incident_id = self.incidents.pop(self.rng.randrange(len(self.incidents)))
        with self.model.lock:
            before = self.model.incidents[incident_id]
        body = body_of(before)
        if body is None:  # nothing left to do on this one
            self.incidents.append(incident_id)
            return
        applied = applied_of(before, body)
        view = self.attempt("ee.officer", "POST", path_of(incident_id), body,
                            {"kind": "incident_step", "id": incident_id, "applied": applied, "worker": self.index})
        state = incident_state(view)
        if not applied(state):
            raise Refused(f"incident {incident_id}: {body} answered {view}")
        with self.model.lock:
            self.model.incidents[incident_id] = state
        self.incidents.append(incident_id)

    def addendum(self) -> None:
        text = f"addendum {self.fresh('A')}"
        self.incident_step(
            lambda before: {"text": text} if self.under(len(before["addenda"]), 8) else None,
            lambda i: f"/api/v1/incidents/{i}/addenda",
            lambda before, body: lambda s: s["addenda"] == before["addenda"] + [{"author": "ee.officer", "text": text}],
        )

    def notify(self) -> None:
        def body_of(before):
            pending = [r for r, _, sent in before["notifications"] if sent is None]
            return {"recipient": pending[0], "at": now_rfc3339()} if pending else None

        def applied_of(before, body):
            return lambda s: any(r == body["recipient"] and sent is not None for r, _, sent in s["notifications"]) \
                and s["addenda"] == before["addenda"]

        self.incident_step(body_of, lambda i: f"/api/v1/incidents/{i}/notifications", applied_of)

    # -- reads (the soak) ---------------------------------------------------------------------

    def one_read(self) -> None:
        reader = self.as_user["auditor"]
        pick = self.rng.randrange(7)
        if pick == 0 and self.cases:
            reader.read(f"/api/v1/cases/{self.rng.choice(self.cases)}")
        elif pick in (5, 6) and self.cases:
            # A person's file and legal basis: each read is logged (a write of the read log).
            with self.model.lock:
                person = self.model.cases[self.rng.choice(self.cases)]["person_id"]
            reader.read(f"/api/v1/persons/{person}" + ("/legal-basis" if pick == 6 else ""))
        elif pick == 1:
            reader.read(f"/api/v1/cases?agreement={AGREEMENT}&limit=50")
        elif pick == 2:
            reader.read(f"/api/v1/alerts?agreement={AGREEMENT}")
        elif pick == 3 and self.incidents:
            reader.read(f"/api/v1/incidents/{self.rng.choice(self.incidents)}")
        else:
            reader.read("/api/v1/journal/checkpoint")
        self.reads += 1


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def check(model: Model, reader: Client) -> dict:
    """Compares the register with everything acknowledged and the uncertain writes; resolves the
    uncertain ones (applied or not) into the model. Returns counts; raises Failed on a difference."""
    problems: list[str] = []
    persons = {p["sending_id"]: p for p in reader.pages(f"/api/v1/persons?agreement={AGREEMENT}")}
    cases = {c["id"]: case_state(c) for c in reader.pages(f"/api/v1/cases?agreement={AGREEMENT}")}
    contacts = {c["id"]: c for c in reader.pages(f"/api/v1/contacts?agreement={AGREEMENT}")}
    incidents = {i["id"]: incident_state(i) for i in reader.pages(f"/api/v1/incidents?agreement={AGREEMENT}")}
    checked = 0
    with model.lock:
        uncertain, model.uncertain = model.uncertain, []
        # 1. Every acknowledged write, exactly as answered — or, where a later write of the same
        #    record has no answer, exactly as that write leaves it.
        pending_case = {u["id"]: u for u in uncertain if u["kind"] == "case"}
        pending_incident = {u["id"]: u for u in uncertain if u["kind"] == "incident_step"}
        pending_amend = {u["person"]: u for u in uncertain if u["kind"] == "amend"}
        for sending_id, given in model.persons.items():
            found = persons.get(sending_id)
            if found is None:
                problems.append(f"person {sending_id}: acknowledged, missing")
            elif found["given_names"] != given:
                u = pending_amend.get(sending_id)
                if u and found["given_names"] == u["given"]:
                    model.persons[sending_id] = u["given"]
                    u["outcome"] = "applied"
                else:
                    problems.append(f"person {sending_id}: given names {found['given_names']!r}, acknowledged {given!r}")
            checked += 1
        for case_id, want in model.cases.items():
            got = cases.get(case_id)
            u = pending_case.get(case_id)
            if got is None:
                problems.append(f"case {case_id}: acknowledged at version {want['version']}, missing")
            elif got != want:
                if u and got["version"] == want["version"] + 1 and u["applied"](got):
                    model.cases[case_id] = got  # the write without an answer was applied, whole
                    u["outcome"] = "applied"
                else:
                    problems.append(f"case {case_id}: {got} differs from the acknowledged {want}")
            checked += 1
        for contact_id, want in model.contacts.items():
            if contacts.get(contact_id) != want:
                problems.append(f"contact {contact_id}: {contacts.get(contact_id)} differs from {want}")
            checked += 1
        for incident_id, want in model.incidents.items():
            got = incidents.get(incident_id)
            u = pending_incident.get(incident_id)
            if got != want:
                if got is not None and u and u["applied"](got):
                    model.incidents[incident_id] = got
                    u["outcome"] = "applied"
                else:
                    problems.append(f"incident {incident_id}: {got} differs from the acknowledged {want}")
            checked += 1
        # 2. Every record present comes from the load: acknowledged, or an uncertain write
        #    applied whole (all rows of an import, an incident with its three notifications).
        unsure_rows = [u for u in uncertain if u["kind"] == "persons"]
        for u in unsure_rows:
            present = [i for i in u["rows"] if i in persons]
            if present and len(present) != len(u["rows"]):
                problems.append(f"import of {sorted(u['rows'])}: half applied, only {present} present")
            elif present:
                bad = [i for i in present if persons[i]["given_names"] != u["rows"][i]]
                if bad:
                    problems.append(f"import: persons {bad} differ from the rows sent")
                model.persons.update(u["rows"])
                u["resolved"] = list(u["rows"])
                u["outcome"] = "applied"
        for sending_id in persons:
            if sending_id not in model.persons:
                problems.append(f"person {sending_id}: present, never written by the load")
        unsure_proposals = {u["person"]: u for u in uncertain if u["kind"] == "propose"}
        for case_id, got in cases.items():
            if case_id in model.cases:
                continue
            u = unsure_proposals.pop(got["sending_person_id"], None)
            if u and got["state"] == "proposed" and got["holds"] == []:
                model.cases[case_id] = got
                u["resolved"] = case_id
                u["outcome"] = "applied"
            else:
                problems.append(f"case {case_id}: present, never acknowledged: {got}")
        unsure_notes = {u["note"]: u for u in uncertain if u["kind"] == "contact"}
        for contact_id, got in contacts.items():
            if contact_id not in model.contacts:
                u = unsure_notes.pop(got["note"], None)
                if u is None:
                    problems.append(f"contact {contact_id}: present, never acknowledged: {got}")
                else:
                    u["outcome"] = "applied"
                model.contacts[contact_id] = got
        unsure_reports = {u["report"]: u for u in uncertain if u["kind"] == "incident"}
        for incident_id, got in incidents.items():
            if incident_id not in model.incidents:
                u = unsure_reports.pop(got["report"], None)
                if u is None:
                    problems.append(f"incident {incident_id}: present, never acknowledged: {got}")
                elif len(got["notifications"]) != 3 or got["addenda"]:
                    problems.append(f"incident {incident_id}: half applied: {got}")
                else:
                    u["resolved"] = incident_id
                    u["outcome"] = "applied"
                model.incidents[incident_id] = got
    if problems:
        raise Failed(f"{len(problems)} differences; first ones:\n  " + "\n  ".join(problems[:20]))
    applied = sum(1 for u in uncertain if u.get("outcome") == "applied")
    return {"checked": checked, "uncertain": len(uncertain), "applied": applied, "uncertain_list": uncertain}


def hand_back(workers: list[Worker], uncertain: list[dict]) -> None:
    """After a check, each worker gets back the records it froze, now known."""
    for u in uncertain:
        w = workers[u["worker"]]
        if u["kind"] == "persons":
            w.spare_persons += u.get("resolved", [])
        elif u["kind"] == "amend":
            w.spare_persons.append(u["person"])
        elif u["kind"] == "propose":
            if "resolved" in u:
                w.cases.append(u["resolved"])
            else:
                w.spare_persons.append(u["person"])
        elif u["kind"] == "case":
            w.cases.append(u["id"])
        elif u["kind"] == "incident" and "resolved" in u:
            w.incidents.append(u["resolved"])
        elif u["kind"] == "incident_step":
            w.incidents.append(u["id"])


def make_workers(n: int, server: Server, register: Register, model: Model, stop: threading.Event,
                 on_no_answer: str, read_share: float, rng: random.Random,
                 previous: list[Worker] | None = None) -> list[Worker]:
    workers = []
    for i in range(n):
        w = Worker(i, server, register, model, stop, on_no_answer, read_share, rng.randrange(1 << 62))
        if previous:
            old = previous[i]
            w.spare_persons, w.cases, w.incidents = old.spare_persons, old.cases, old.incidents
            w.counter, w.hold_seq = old.counter, old.hold_seq
        workers.append(w)
    return workers


def join(workers: list[Worker]) -> None:
    for w in workers:
        w.join(timeout=LIVENESS_S)
        if w.is_alive():
            raise Failed(f"{w.name} did not stop")
    errors = [w.error for w in workers if w.error is not None]
    if errors:
        raise Failed(f"a worker failed: {errors[0]!r}")


# ---------------------------------------------------------------------------------------------
# The three tests
# ---------------------------------------------------------------------------------------------


def kill_rounds(args, register: Register) -> dict:
    rng = random.Random(args.seed)
    server = Server(register)
    server.start()
    model = Model()
    reader = Client(server, register.tokens["auditor"])
    workers: list[Worker] | None = None
    totals = {"kills": 0, "acks": 0, "checked": 0, "uncertain": 0, "applied": 0}
    try:
        for round_no in range(1, args.rounds + 1):
            stop = threading.Event()
            workers = make_workers(args.threads, server, register, model, stop, "stop", 0.0, rng, workers)
            for w in workers:
                w.start()
            delay = rng.uniform(args.min_delay, args.max_delay)
            time.sleep(delay)  # the random moment of the kill (no assertion on time)
            server.kill()
            stop.set()
            join(workers)
            verified = register.verify_journal()
            server.start()
            reader.close()
            result = check(model, reader)
            hand_back(workers, result["uncertain_list"])
            totals["kills"] += 1
            totals["checked"] = result["checked"]
            totals["uncertain"] += result["uncertain"]
            totals["applied"] += result["applied"]
            log(f"round {round_no}/{args.rounds}: SIGKILL after {delay:.2f} s; {model.acks} writes acknowledged so far; "
                f"{result['checked']} records checked; {result['uncertain']} writes without an answer, "
                f"{result['applied']} of them applied whole; journal verify: {verified}")
        totals["acks"] = model.acks
    finally:
        reader.close()
        if server.alive():
            server.stop()
    return totals


def pg_restarts(args, register: Register) -> dict:
    rng = random.Random(args.seed)
    server = Server(register)
    server.start()
    model = Model()
    reader = Client(server, register.tokens["auditor"])
    workers: list[Worker] | None = None
    totals = {"restarts": 0, "acks": 0, "checked": 0, "uncertain": 0, "applied": 0}
    try:
        for round_no in range(1, args.restarts + 1):
            mode = "fast" if round_no % 2 else "immediate"
            stop = threading.Event()
            workers = make_workers(args.threads, server, register, model, stop, "retry", 0.0, rng, workers)
            for w in workers:
                w.start()
            time.sleep(rng.uniform(args.min_delay, args.max_delay))
            before = model.acks
            pg_restart(mode)
            after_restart = model.acks
            waited = 0.0
            # Writes must resume on the same server process: it reconnects by itself.
            while model.acks < after_restart + 20 * args.threads:
                if not server.alive():
                    raise Failed(f"custodia serve exited after the PostgreSQL restart: {server.log_tail()}")
                if waited > LIVENESS_S or any(w.error for w in workers):
                    stop.set()
                    join(workers)
                    raise Failed(f"writes did not resume after pg_ctl restart -m {mode}: {server.log_tail()}")
                time.sleep(0.1)
                waited += 0.1
            stop.set()
            join(workers)
            reader.close()
            result = check(model, reader)
            hand_back(workers, result["uncertain_list"])
            verified = register.verify_journal()
            totals["restarts"] += 1
            totals["checked"] = result["checked"]
            totals["uncertain"] += result["uncertain"]
            totals["applied"] += result["applied"]
            log(f"restart {round_no}/{args.restarts} (-m {mode}): {before} writes acknowledged so far before it, "
                f"{model.acks - after_restart} after it by the same server process; {result['checked']} records "
                f"checked; {result['uncertain']} writes without an answer, {result['applied']} of them applied whole; "
                f"journal verify: {verified}")
        totals["acks"] = model.acks
    finally:
        reader.close()
        server.stop()
    return totals


def soak(args, register: Register) -> dict:
    rng = random.Random(args.seed)
    server = Server(register)
    server.start()
    model = Model()
    stop = threading.Event()
    workers = make_workers(args.threads, server, register, model, stop, "fail", args.read_share, rng)
    for w in workers:
        w.records = args.records
    samples: list[tuple[float, int, int, int]] = []  # seconds, RSS KiB, requests so far, SQLite file KiB
    started = time.monotonic()
    for w in workers:
        w.start()
    try:
        soak_load(args, server, model, workers, samples, started)
    finally:
        stop.set()
        join(workers)
    reader = Client(server, register.tokens["auditor"])
    try:
        result = check(model, reader)
    finally:
        reader.close()
        server.stop()
    verified = register.verify_journal()
    requests = model.acks + sum(w.reads for w in workers)
    verdict = levels_off(samples, args.bound_percent, args.bound_mib)
    print("\nseconds,vmrss_kib,requests,sqlite_file_kib")
    for s in samples:
        print(f"{s[0]:.0f},{s[1]},{s[2]},{s[3]}")
    return {"requests": requests, "writes": model.acks, "reads": requests - model.acks,
            "checked": result["checked"], "journal": verified, **verdict}


def soak_load(args, server: Server, model: Model, workers: list[Worker], samples: list, started: float) -> None:
    """Samples the server's resident memory every --interval seconds while the workers run."""
    while True:
        elapsed = time.monotonic() - started
        requests = model.acks + sum(w.reads for w in workers)
        samples.append((elapsed, server.rss_kib(), requests, server.register.sqlite_kib()))
        log(f"t={elapsed:6.0f} s  VmRSS {samples[-1][1] / 1024:7.1f} MiB  requests {requests}")
        if elapsed >= args.seconds or any(w.error for w in workers) or not server.alive():
            return
        time.sleep(min(args.interval, max(0.0, args.seconds - elapsed)))


def levels_off(samples: list[tuple[float, int, int, int]], bound_percent: float, bound_mib: float) -> dict:
    """Memory levels off when the highest RSS of the last third of the run exceeds the highest RSS
    of the middle third by at most max(bound_percent % of it, bound_mib MiB), plus, on SQLite, what
    its page caches may have taken of the data written meanwhile: every pooled connection keeps its
    own cache of the pages it read (up to 64 MiB each), so the allowance adds the growth of the
    database and WAL files since the middle third's peak times the pool's connections. The first
    third is warm-up (caches filling, the allocator's arenas growing) and is not judged."""
    end = samples[-1][0]
    middle = [s for s in samples if end / 3 <= s[0] < 2 * end / 3]
    last = [s for s in samples if s[0] >= 2 * end / 3]
    if not middle or not last:
        raise Failed("too few memory samples to judge: lower --interval or raise --seconds")
    peak_middle = max(middle, key=lambda s: s[1])
    peak_last = max(s[1] for s in last)
    growth_kib = peak_last - peak_middle[1]
    cache_kib = SQLITE_POOL_CONNECTIONS * max(0, samples[-1][3] - peak_middle[3])
    allowed_kib = max(peak_middle[1] * bound_percent / 100, bound_mib * 1024) + cache_kib
    return {"rss_start_kib": samples[0][1], "rss_middle_kib": middle[len(middle) // 2][1],
            "rss_end_kib": samples[-1][1], "peak_middle_kib": peak_middle[1], "peak_last_kib": peak_last,
            "growth_kib": growth_kib, "cache_allowance_kib": cache_kib, "allowed_kib": int(allowed_kib),
            "levels_off": growth_kib <= allowed_kib}


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs, {model}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("BIN", os.path.join(ROOT, "target/release/custodia")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("FAULT_THREADS", "8")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FAULT_SEED", "1")))
    sub = parser.add_subparsers(dest="test", required=True)
    kill = sub.add_parser("kill", help="SIGKILL the server at random moments under a write load")
    kill.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    kill.add_argument("--rounds", type=int, default=int(os.environ.get("CRASH_ROUNDS", "20")))
    kill.add_argument("--min-delay", type=float, default=0.2, help="seconds of load before a kill, at least")
    kill.add_argument("--max-delay", type=float, default=3.0, help="seconds of load before a kill, at most")
    restart = sub.add_parser("pg-restart", help="restart PostgreSQL under a write load")
    restart.add_argument("--restarts", type=int, default=int(os.environ.get("PG_RESTARTS", "5")))
    restart.add_argument("--min-delay", type=float, default=0.5)
    restart.add_argument("--max-delay", type=float, default=3.0)
    soak_p = sub.add_parser("soak", help="a mixed read/write load with the server's memory sampled")
    soak_p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    soak_p.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "600")))
    soak_p.add_argument("--interval", type=float, default=float(os.environ.get("SOAK_INTERVAL", "10")))
    soak_p.add_argument("--read-share", type=float, default=0.8, help="share of requests that are reads")
    soak_p.add_argument("--records", type=int, default=int(os.environ.get("SOAK_RECORDS", "40")),
                        help="per worker, at most this many persons, cases and contacts, a quarter as many "
                             "incidents and an eighth as many addenda an incident; then the writes move the "
                             "records there are (holds, amendments, notifications)")
    soak_p.add_argument("--bound-percent", type=float, default=10.0)
    soak_p.add_argument("--bound-mib", type=float, default=16.0)
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"faults: {args.bin} is not an executable (cargo build --release -p custodia-cli, or BIN=…)",
              file=sys.stderr)
        return 2
    database = "postgres" if args.test == "pg-restart" else args.database
    register = Register(args.bin, database)
    ok = False
    try:
        log(f"{args.test} on {database}: {args.threads} workers, register in {register.dir}")
        register.create()
        if args.test == "kill":
            totals = kill_rounds(args, register)
            print(f"kill on {database}: {totals['kills']} SIGKILLs survived, {totals['acks']} acknowledged writes, "
                  f"{totals['checked']} records checked after the last kill; {totals['uncertain']} writes without an "
                  f"answer, each applied whole ({totals['applied']}) or not at all; machine: {machine()}")
        elif args.test == "pg-restart":
            totals = pg_restarts(args, register)
            print(f"pg-restart: {totals['restarts']} PostgreSQL restarts survived by one server process, "
                  f"{totals['acks']} acknowledged writes, {totals['checked']} records checked after the last; "
                  f"{totals['uncertain']} writes without an answer, each applied whole ({totals['applied']}) or not "
                  f"at all; machine: {machine()}")
        else:
            v = soak(args, register)
            mib = lambda kib: f"{kib / 1024:.1f} MiB"  # noqa: E731
            print(f"soak on {database}: {args.seconds:.0f} s, {v['requests']} requests ({v['writes']} writes, "
                  f"{v['reads']} reads), {v['checked']} records checked; VmRSS start {mib(v['rss_start_kib'])}, "
                  f"middle {mib(v['rss_middle_kib'])}, end {mib(v['rss_end_kib'])}; peak of the middle third "
                  f"{mib(v['peak_middle_kib'])}, of the last third {mib(v['peak_last_kib'])} (growth "
                  f"{mib(v['growth_kib'])}, allowed {mib(v['allowed_kib'])}, of which "
                  f"{mib(v['cache_allowance_kib'])} for SQLite's page caches); machine: {machine()}")
            if not v["levels_off"]:
                raise Failed("memory did not level off")
        ok = True
        return 0
    except Failed as e:
        print(f"faults: FAILED: {e}", file=sys.stderr)
        print(f"faults: register and serve.log kept in {register.dir}", file=sys.stderr)
        return 1
    finally:
        for server in Server.started:
            if server.alive():
                server.kill()
        if ok:
            register.remove()


if __name__ == "__main__":
    sys.exit(main())
