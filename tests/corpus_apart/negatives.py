"""Engineering and business text full of numbers that are not personal data.

A detector that flags any of these holds back work that could have gone to the cloud.
Every maker returns (variant, text); no person, address or contact detail appears.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable

from stdnum import luhn


def _d(rng: random.Random, n: int) -> str:
    return str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))


def _ts(rng: random.Random) -> str:
    return (
        f"20{rng.randrange(18, 27)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
        f"{rng.randrange(1000):03d}Z"
    )


def version(rng: random.Random) -> str:
    a, b, c = rng.randrange(0, 12), rng.randrange(0, 40), rng.randrange(0, 200)
    return rng.choice(
        [
            f"Bumped requests from {a}.{b}.{c} to {a}.{b}.{c + 1} and pinned urllib3<{a + 1}.",
            f'[assembly: AssemblyVersion("{a}.{b}.{c}.{rng.randrange(65535)}")]',
            f"Microsoft .NET Framework 4.0.30319.{rng.randrange(1, 42000)}",
            f"Windows 10 build 10.0.{rng.randrange(10240, 22631)}.{rng.randrange(1, 4000)}",
            f"Upgrade the cluster to v1.{rng.randrange(20, 31)}.{rng.randrange(0, 15)}-gke.{rng.randrange(100, 2000)}",
            f"ProductVersion: {a}.{b}.{rng.randrange(1000, 9999)}.{rng.randrange(1000, 9999)}",
            f"chromium {rng.randrange(100, 130)}.0.{rng.randrange(5000, 6800)}.{rng.randrange(0, 200)} crashes on start",
        ]
    )


def uuid_text(rng: random.Random) -> str:
    u = uuid.UUID(int=rng.getrandbits(128), version=4)
    return rng.choice(
        [
            f"request_id={u} status=200 latency_ms={rng.randrange(5, 900)}",
            f'{{"trace_id": "{u}", "span": "{u.hex[:16]}"}}',
            f"Deleted volume {u} after the migration.",
        ]
    )


def git_hash(rng: random.Random) -> str:
    h = hashlib.sha1(rng.randbytes(16)).hexdigest()
    return rng.choice(
        [
            f"Reverted {h[:7]} because it broke the arm64 build.",
            f"commit {h}\nMerge: {h[:7]} {hashlib.sha1(h.encode()).hexdigest()[:7]}",
            f"sha256:{hashlib.sha256(h.encode()).hexdigest()}",
        ]
    )


def timestamp(rng: random.Random) -> str:
    ms = rng.randrange(1_500_000_000_000, 1_800_000_000_000)
    return rng.choice(
        [
            f"{_ts(rng)} WARN worker-{rng.randrange(1, 16)} queue depth {rng.randrange(100, 9000)}",
            f'{{"ts": {ms}, "event": "flush", "bytes": {rng.randrange(10**3, 10**7)}}}',
            f"created_at={ms // 1000} updated_at={ms // 1000 + rng.randrange(1, 999)}",
            f"[{rng.randrange(1, 99999)}.{rng.randrange(999999):06d}] usb 1-1: new high-speed USB device number {rng.randrange(2, 20)}",
        ]
    )


def order_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Order #{_d(rng, 9)} shipped in {rng.randrange(2, 6)} boxes.",
            f"PO-{rng.randrange(2019, 2027)}-{rng.randrange(10**5):05d} approved by procurement.",
            f"RMA {_d(rng, 8)} received; replacement unit dispatched.",
            f"Case {_d(rng, 8)} closed: duplicate of {_d(rng, 8)}.",
        ]
    )


def _isbn13(rng: random.Random) -> str:
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    check = (10 - sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(body)) % 10) % 10
    return body + str(check)


def isbn(rng: random.Random) -> str:
    code = _isbn13(rng)
    return rng.choice(
        [
            f"ISBN {code}",
            f"ISBN-13: {code[:3]}-{code[3]}-{code[4:8]}-{code[8:12]}-{code[12]}",
            f"Reading list: Designing Data-Intensive Applications (ISBN {code}), 2nd printing.",
        ]
    )


def snmp_oid(rng: random.Random) -> str:
    oid = f"1.3.6.1.4.1.{rng.randrange(2000, 60000)}.{rng.randrange(1, 20)}.{rng.randrange(1, 9)}.{rng.randrange(0, 4)}"
    return rng.choice(
        [
            f"snmpget -v2c -c public switch01 {oid}",
            f"OID {oid} (ifHCInOctets) returned Counter64: {_d(rng, 11)}",
            f"iso.3.6.1.2.1.2.2.1.10.{rng.randrange(1, 48)} = Counter32: {_d(rng, 9)}",
        ]
    )


def price(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Total: ${rng.randrange(1, 99)},{rng.randrange(1000):03d}.{rng.randrange(100):02d} (incl. VAT)",
            f"The enterprise tier is €{rng.randrange(10, 99)},{rng.randrange(1000):03d} per year, billed annually.",
            f"Revenue grew to {rng.randrange(10, 999)}.{rng.randrange(10)}M USD, up {rng.randrange(2, 40)}% YoY.",
            f"Unit price 0.{rng.randrange(1000):04d} USD x {rng.randrange(10**4, 10**7)} requests",
        ]
    )


def coordinates(rng: random.Random) -> str:
    lat, lon = rng.uniform(-60, 70), rng.uniform(-170, 170)
    return rng.choice(
        [
            f"Warehouse geofence centre: {lat:.6f}, {lon:.6f}, radius 250 m",
            f'{{"type": "Point", "coordinates": [{lon:.5f}, {lat:.5f}]}}',
            f"POINT({lon:.4f} {lat:.4f})",
        ]
    )


def http_status(rng: random.Random) -> str:
    code, reason = rng.choice(
        [
            (200, "OK"),
            (301, "Moved Permanently"),
            (404, "Not Found"),
            (503, "Service Unavailable"),
            (429, "Too Many Requests"),
        ]
    )
    return rng.choice(
        [
            f"HTTP/1.1 {code} {reason}\nContent-Length: {rng.randrange(0, 99999)}\nX-Request-Id: {_d(rng, 10)}",
            f"upstream returned {code} after {rng.randrange(10, 30000)} ms (attempt {rng.randrange(1, 4)})",
        ]
    )


def build_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Build #{rng.randrange(1000, 99999)} passed in {rng.randrange(3, 59)}m{rng.randrange(60)}s",
            f"Pipeline {_d(rng, 10)} failed at stage test (job {_d(rng, 10)})",
            f"build 2024{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}.{rng.randrange(1, 20)} deployed to staging",
        ]
    )


def invoice_total(rng: random.Random) -> str:
    lines = [
        f"{i + 1}. Compute hours x{rng.randrange(10, 9999)}  {rng.randrange(10, 9999)}.{rng.randrange(100):02d}"
        for i in range(rng.randrange(2, 5))
    ]
    return (
        f"INVOICE INV-{rng.randrange(2020, 2027)}-{rng.randrange(1, 99999):05d}\n"
        + "\n".join(lines)
        + f"\nTOTAL {rng.randrange(1000, 999999)}.{rng.randrange(100):02d} EUR"
    )


def private_ip(rng: random.Random) -> str:
    return rng.choice(
        [
            f"upstream backend {{ server 10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}:8080; }}",
            f"listen 127.0.0.1:{rng.randrange(1024, 65535)}",
            f"docker0 inet 172.17.0.1/16, container at 172.17.0.{rng.randrange(2, 255)}",
            f"default via 192.168.{rng.randrange(256)}.1 dev eth0",
            "Bind to [::1]:5432 only; no public listener.",
        ]
    )


def phone_words(rng: random.Random) -> str:
    """The words people use for phones, in engineering senses, next to numbers in no phone shape."""
    return rng.choice(
        [
            f"The ring buffer holds {rng.randrange(2, 64) * 65536:,} entries per core.",
            f"We expect to reach {rng.randrange(2, 90) * 100_000:,} requests per second by Q4.",
            f"Cell B{rng.randrange(2, 999)} holds {rng.randrange(10, 9999)}.{rng.randrange(100):02d}",
            f"call stack depth exceeded {rng.randrange(1000, 99999)} frames",
            f"Mobile build {rng.randrange(1, 9)}.{rng.randrange(0, 30)}.{rng.randrange(0, 9)} ({rng.randrange(1000, 9999)}) is live on both stores.",
            f"fax driver v{rng.randrange(1, 9)}.{rng.randrange(0, 30)} removed in release {rng.randrange(2019, 2026)}.{rng.randrange(1, 12)}",
        ]
    )


def long_id(rng: random.Random) -> str:
    """16-digit identifiers that fail the card check digit (shipment and transaction ids)."""
    while True:
        n = _d(rng, 16)
        if not luhn.is_valid(n):
            break
    return rng.choice(
        [f"Shipment {n} left the hub.", f"txn_id={n} amount=1200 currency=EUR", f"ledger entry {n}"]
    )


def metrics(rng: random.Random) -> str:
    return "\n".join(
        f'http_request_duration_seconds_bucket{{le="{le}"}} {rng.randrange(10**4, 10**9)}'
        for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "+Inf")
    )


def csv_table(rng: random.Random) -> str:
    rows = [
        f"{rng.randrange(2015, 2026)}-{rng.randrange(1, 13):02d},{rng.randrange(10**5, 10**8)},{rng.uniform(0, 100):.2f},{rng.randrange(10**6, 10**10)}"
        for _ in range(rng.randrange(3, 8))
    ]
    return "month,units,margin_pct,revenue_cents\n" + "\n".join(rows)


def memory_dump(rng: random.Random) -> str:
    frames = [
        f"  #{i} 0x{rng.getrandbits(48):012x} in worker_loop () at src/worker.c:{rng.randrange(10, 999)}"
        for i in range(rng.randrange(2, 6))
    ]
    return f"Segmentation fault (core dumped), pid {rng.randrange(1000, 99999)}\n" + "\n".join(
        frames
    )


def k8s_yaml(rng: random.Random) -> str:
    return (
        f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  resourceVersion: "{_d(rng, 9)}"\n'
        f"spec:\n  replicas: {rng.randrange(1, 12)}\n  template:\n    spec:\n      containers:\n"
        f"        - image: registry.local/api:{rng.randrange(1, 9)}.{rng.randrange(0, 30)}.{rng.randrange(0, 9)}\n"
        f"          resources: {{limits: {{memory: {rng.randrange(128, 4096)}Mi}}}}"
    )


def sql_query(rng: random.Random) -> str:
    return (
        f"SELECT order_id, SUM(amount_cents) FROM orders WHERE created_at > '{_ts(rng)[:10]}' "
        f"AND warehouse_id IN ({rng.randrange(1, 99)}, {rng.randrange(100, 999)}) GROUP BY 1 LIMIT {rng.randrange(10, 5000)};"
    )


def business_prose(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Q{rng.randrange(1, 5)} churn fell to {rng.uniform(1, 9):.1f}% across {rng.randrange(1000, 99999):,} accounts; NPS rose {rng.randrange(1, 20)} points.",
            f"The {rng.randrange(2, 40)}-node cluster served {rng.randrange(10, 900)} TB last month at {rng.uniform(90, 99.99):.2f}% availability.",
            f"Ticket volume: {rng.randrange(100, 9999)} opened, {rng.randrange(100, 9999)} closed, median time to resolve {rng.randrange(1, 72)}h.",
            f"Please review the attached architecture diagram before the {rng.randrange(1, 12)}pm sync.",
        ]
    )


NEGATIVES: dict[str, Callable[[random.Random], str]] = {
    "version": version,
    "uuid": uuid_text,
    "git_hash": git_hash,
    "timestamp": timestamp,
    "order_number": order_number,
    "isbn": isbn,
    "snmp_oid": snmp_oid,
    "price": price,
    "coordinates": coordinates,
    "http_status": http_status,
    "build_number": build_number,
    "invoice_total": invoice_total,
    "private_ip": private_ip,
    "phone_words": phone_words,
    "long_id": long_id,
    "metrics": metrics,
    "csv_table": csv_table,
    "memory_dump": memory_dump,
    "k8s_yaml": k8s_yaml,
    "sql_query": sql_query,
    "business_prose": business_prose,
}
