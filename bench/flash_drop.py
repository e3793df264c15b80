"""Flash-drop benchmark (`make bench-drop`): 2,000 logged-in buyers race for 500 units of one
variant through the real checkout ("Buy now", saved address, saved test card), against a
trivial view (/livez) on the same server and a single-row conditional UPDATE in the same
PostgreSQL, all in the same run.

It creates a PostgreSQL database of its own (``plaza_bench_drop`` by default, dropped and
created again each run, never ``plaza``), migrates it, and builds in one ``manage.py shell``:
a shop, the drop (one variant, 500 units), a warm-up product, a shipping method, and every
buyer with a saved address, a saved test card and a logged-in session (no login requests;
the session in the database and, with Redis, in the cache, where a login leaves it).
Plaza then runs as two uvicorn processes, each on a loopback port of its own (the buyers'
connections shared out evenly, as a load balancer would), each with a psycopg connection pool of ``DB_POOL_MAX_SIZE`` connections (16 unless the environment says otherwise;
2 x 16 stays well under PostgreSQL's default max_connections of 100) and Plaza's own number of
requests at once (``PLAZA_REQUESTS_AT_ONCE``: 4 unless the environment says otherwise), with Redis (a database of
its own, number 15, emptied first) when ``redis-cli ping`` answers on 127.0.0.1:6379. No Celery
worker or beat runs: the orders' e-mails stay due in the database (``Order.mails_due``), as they
would until the periodic sender's next run.

Each buyer does POST /api/v1/checkout/quote (which holds the unit for the buyer), then, unless
the quote already says the item is sold out, POST /api/v1/checkout with an Idempotency-Key,
once, over keep-alive connections with a bounded number in flight; the run stops after every
buyer or a time limit. A buyer is "refused for stock" when the quote answers 200 with a problem
(the hold failed), when the quote answers 409 ``checkout_stale`` (sold out, known from the
cache), or when the payment answers 409 ``checkout_stale``. The truth (orders, units allocated,
units still held, stock) is read from the database afterwards:

- oversold: units promised beyond the 500 (or any stock row promising more than it has);
- undersold: units left unsold at the end (on hand minus allocated: units still held by a
  reservation count as unsold) although some buyer was refused for stock.

"Checkout latency" is a buyer's quote + pay, for the buyers who got an order. Because the 2 cores
may be shared, the run also reads from /proc the CPU time the drop and the trivial phase cost
(the server's processes, the PostgreSQL backends of the run's database, Redis, this load
generator), per order and per trivial request. The last line:

    drop: orders_per_s=<n> p99_ms=<n> oversold=<n> undersold=<n> ratio_vs_trivial=<r> ratio_vs_row=<r>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import string
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    CpuMeter,
    bench_env,
    database_pool,
    exchange,
    fresh_database,
    load_spread,
    manage,
    percentile,
    port_of,
    raw_request,
    redis_cli,
    redis_database_url,
    serve_people,
    serve_processes,
    server_version,
    trivial_phase,
)

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DB = 15
WARM_BUYERS = 64
POOL_MAX_SIZE = 16  # per uvicorn worker: 2 x 16 of PostgreSQL's 100 connections
BUYER_PREFIX = "drop-buyer-"
WARM_PREFIX = "warm-buyer-"

SETUP = """
import json
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from plaza.accounts.models import Address, User
from plaza.accounts.services import shop_create
from plaza.catalog.models import ProductStatus
from plaza.catalog.services import VariantInput, product_create
from plaza.checkout.services import shipping_method_create
from plaza.inventory.services import stock_bulk_set
from plaza.payments.models import PaymentMethod
from plaza.payments.services import card_tokenize

BUYERS, UNITS, WARM = {buyers}, {units}, {warm}
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
backend = settings.AUTHENTICATION_BACKENDS[0]

