#!/usr/bin/env python3
"""The staff pages' answer time (issue 14: every page under 50 ms server time on the demo data).

Starts `custodia demo` on loopback, signs in on the web form as the admin (its password from
demo-users.json), then asks for every page REQUESTS times, sequentially over one keep-alive
connection, and prints p50 / p99 / max in ms as measured by the client around each request (the
server's time plus loopback). The pages asked for are those of the tour (README.md): home, the
agreement's overview, waiting for you, the case list, a case, a person's file, the facility's cells,
invoices, an invoice, sustainability, incidents, inspections and the journal's checkpoint.

  python3 bench/pages.py            # BIN=target/release/custodia REQUESTS=200 PEOPLE=2000

The overview of an agreement with 10,000 people in custody (the demo holds about 170) is
bench/overview.py's.
"""
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

BIN = os.environ.get("BIN", "target/release/custodia")
REQUESTS = int(os.environ.get("REQUESTS", "200"))
PEOPLE = os.environ.get("PEOPLE", "2000")
DATA = os.environ.get("DATA", "bench-data/pages-demo")
AGREEMENT = "us-sv-cecot"


def start_demo():
    shutil.rmtree(DATA, ignore_errors=True)
    env = dict(os.environ, CUSTODIA_LOG_FILTER="warn")
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


class Browser:
    """One keep-alive connection that keeps cookies."""

    def __init__(self, hostport):
        self.conn = http.client.HTTPConnection(hostport)
        self.cookies = {}

    def send(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        elapsed = (time.perf_counter() - started) * 1000
        for value in r.headers.get_all("Set-Cookie") or []:
            name, rest = value.split("=", 1)
            self.cookies[name] = rest.split(";", 1)[0]
        return r.status, data, elapsed


def api(browser, token, path):
    status, body, _ = browser.send("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    if status != 200:
        sys.exit(f"{path}: {status} {body[:200]!r}")
    return json.loads(body)


def sign_in(browser, name, password):
    status, body, _ = browser.send("GET", "/")
    csrf = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrf": csrf, "name": name, "password": password})
    status, body, _ = browser.send("POST", "/sign-in", body=form,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        sys.exit(f"sign-in: {status} {body[:200]!r}")


def main():
    proc, hostport, token = start_demo()
    try:
        users = {u["name"]: u for u in json.load(open(os.path.join(DATA, "demo-users.json")))}
        browser = Browser(hostport)
        held = api(browser, token, f"/api/v1/cases?agreement={AGREEMENT}&state=in_custody&limit=1")["items"][0]
        invoices = api(browser, token, f"/api/v1/invoices?agreement={AGREEMENT}")
        invoice = (invoices.get("items") if isinstance(invoices, dict) else invoices)[0]
        sign_in(browser, "admin", users["admin"]["password"])
        pages = [
            ("home", "/"),
            ("overview", f"/agreements/{AGREEMENT}"),
            ("waiting for you", "/waiting"),
            ("cases (200)", f"/cases?agreement={AGREEMENT}"),
            ("a case", f"/cases/{held['id']}"),
            ("a person's file", f"/persons/{held['person_id']}"),
            ("facility cells", f"/agreements/{AGREEMENT}/facilities/cecot"),
            ("invoices", f"/agreements/{AGREEMENT}/invoices"),
            ("an invoice", f"/invoices/{invoice['id']}"),
            ("sustainability", f"/agreements/{AGREEMENT}/sustainability"),
            ("incidents", f"/agreements/{AGREEMENT}/incidents"),
            ("inspections", f"/agreements/{AGREEMENT}/inspections"),
            ("journal checkpoint", "/journal"),
        ]
        print(f"{REQUESTS} requests per page, signed in as admin, demo of {PEOPLE} candidates")
        print("| page | p50 ms | p99 ms | max ms | bytes |")
        print("|---|---:|---:|---:|---:|")
        for name, path in pages:
            times, size = [], 0
            for _ in range(REQUESTS):
                status, body, elapsed = browser.send("GET", path, headers={"Accept-Language": "es"})
                if status != 200:
                    sys.exit(f"{path}: {status} {body[:300]!r}")
                times.append(elapsed)
                size = len(body)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"| {name} | {statistics.median(times):.2f} | {p99:.2f} | {times[-1]:.2f} | {size} |")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()


if __name__ == "__main__":
    main()
