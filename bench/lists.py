#!/usr/bin/env python3
"""Times every list endpoint of a running server: its first page and a deep page (bench/lists.sh).

    python3 bench/lists.py http://127.0.0.1:PORT READER_TOKEN AUDITOR_TOKEN EVENTS AGREEMENTS

Each URL is asked REPEAT times over one keep-alive connection after one warm-up request; the
answer must be 200. Prints a Markdown table: median and slowest time per request (client side,
loopback: server time plus well under a millisecond), the items on the page, the answer's bytes.
The deep page is found, not guessed: the list's last id is found by bisecting on `after`, and the
deep page starts 98 % of the way into the last agreement's cases, 90 % into the persons (every
agreement here has the same sending state, so each lists the whole register's people) and at 90 %
of the journal's size.
"""
from __future__ import annotations

import http.client
import json
import statistics
import sys
import time
import urllib.parse

REPEAT = 21


def main() -> None:
    base, reader, auditor, events, agreements = sys.argv[1:6]
    events, agreements = int(events), int(agreements)
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def get(path: str, token: str) -> tuple[float, bytes]:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = conn.getresponse()
        body = r.read()
        elapsed = time.perf_counter() - started
        if r.status != 200:
            raise SystemExit(f"GET {path}: {r.status} {body[:300]!r}")
        return elapsed, body

    last = f"scale-{agreements - 1}"

    def ids(path: str, token: str) -> tuple[int, int]:
        """The first and last item's id of a list, the last found by bisecting on `after`."""
        first = json.loads(get(f"{path}&limit=1", token)[1])["items"][0]["id"]
        low, high = first, first + 1
        while json.loads(get(f"{path}&limit=1&after={high}", token)[1])["items"]:
            low, high = high, first + 2 * (high - first)
        while high - low > 1:
            mid = (low + high) // 2
            if json.loads(get(f"{path}&limit=1&after={mid}", token)[1])["items"]:
                low = mid
            else:
                high = mid
        return first, high

    def deep(path: str, token: str, share: float) -> int:
        first, end = ids(path, token)
        return first + int(share * (end - first))

    deep_case = deep(f"/api/v1/cases?agreement={last}", reader, 0.98)
    deep_person = deep(f"/api/v1/persons?agreement={last}", reader, 0.9)
    facility = f"site-{agreements - 1}"
    rows = [
        ("cases, first page", f"/api/v1/cases?agreement={last}", reader),
        ("cases, deep page", f"/api/v1/cases?agreement={last}&after={deep_case}", reader),
        ("cases in custody, first page", f"/api/v1/cases?agreement={last}&state=in_custody", reader),
        ("persons, first page", f"/api/v1/persons?agreement={last}", reader),
        ("persons, deep page", f"/api/v1/persons?agreement={last}&after={deep_person}", reader),
        ("journal events, first page", "/api/v1/journal/events?from=0&to=100", auditor),
        ("journal events, deep page", f"/api/v1/journal/events?from={int(0.9 * events)}&to={int(0.9 * events) + 100}", auditor),
        ("cells of a facility", f"/api/v1/facilities/{facility}/cells?agreement={last}", reader),
        ("facilities", f"/api/v1/facilities?agreement={last}", reader),
        ("holds", f"/api/v1/holds?agreement={last}", reader),
        ("alerts", f"/api/v1/alerts?agreement={last}", reader),
        ("legal-basis report", f"/api/v1/reports/legal-basis?agreement={last}", reader),
        ("incidents", f"/api/v1/incidents?agreement={last}", reader),
        ("inspections", f"/api/v1/inspections?agreement={last}", reader),
        ("contacts", f"/api/v1/contacts?agreement={last}", reader),
        ("complaints", f"/api/v1/complaints?agreement={last}", reader),
        ("records of care", f"/api/v1/care?agreement={last}", reader),
        ("invoices", f"/api/v1/invoices?agreement={last}", reader),
        ("agreements", "/api/v1/agreements", reader),
    ]
    print("| list | median ms | slowest ms | items | bytes |")
    print("|---|---:|---:|---:|---:|")
    for name, path, token in rows:
        get(path, token)
        times = []
        for _ in range(REPEAT):
            elapsed, body = get(path, token)
            times.append(elapsed * 1000)
        data = json.loads(body)
        items = data.get("items", data) if isinstance(data, dict) else data
        count = len(items) if isinstance(items, list) else "-"
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} | {count} | {len(body)} |", flush=True)


if __name__ == "__main__":
    main()