with transaction.atomic():
    owner = User.objects.create_user(email="owner@drop.bench.localhost", password=None)
    shop = shop_create(owner=owner, name="Drop Shop", slug="drop-shop", currency="USD")
    drop = product_create(
        shop=shop, title="Limited sneaker", status=ProductStatus.ACTIVE,
        variants=[VariantInput(sku="DROP-1", price=12000)],
    )
    warm = product_create(
        shop=shop, title="Warm-up socks", status=ProductStatus.ACTIVE,
        variants=[VariantInput(sku="WARM-1", price=900)],
    )
    drop_variant, warm_variant = drop.variants.get(), warm.variants.get()
    stock_bulk_set(shop=shop, quantities={{drop_variant.pk: UNITS, warm_variant.pk: 100 * WARM}})
    shipping_method_create(
        shop=shop, data={{"name": "Standard", "price": 500, "delivery_days": "2-4"}}
    )

    emails = [f"{buyer}{{i}}@drop.bench.localhost" for i in range(BUYERS)]
    emails += [f"{warm_buyer}{{i}}@drop.bench.localhost" for i in range(WARM)]
    User.objects.bulk_create(User(email=e, password="!bench-no-login") for e in emails)
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    Address.objects.bulk_create(
        Address(user=u, full_name=f"Buyer {{u.pk}}", line1="1 Drop Street", city="Springfield",
                postal_code="12345", country="US", is_default=True)
        for u in users
    )
    token = card_tokenize(number="4242 4242 4242 4242", exp_month=12, exp_year=2030, cvc="123")
    PaymentMethod.objects.bulk_create(
        PaymentMethod(user=u, provider="test", token=token, brand="visa", last4="4242",
                      exp_month=12, exp_year=2030, is_default=True)
        for u in users
    )
    sessions, logged_in = [], {{}}
    for u in users:
        store = SessionStore()
        data = {{
            SESSION_KEY: str(u.pk), BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: u.get_session_auth_hash(),
        }}
        sessions.append(store.create_model_instance(data))
        if hasattr(store, "cache_key_prefix"):  # sessions kept in the cache too, as with Redis
            logged_in[store.cache_key_prefix + sessions[-1].session_key] = data
    Session.objects.bulk_create(sessions)
    # Where a login leaves a session: in the cache as well as in the database.
    caches[settings.SESSION_CACHE_ALIAS].set_many(logged_in, timeout=settings.SESSION_COOKIE_AGE)

addresses = dict(Address.objects.filter(user__in=users).values_list("user_id", "pk"))
cards = dict(PaymentMethod.objects.filter(user__in=users).values_list("user_id", "pk"))
people = [
    {{"email": u.email, "session": s.session_key, "address_id": addresses[u.pk],
      "payment_method_id": cards[u.pk]}}
    for u, s in zip(users, sessions, strict=True)
]
print(json.dumps({{
    "variant_id": drop_variant.pk, "warm_variant_id": warm_variant.pk,
    "buyers": [p for p in people if p["email"].startswith("{buyer}")],
    "warm": [p for p in people if p["email"].startswith("{warm_buyer}")],
}}))
"""

TRUTH = """
import json
from django.db.models import Count, F, Sum
from plaza.checkout.models import Checkout, CheckoutPart
from plaza.inventory.models import Reservation, Stock
from plaza.orders.models import Order, OrderLine
from plaza.payments.models import Payment

variant_id = {variant_id}
stock = Stock.objects.filter(variant_id=variant_id).aggregate(
    quantity=Sum("quantity"), allocated=Sum("allocated"), reserved=Sum("reserved"))
drop_orders = Order.objects.filter(
    pk__in=OrderLine.objects.filter(variant_id=variant_id).values("order_id"))
checkouts = Checkout.objects.filter(buyer__email__startswith="{buyer}")
holds = Reservation.objects.filter(variant_id=variant_id)
holders = [int(o.split(":")[1]) for o in holds.values_list("owner", flat=True) if o.startswith("user:")]
buyers_with_orders = set(drop_orders.values_list("buyer_id", flat=True))
payments = Payment.objects.filter(
    pk__in=CheckoutPart.objects.filter(checkout__in=checkouts).values("payment_id"))
