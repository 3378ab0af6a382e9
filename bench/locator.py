#!/usr/bin/env python3
"""The public locator's answer time (issue 14): `custodia demo` on loopback, then sequential
requests over one keep-alive connection, each kind REQUESTS times —

  1. JSON by identifier          GET /locator?person_id=ID           (Accept: application/json)
  2. JSON by family name + year  GET /locator?family_name=…&birth_year=…  (accent-free name)
  3. the page with an answer     the same question, Accept: text/html, Accept-Language: es
  4. the page's empty form       GET /locator, Accept: text/html

The people asked for are those in custody in the demo (found through the admin's API), cycled.
Times are measured by the client around each request (the server's time plus loopback), in ms.

  python3 bench/locator.py           # BIN=target/release/custodia REQUESTS=1000 PEOPLE=2000 SCALE=0

With SCALE=N the register first gets N more people (`custodia synth persons`, ids S…) each with a
case proposed under the agreement, so a question by name and year reads its candidates among N
more cases (proposed cases are never shown, but are read and filtered like any other).

The locator's per-address limit is lifted for the run (CUSTODIA_LOCATOR_PER_MINUTE).
"""
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import unicodedata
import urllib.parse

BIN = os.environ.get("BIN", "target/release/custodia")
REQUESTS = int(os.environ.get("REQUESTS", "1000"))
PEOPLE = os.environ.get("PEOPLE", "2000")
DATA = os.environ.get("DATA", "bench-data/locator-demo")
SCALE = int(os.environ.get("SCALE", "0"))


def plain(name):
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c)).lower()


def start_demo():
    shutil.rmtree(DATA, ignore_errors=True)
    env = dict(os.environ, CUSTODIA_LOCATOR_PER_MINUTE="1000000", CUSTODIA_LOG_FILTER="warn")
    proc = subprocess.Popen(
        [BIN, "demo", "--addr", "127.0.0.1:0", "--data-dir", DATA, "--reset", "--people", PEOPLE],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    token = None
    for line in proc.stdout:
        if line.startswith("admin token: "):
            token = line.split(": ", 1)[1].strip()
        if line.startswith("address: "):
            return proc, line.split("//", 1)[1].strip(), token
    sys.exit("the demo stopped before serving")


def get(conn, path, headers):
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    elapsed = (time.perf_counter() - started) * 1000
    if r.status != 200:
        sys.exit(f"{path}: {r.status} {body[:200]!r}")
    return elapsed, body


def post(conn, path, token, body):
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def grow(conn, token):
    """SCALE more people, each with a proposed case under the agreement (as the US officer)."""
    csv = subprocess.run([BIN, "synth", "persons", "--count", str(SCALE), "--seed", "7"],
                         check=True, capture_output=True, text=True).stdout
    lines = csv.splitlines()
    rows = [lines[0]] + ["S" + line[1:] for line in lines[1:]]
    status, body = post(conn, "/api/v1/persons", token, {"agreement_id": "us-sv-cecot", "csv": "\n".join(rows) + "\n"})
    if status not in (200, 201):
        sys.exit(f"import: {status} {body[:300]!r}")
    started, opened = time.perf_counter(), 0
    for line in rows[1:]:
        status, _ = post(conn, "/api/v1/cases", token, {
            "agreement_id": "us-sv-cecot", "person_id": line.split(",", 1)[0], "occurred_at": "2025-06-01T12:00:00Z"})
        opened += status in (200, 201)
    print(f"added {SCALE} people, {opened} cases proposed in {time.perf_counter() - started:.0f} s")


def main():
    proc, hostport, token = start_demo()
    try:
        conn = http.client.HTTPConnection(hostport)
        auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if SCALE:
            users = {u["name"]: u for u in json.load(open(os.path.join(DATA, "demo-users.json")))}
            grow(conn, users["us.officer"]["token"])
        _, body = get(conn, "/api/v1/cases?agreement=us-sv-cecot&state=in_custody&limit=100", auth)
        people = []
        for case in json.loads(body)["items"]:
            _, body = get(conn, f"/api/v1/persons/{case['person_id']}", auth)
            record = json.loads(body)["record"]
            people.append((record["person_id"], plain(record["family_name"].split()[0]), record["birth_date"][:4]))
        kinds = {
            "JSON by identifier": lambda p: (f"/locator?person_id={urllib.parse.quote(p[0])}", {"Accept": "application/json"}),
            "JSON by family name + year": lambda p: (
                f"/locator?family_name={urllib.parse.quote(p[1])}&birth_year={p[2]}", {"Accept": "application/json"}),
            "page with the answer (es)": lambda p: (
                f"/locator?family_name={urllib.parse.quote(p[1])}&birth_year={p[2]}",
                {"Accept": "text/html", "Accept-Language": "es"}),
            "page, empty form": lambda p: ("/locator", {"Accept": "text/html"}),
        }
        print(f"{len(people)} people in custody asked for, {REQUESTS} requests per kind")
        print("| request | p50 ms | p99 ms | max ms | found |")
        print("|---|---:|---:|---:|---:|")
        for name, make in kinds.items():
            times, found = [], 0
            for i in range(REQUESTS):
                path, headers = make(people[i % len(people)])
                elapsed, body = get(conn, path, headers)
                times.append(elapsed)
                found += body.startswith(b"[{") or b"<tbody>" in body
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"| {name} | {statistics.median(times):.2f} | {p99:.2f} | {times[-1]:.2f} | {found}/{REQUESTS} |")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()


if __name__ == "__main__":
    main()