print(json.dumps({{
    "quantity": stock["quantity"] or 0,
    "allocated": stock["allocated"] or 0,
    "reserved": stock["reserved"] or 0,
    "holds": holds.count(),
    "units_held": holds.aggregate(n=Sum("quantity"))["n"] or 0,
    "holders_without_order": len([u for u in holders if u not in buyers_with_orders]),
    "units_ordered": OrderLine.objects.filter(variant_id=variant_id).aggregate(
        n=Sum("quantity"))["n"] or 0,
    "orders": drop_orders.count(),
    "mails_due": drop_orders.filter(mails_due=True).count(),
    "orders_by_status": dict(drop_orders.values_list("status").annotate(n=Count("pk"))),
    "buyers_with_orders": drop_orders.values("buyer").distinct().count(),
    "checkouts_by_status": dict(checkouts.values_list("status").annotate(n=Count("pk"))),
    "payments_by_status": dict(payments.values_list("status").annotate(n=Count("pk"))),
    "rows_over_allocated": Stock.objects.filter(allocated__gt=F("quantity")).count(),
}}))
"""


# --- the database and Redis of the run --------------------------------------------------------


def redis_url(disabled: bool) -> str:
    return redis_database_url(REDIS_DB, disabled=disabled)


def redis_flush(url: str) -> None:
    """Empty the benchmark's own Redis database (sessions, sold-out flags, caches)."""
    if url:
        redis_cli(REDIS_DB, "flushdb")


def database_counters(database_url: str) -> Counter:
    """Commits, rollbacks and sessions opened so far in the database (pg_stat_database)."""
    time.sleep(1.5)  # backends report their counters within a second of going idle
    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database"
                " WHERE datname = current_database()"
            ).fetchone()
    except psycopg.OperationalError:  # e.g. no connection slot left: the figures say why
        return Counter()
    return Counter(transactions=row[0] + row[1], rollbacks=row[1], sessions=row[2])


# --- the buyers -------------------------------------------------------------------------------


@dataclass
class Drop:
    started: float = 0.0
    seconds: float = 0.0
    last_order_at: float = 0.0
    orders: int = 0
    buyers_done: int = 0
    buy_ms: list[float] = field(default_factory=list)  # quote + pay, buyers with an order
    quote_ms: list[float] = field(default_factory=list)  # every quote answered
    pay_ms: list[float] = field(default_factory=list)  # every pay answered
    refused_ms: list[float] = field(default_factory=list)  # quote (+ pay) of refused buyers
    refused: Counter = field(default_factory=Counter)  # refused for stock, by where
    errors: Counter = field(default_factory=Counter)  # anything else, by kind
    statuses: Counter = field(default_factory=Counter)

    @property
    def refused_for_stock(self) -> int:
        return sum(self.refused.values())

    @property
    def selling_seconds(self) -> float:
        return (self.last_order_at - self.started) if self.orders else self.seconds

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.selling_seconds if self.selling_seconds else 0.0


def csrf_token() -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=32))


async def _buy(conn, port: int, variant_id: int, person: dict, drop: Drop, label: str) -> None:
    """One buyer: quote, then pay unless the quote says sold out. Records into `drop`."""
    reader, writer = conn
    token = csrf_token()
    headers = {
        "Cookie": f"sessionid={person['session']}; csrftoken={token}",
        "X-CSRFToken": token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    lines = [{"variant_id": variant_id, "quantity": 1}]
    started = time.perf_counter()
    body = json.dumps({"lines": lines}).encode()
    status, answer = await exchange(
        reader,
        writer,
        raw_request("POST", "/api/v1/checkout/quote", port=port, headers=headers, body=body),
    )
    quoted = time.perf_counter()
    drop.statuses[f"quote {status}"] += 1
    code = _code(answer)
    if status in (200, 409):
        drop.quote_ms.append((quoted - started) * 1000)
    if status == 409 and code == "checkout_stale":
        # "Sold out" known from the cache, without the database: refused for stock.
        drop.refused[f"checkout_stale at quote ({_changes(answer)})"] += 1
        drop.refused_ms.append((quoted - started) * 1000)
        return
    if status != 200:
        drop.errors[f"quote HTTP {status} {code}".strip()] += 1
        return
    quote = json.loads(answer)
    if quote["problems"]:
        # The hold failed: the quote (200) names the line that cannot be bought.
        drop.refused["sold out in the quote (200)"] += 1
        drop.refused_ms.append((quoted - started) * 1000)
        return
    body = json.dumps(
        {
            "source": "buy_now",
            "lines": lines,
            "seal": quote["seal"],
            "address_id": person["address_id"],
            "payment_method_id": person["payment_method_id"],
        }
    ).encode()
    pay_headers = {**headers, "Idempotency-Key": f"{label}-{person['session']}"}
    status, answer = await exchange(
        reader,
        writer,
        raw_request("POST", "/api/v1/checkout", port=port, headers=pay_headers, body=body),
    )
    paid = time.perf_counter()
    drop.statuses[f"pay {status}"] += 1
    drop.pay_ms.append((paid - quoted) * 1000)
    code = _code(answer)
    if status == 201 and json.loads(answer).get("status") == "completed":
        drop.orders += 1
        drop.last_order_at = paid
        drop.buy_ms.append((paid - started) * 1000)
    elif status == 409 and code == "checkout_stale":
        drop.refused[f"checkout_stale at pay ({_changes(answer)})"] += 1
        drop.refused_ms.append((paid - started) * 1000)
    elif status == 201:
        drop.errors[f"pay 201 {json.loads(answer).get('status')}"] += 1
    else:
        drop.errors[f"pay HTTP {status} {code}".strip()] += 1


def _code(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("code") or "")
    except (ValueError, AttributeError):
        return ""


def _changes(answer: bytes) -> str:
    """The changes a 409 checkout_stale lists, shortened, to tell the refusals apart."""
    try:
        changes = json.loads(answer).get("changes") or []
    except (ValueError, AttributeError):
        return "?"
    return "; ".join(str(change)[:40] for change in changes) or "no changes"


async def _drive(
    bases: list[str],
    variant_id: int,
    people: list[dict],
    *,
    concurrency: int,
    seconds: float,
    label: str,
) -> Drop:
    ports = [port_of(base) for base in bases]
    drop = Drop()

    def done() -> None:
        drop.buyers_done += 1

    drop.started = time.perf_counter()
    drop.seconds = await serve_people(
        people,
        # Requests name the first server in their Host header; any of them serves them.
        lambda conn, person: _buy(conn, ports[0], variant_id, person, drop, label),
        ports=ports,
        concurrency=concurrency,
        seconds=seconds,
        errors=drop.errors,
        done=done,
    )
    return drop


def drive(bases: list[str], variant_id: int, people: list[dict], **kwargs) -> Drop:
    return asyncio.run(_drive(bases, variant_id, people, **kwargs))


# --- the single-row ceiling -------------------------------------------------------------------


def row_update_rate(database_url: str, *, total: int, connections: int, seconds: float) -> float:
    """Conditional decrements of one row per second: `connections` autocommit connections share
    `total` statements (or stop at `seconds`), all on the same row, as buyers share a stock row."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_row")
        conn.execute("CREATE TABLE bench_row (id integer PRIMARY KEY, n integer NOT NULL)")
        conn.execute("INSERT INTO bench_row VALUES (1, %s)", [total])
    done = [0] * connections
    deadline = time.monotonic() + seconds
    share = math.ceil(total / connections)

    def worker(i: int) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for _ in range(share):
                if time.monotonic() > deadline:
                    break
                cursor = conn.execute("UPDATE bench_row SET n = n - 1 WHERE id = 1 AND n >= 1")
                done[i] += cursor.rowcount

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_row")
    return sum(done) / elapsed if elapsed else 0.0


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64, help="buyers in flight")
    parser.add_argument("--seconds", type=float, default=180.0, help="time limit of the drop")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--database", default="plaza_bench_drop", help="dropped and created")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", PG_ADMIN_URL))
    parser.add_argument("--no-redis", action="store_true", help="even when Redis answers")
    parser.add_argument("--trivial-requests", type=int, default=4000)
    parser.add_argument("--row-updates", type=int, default=5000)
    args = parser.parse_args()

    database_url = fresh_database(args.database, args.admin_url)
    redis = redis_url(args.no_redis)
    redis_flush(redis)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-drop-") as folder:
        # A pool per worker process, shared by its request threads (the app's setting for load);
        # the environment may say otherwise, and "0" or "" runs without a pool.
        env = bench_env(Path(folder), DATABASE_URL=database_url, REDIS_URL=redis)
        connections = database_pool(env, workers=args.workers, default_size=POOL_MAX_SIZE)
        pool = int(env.get("DB_POOL_MAX_SIZE") or 0)
        at_once = env.get("PLAZA_REQUESTS_AT_ONCE", str(min(4, pool) if pool > 0 else 4))
        connections += f", PLAZA_REQUESTS_AT_ONCE={at_once}"
        backends = f"PostgreSQL {server_version(database_url)}" + (" + Redis" if redis else "")
        print(
            f"Preparing Plaza on {backends} (database {args.database}) in {folder} ...", flush=True
        )
        manage("migrate", "--noinput", "-v0", env=env)
        setup = SETUP.format(
            buyers=args.buyers,
            units=args.units,
            warm=WARM_BUYERS,
            buyer=BUYER_PREFIX,
            warm_buyer=WARM_PREFIX,
        )
        world = json.loads(manage("shell", "-c", setup, env=env).strip().splitlines()[-1])
        print(
            f"{len(world['buyers'])} buyers for {args.units} units; {args.workers} uvicorn processes; "
            f"{args.concurrency} buyers in flight; limit {args.seconds:.0f} s; "
            f"{connections}",
            flush=True,
        )
        # The server's output goes to a file, summarised at the end (the sold-out answers most
        # buyers get are expected and not logged; anything else is).
        server_log = Path(folder) / "server.log"
        with (
            server_log.open("w") as log,
            serve_processes(env=env, processes=args.workers, stderr=log) as bases,
        ):
            # Warm up: both processes, their database connections and the whole checkout path,
            # on another product, so the drop starts hot.
            load_spread([f"{base}/livez" for base in bases], total=200, concurrency=8, seconds=20)
            warm = drive(
                bases,
                world["warm_variant_id"],
                world["warm"],
                concurrency=8,
                seconds=60,
                label="warm",
            )
            if warm.errors or warm.orders != len(world["warm"]):
                print(f"warm-up: {warm.orders} orders, errors {dict(warm.errors)}", flush=True)
            before = database_counters(database_url)
            with CpuMeter(args.database) as drop_cpu:
                drop = drive(
                    bases,
                    world["variant_id"],
                    world["buyers"],
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                    label="drop",
                )
            during = database_counters(database_url) - before
            trivial, trivial_cpu = trivial_phase(
                bases, args.database, total=args.trivial_requests, concurrency=args.concurrency
            )
        server_lines = Counter(
            line.split(":", 1)[0] + ":" if line.startswith(("Conflict:", "Not Found:")) else line
            for line in server_log.read_text().splitlines()
        )
        truth = json.loads(
            manage(
                "shell",
                "-c",
                TRUTH.format(variant_id=world["variant_id"], buyer=BUYER_PREFIX),
                env=env,
            )
            .strip()
            .splitlines()[-1]
        )
    row_1 = row_update_rate(database_url, total=args.row_updates, connections=1, seconds=30)
    row_4 = row_update_rate(database_url, total=args.row_updates, connections=4, seconds=30)
    row = max(row_1, row_4)

    left = truth["quantity"] - truth["allocated"]
    oversold = max(0, truth["allocated"] - args.units, truth["units_ordered"] - args.units)
    oversold += truth["rows_over_allocated"]
    undersold = max(0, left) if drop.refused_for_stock else 0
    ratio_trivial = drop.orders_per_s / trivial.per_second if trivial.per_second else float("nan")
    ratio_row = drop.orders_per_s / row if row else float("nan")

    def ms(values: list[float]) -> str:
        return f"{percentile(values, 50):7.1f} / {percentile(values, 99):7.1f} ms"

    print()
    print(
        f"{'buyers served':<32} {drop.buyers_done} of {len(world['buyers'])} in {drop.seconds:.1f} s "
        f"({drop.buyers_done / drop.seconds:.1f} buyers/s)"
    )
    print(
        f"{'orders (HTTP)':<32} {drop.orders}, the last at {drop.selling_seconds:.1f} s "
        f"-> {drop.orders_per_s:.1f} orders/s"
    )
    print(f"{'checkout quote+pay p50 / p99':<32} {ms(drop.buy_ms)}  (buyers with an order)")
    print(f"{'  quote alone p50 / p99':<32} {ms(drop.quote_ms)}  ({len(drop.quote_ms)} quotes)")
    print(f"{'  pay alone p50 / p99':<32} {ms(drop.pay_ms)}  ({len(drop.pay_ms)} payments)")
    print(f"{'  refused buyers p50 / p99':<32} {ms(drop.refused_ms)}")
    print(f"{'refused for stock':<32} {drop.refused_for_stock} {dict(drop.refused)}")
    print(f"{'errors':<32} {sum(drop.errors.values())} {dict(drop.errors)}")
    print(f"{'HTTP statuses':<32} {dict(sorted(drop.statuses.items()))}")
    print(
        f"{'database: orders / units':<32} {truth['orders']} orders {truth['orders_by_status']}, "
        f"{truth['units_ordered']} units ordered, {truth['buyers_with_orders']} buyers"
    )
    print(
        f"{'database: stock':<32} quantity {truth['quantity']}, allocated {truth['allocated']}, "
        f"left {left}; rows over-allocated {truth['rows_over_allocated']}"
    )
    print(
        f"{'database: holds of the drop':<32} {truth['holds']} reservations, "
        f"{truth['units_held']} units (stock.reserved {truth['reserved']}), "
        f"{truth['holders_without_order']} of them by buyers without an order"
    )
    print(f"{'database: checkouts':<32} {truth['checkouts_by_status']}")
    print(f"{'database: payments':<32} {truth['payments_by_status']}")
    per_buyer = max(drop.buyers_done, 1)
    print(
        f"{'database: during the drop':<32} {during['transactions']} transactions "
        f"({during['rollbacks']} rolled back), {during['sessions']} connections opened; "
        f"per buyer {during['transactions'] / per_buyer:.1f} and "
        f"{during['sessions'] / per_buyer:.1f}"
    )
    print(f"{'order e-mails due':<32} {truth['mails_due']} orders (no periodic sender runs)")
    print(f"{'oversold / undersold':<32} {oversold} / {undersold}")
    print(trivial.line("trivial /livez"))
    print(f"{'CPU per order':<32} {drop_cpu.per(drop.orders)} (every buyer's requests included)")
    print(f"{'CPU per trivial request':<32} {trivial_cpu.per(trivial.ok)}")
    cpu_ratio = (trivial_cpu.total / max(trivial.ok, 1)) / (drop_cpu.total / max(drop.orders, 1))
    print(f"{'CPU-bound ratio':<32} {cpu_ratio:.2f} (CPU of a trivial request / of an order)")
    print(f"{'row UPDATE (1 / 4 connections)':<32} {row_1:.0f} / {row_4:.0f} per s")
    print(f"{'backends':<32} {backends}")
    shown = [f"{n} x {line[:160]}" for line, n in server_lines.most_common(8)]
    print(
        f"{'server log':<32} {sum(server_lines.values())} lines"
        + "".join(f"\n    {s}" for s in shown)
    )
    print(
        f"drop: orders_per_s={drop.orders_per_s:.1f} p99_ms={percentile(drop.buy_ms, 99):.1f} "
        f"oversold={oversold} undersold={undersold} ratio_vs_trivial={ratio_trivial:.2f} "
        f"ratio_vs_row={ratio_row:.3f}"
    )
    if oversold or undersold or drop.errors or truth["orders"] != drop.orders:
        sys.exit(1)


if __name__ == "__main__":
    main()
