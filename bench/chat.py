"""Chat benchmark (`make bench-chat`): shoppers write to a shop's web chat and the shopping bot
answers inside the same HTTP request; messages per second and the latency from sending a message
to the answer that carries the bot's stored reply, against a trivial view (/livez) on the same
server with the same concurrency, in the same run.

It creates a PostgreSQL database of its own (``plaza_bench_chat`` by default, dropped and created
again each run, never ``plaza``), migrates it and seeds the demo (``manage.py seed_demo``: the shop
``kalye-kicks`` with its catalog, sizes, stock, shipping methods, and its inbox settings and FAQ,
bot on). Plaza then runs as two uvicorn processes, each on a loopback port of its own (the
shoppers' connections shared out evenly, as a load balancer would), each with a psycopg pool of ``DB_POOL_MAX_SIZE`` connections (16 unless the environment says otherwise), with
Redis (a database of its own, number 14, emptied first) when ``redis-cli ping`` answers on
127.0.0.1:6379: sessions, the cache and the chat's rate-limit counters then live there.

Each simulated shopper is a guest with a session of their own and writes in one of the six
languages (``Accept-Language`` and the text agree). They first open the chat page
(``GET /chat/<shop>/``: the CSRF cookie), then send their messages one after the other, each once
the previous one is answered; the first message also creates the guest's session (its cookie is
kept) and the conversation. A message goes to the web chat's JSON API,
``POST /api/v1/chat/<shop>/messages`` ``{"text": ...}``, when the server's OpenAPI document lists
it, else to the chat panel's htmx form, ``POST /chat/<shop>/messages/new/`` (``HX-Request: true``),
whose answer is the rendered customer message and the bot's replies. A bounded number of
shoppers are in flight at once, over keep-alive connections, and the run stops after every
shopper or a time limit. No shopper sends more than the chat's rate limit
(``plaza.messaging.services.CUSTOMER_MESSAGES_PER_MINUTE``, 20 a minute): the load comes from
many shoppers, and any 429 counts as an error.

Those figures are the server's at saturation: 32 shoppers who each write again the moment they
are answered keep every worker busy, so a message mostly waits for the ones before it, and its
latency is the queue's. 1,000 shoppers (5,000 messages, about 20 s) by default: with 200 the
phase lasted 4 s, a quarter of its messages came from the first 32 shoppers, who all open the chat
and start their conversation in the same second, and its p99 was the tenth-slowest message. A paced phase follows (``--paced-share``, 0.5 by default): other shoppers,
each on a connection of their own, write at half the rate just measured, on a schedule fixed in
advance, each message due at its time whatever the answers do; its latency counts from when it
was due. It says how fast the bot answers a shop that is busy but not overrun.

A message counts as answered when its answer is a success that carries at least one bot message
(in the form's HTML ``ch-by-bot``; in the API's JSON an object with ``"sender_kind": "bot"``).
After the run the database says the same or the run fails: in every conversation the shoppers
opened, every customer message is followed by a bot message stored before the next customer
message, and the bot rows stored equal the bot messages the answers carried.

The machine may be shared, so the run also reads from /proc the CPU time each phase cost: the
server's processes, the PostgreSQL backends of the run's database, the Redis server and this load
generator, per message and per trivial request (their quotient is the ratio the two would reach on
a machine that does nothing else, if CPU were the only limit). The last line:

    chat: msgs_per_s=<n> p99_ms=<n> ratio_vs_trivial=<r>

It exits 1 when a message errored or went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    HOST,
    CpuMeter,
    bench_env,
    database_pool,
    exchange_with_headers,
    fresh_database,
    load_average,
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
REDIS_DB = 14
POOL_MAX_SIZE = 16  # per uvicorn worker: 2 x 16 of PostgreSQL's 100 connections
SHOP = "kalye-kicks"
API_PATH = "/api/v1/chat/{shop_slug}/messages"
WARM_SHOPPERS = 12

# What shoppers ask, per language: the first message greets, the others are taken in turn from
# the language's questions (each shopper starts at another one), so the bot runs every kind of
# answer: a product's stock in a size, its price, recommendations under a budget, shipping, a
# guest's order, thanks. Every one of them is understood by the bot (none hands off to a person).
GREETINGS = {
    "en": ("Hi", "Hello!", "good morning"),
    "fr": ("Bonjour", "Salut !", "Bonsoir"),
    "tl": ("Kumusta po", "Hi po", "Magandang hapon po"),
    "zh-hans": ("你好", "您好", "哈喽"),
    "ja": ("こんにちは", "こんばんは", "はじめまして"),
    "af": ("Hallo", "Goeie môre", "Haai"),
}
QUESTIONS = {
    "en": (
        "Do you have the Amihan Trail Pro in size 42?",
        "how much is the trail pro",
        "what do you recommend under 3000",
        "where is my order",
        "How long does delivery take to Quezon City?",
        "Is the Habagat Runner 2 available in size 41?",
        "thanks",
    ),
    "fr": (
        "Vous avez la Tala Daily Trainer en taille 40 ?",
        "Combien coûte la Bagwis Tempo Racer ?",
        "Vous recommandez quoi pour moins de 5000 ?",
        "Où est ma commande ?",
        "Quels sont les délais de livraison ?",
        "merci",
    ),
    "tl": (
        "Meron pa ba kayong size 42 ng Habagat Runner?",
        "Magkano po yung Amihan Trail Pro?",
        "Ano ang irekomenda niyo na hanggang 4000?",
        "Nasaan na po ang order ko?",
        "Ilang araw po ang delivery?",
        "Salamat po",
    ),
    "zh-hans": (
        "Amihan Trail Pro 42码有货吗？",
        "Bagwis Tempo Racer 多少钱？",
        "推荐一下3000以下的鞋",
        "我的订单到哪了？",
        "运费多少？",
        "谢谢",
    ),
    "ja": (
        "Amihan Trail Pro の42サイズは在庫ありますか？",
        "Tala Daily Trainer はいくらですか？",
        "人気の靴をおすすめしてください",
        "私の注文はどこですか？",
        "送料を教えて",
        "ありがとう",
    ),
    "af": (
        "Het julle die Habagat Runner in grootte 42?",
        "Hoeveel kos die Amihan Trail Pro?",
        "Wat beveel julle aan onder 4000?",
        "Waar is my bestelling?",
        "Hoe lank neem aflewering?",
        "Dankie",
    ),
}
LANGUAGES = tuple(QUESTIONS)

TRUTH = """
import json
from django.db.models import Count
from plaza.messaging.models import Conversation, Message
from plaza.messaging.services import CUSTOMER_MESSAGES_PER_MINUTE

ids = json.load(open({path!r}))
rows = Message.objects.filter(conversation_id__in=ids).order_by("conversation_id", "pk")
unanswered, last, waiting = 0, None, False
for conversation_id, kind in rows.values_list("conversation_id", "sender_kind"):
    if conversation_id != last:
        unanswered += waiting
        last, waiting = conversation_id, False
    if kind == "customer":
        unanswered += waiting
        waiting = True
    elif kind == "bot":
        waiting = False
unanswered += waiting
print(json.dumps({{
    "conversations": Conversation.objects.filter(pk__in=ids).count(),
    "by_kind": dict(rows.order_by().values_list("sender_kind").annotate(n=Count("pk"))),
    "bot_rows": rows.filter(sender_kind="bot").count(),
    "unanswered": unanswered,
    "handed_off": Conversation.objects.filter(pk__in=ids, handed_off_at__isnull=False).count(),
    "rate_limit": CUSTOMER_MESSAGES_PER_MINUTE,
}}))
"""

SHOP_FACTS = """
import json
from plaza.catalog.models import Product
from plaza.inventory.models import Stock
from plaza.messaging.models import FaqEntry
from plaza.messaging.selectors import inbox_settings_get
from plaza.accounts.models import Shop
from plaza.messaging.services import CUSTOMER_MESSAGES_PER_MINUTE

shop = Shop.objects.get(slug={shop!r})
print(json.dumps({{
    "products": Product.objects.filter(shop=shop).count(),
    "stock_rows": Stock.objects.filter(variant__product__shop=shop).count(),
    "faq": FaqEntry.objects.filter(shop=shop).count(),
    "bot_enabled": inbox_settings_get(shop=shop).bot_enabled,
    "rate_limit": CUSTOMER_MESSAGES_PER_MINUTE,
}}))
"""

_MESSAGE_LI = re.compile(r'class="ch-msg ch-(?:in|out) ch-by-(\w+)" id="ch-msg-(\d+)"')


# --- the database and Redis of the run --------------------------------------------------------


def redis_url(disabled: bool) -> str:
    """The run's own Redis database, emptied, or "" when Redis does not answer (or is refused)."""
    url = redis_database_url(REDIS_DB, disabled=disabled)
    if url:
        redis_cli(REDIS_DB, "flushdb")
    return url


def shell_json(script: str, env: dict[str, str]) -> dict:
    """Run `script` in manage.py shell; the JSON object its last line prints."""
    try:
        output = manage("shell", "-c", script, env=env)
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(exc.stderr or "")
        raise
    return json.loads(output.strip().splitlines()[-1])


def _api_bot_messages(data) -> list[int]:
    """Ids (0 when absent) of the messages sent by the bot anywhere in an API answer (objects
    whose ``sender``, or ``sender_kind``, is "bot")."""
    found: list[int] = []
    if isinstance(data, dict):
        if data.get("sender") == "bot" or data.get("sender_kind") == "bot":
            found.append(int(data.get("id") or 0))
        for value in data.values():
            found += _api_bot_messages(value)
    elif isinstance(data, list):
        for value in data:
            found += _api_bot_messages(value)
    return found


def _api_conversation(data) -> int | None:
    if isinstance(data, dict):
        for key in ("conversation_id", "conversation"):
            value = data.get(key)
            if isinstance(value, int):
                return value
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                return value["id"]
        for value in data.values():
            if (found := _api_conversation(value)) is not None:
                return found
    elif isinstance(data, list):
        for value in data:
            if (found := _api_conversation(value)) is not None:
                return found
    return None


@dataclass
class Chat:
    latencies_ms: list[float] = field(default_factory=list)
    open_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)
    bot_messages: int = 0
    conversations: set[int] = field(default_factory=set)
    shoppers_done: int = 0
    sent: int = 0
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


@dataclass
class Shopper:
    number: int
    language: str
    texts: list[str]
    cookies: dict[str, str] = field(default_factory=dict)
    sent_at: list[float] = field(default_factory=list)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def keep(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _sep, val = pair.partition("=")
                if val and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[key.strip()] = val.strip()
                else:
                    self.cookies.pop(key.strip(), None)


def shoppers_for(count: int, messages: int, *, start: int = 0) -> list[Shopper]:
    people = []
    for i in range(start, start + count):
        language = LANGUAGES[i % len(LANGUAGES)]
        questions = QUESTIONS[language]
        first = i // len(LANGUAGES)
        texts = [GREETINGS[language][first % len(GREETINGS[language])]]
        texts += [questions[(first + k) % len(questions)] for k in range(messages - 1)]
        people.append(Shopper(number=i, language=language, texts=texts[:messages]))
    return people


class Endpoint:
    """Where a message goes: the JSON API when the server lists it, else the htmx form."""

    def __init__(self, bases: list[str], shop: str, choice: str = "auto") -> None:
        base = bases[0]
        # Requests name the first server in their Host header; any of them serves them.
        self.port = port_of(base)
        self.ports = [port_of(other) for other in bases]
        self.shop = shop
        self.api = False
        if choice != "form":
            try:
                url = f"{base}/api/v1/openapi.json"
                with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310
                    paths = json.load(answer).get("paths", {})
                self.api = API_PATH in paths and "post" in paths[API_PATH]
            except (OSError, ValueError):
                self.api = False
            if choice == "api" and not self.api:
                raise SystemExit(f"the server's OpenAPI document has no POST {API_PATH}")
        if self.api:
            self.path = API_PATH.format(shop_slug=shop)
            self.label = f"POST {API_PATH} (JSON API)"
        else:
            self.path = f"/chat/{shop}/messages/new/"
            self.label = "POST /chat/<shop>/messages/new/ (htmx form)"

    def request(self, shopper: Shopper, text: str) -> bytes:
        headers = {
            "Cookie": shopper.cookie_header(),
            "X-CSRFToken": shopper.cookies.get("csrftoken", ""),
            "Accept-Language": shopper.language,
            "Referer": f"http://{HOST}:{self.port}/chat/{self.shop}/",
        }
        if self.api:
            headers.update({"Content-Type": "application/json", "Accept": "application/json"})
            body = json.dumps({"text": text}).encode()
        else:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                    "HX-Current-URL": f"http://{HOST}:{self.port}/chat/{self.shop}/",
                }
            )
            body = urlencode({"text": text}).encode()
        return raw_request("POST", self.path, port=self.port, headers=headers, body=body)

    def bot_replies(self, headers, body: bytes) -> tuple[int, int | None]:
        """(bot messages in the answer, the conversation's id when the answer says it)."""
        if self.api:
            try:
                data = json.loads(body)
            except ValueError:
                return 0, None
            return len(_api_bot_messages(data)), _api_conversation(data)
        kinds = [kind for kind, _pk in _MESSAGE_LI.findall(body.decode("utf-8", "replace"))]
        conversation = None
        for name, value in headers:
            if name == "hx-trigger":
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    conversation = json.loads(value)["chat:conversation"]["id"]
        return kinds.count("bot"), conversation


async def _open_chat(conn, endpoint: Endpoint, shopper: Shopper, chat: Chat) -> bool:
    """Open the chat: the page sets the CSRF cookie (a guest's session starts with the first
    message). False when it did not open."""
    reader, writer = conn
    started = time.perf_counter()
    raw = raw_request(
        "GET",
        f"/chat/{endpoint.shop}/",
        port=endpoint.port,
        headers={"Accept-Language": shopper.language, "Accept": "text/html"},
    )
    status, headers, _body = await exchange_with_headers(reader, writer, raw)
    chat.statuses[f"GET chat {status}"] += 1
    if status != 200:
        chat.errors[f"open chat HTTP {status}"] += 1
        return False
    chat.open_ms.append((time.perf_counter() - started) * 1000)
    shopper.keep(headers)
    return True


async def _send(
    conn, endpoint: Endpoint, shopper: Shopper, chat: Chat, text: str, since: float
) -> None:
    """Send one message and check its answer; its latency counts from ``since`` (a
    ``perf_counter`` time: when it was sent, or when it was due)."""
    reader, writer = conn
    shopper.sent_at.append(time.monotonic())
    chat.sent += 1
    status, headers, body = await exchange_with_headers(
        reader, writer, endpoint.request(shopper, text)
    )
    elapsed = (time.perf_counter() - since) * 1000
    shopper.keep(headers)
    chat.statuses[f"POST {status}"] += 1
    if status == 429:
        chat.errors["HTTP 429 (rate limit)"] += 1
        return
    if status == 403 and b"CSRF" in body:
        chat.errors["HTTP 403 (CSRF)"] += 1
        return
    if status not in (200, 201):
        chat.errors[f"HTTP {status}"] += 1
        return
    bots, conversation = endpoint.bot_replies(headers, body)
    if conversation is not None:
        chat.conversations.add(conversation)
    if not bots:
        chat.errors["answered without a bot reply"] += 1
        return
    chat.bot_messages += bots
    chat.latencies_ms.append(elapsed)
    chat.by_language[shopper.language] += 1


async def _converse(conn, endpoint: Endpoint, shopper: Shopper, chat: Chat, limit: int) -> None:
    if not await _open_chat(conn, endpoint, shopper, chat):
        return
    for text in shopper.texts:
        # The chat's rate limit: never more than `limit` messages in any 60 s.
        recent = [t for t in shopper.sent_at if time.monotonic() - t < 60]
        if len(recent) >= limit:
            await asyncio.sleep(60 - (time.monotonic() - recent[0]) + 0.05)
        await _send(conn, endpoint, shopper, chat, text, time.perf_counter())


async def _drive(
    endpoint: Endpoint, people: list[Shopper], *, concurrency: int, seconds: float, limit: int
) -> Chat:
    chat = Chat()

    def done() -> None:
        chat.shoppers_done += 1

    chat.seconds = await serve_people(
        people,
        lambda conn, shopper: _converse(conn, endpoint, shopper, chat, limit),
        ports=endpoint.ports,
        concurrency=concurrency,
        seconds=seconds,
        errors=chat.errors,
        done=done,
    )
    return chat


def drive(endpoint: Endpoint, people: list[Shopper], **kwargs) -> Chat:
    return asyncio.run(_drive(endpoint, people, **kwargs))


def paced_shoppers(rate: float, messages: int, limit: int, *, start: int) -> list[Shopper]:
    """Enough shoppers for ``rate`` messages a second in total while each stays well within the
    chat's rate limit (``limit`` a minute): each writes every 1.5 x 60 / ``limit`` seconds."""
    count = max(math.ceil(rate * 1.5 * 60 / limit), 1)
    return shoppers_for(count, messages, start=start)


async def _paced(endpoint: Endpoint, people: list[Shopper], *, rate: float) -> Chat:
    """Every shopper opens the chat on a connection of their own; then their messages are
    offered at ``rate`` a second in total, on a schedule fixed in advance (message k of shopper
    s is due at (k x shoppers + s) / rate seconds), whatever the answers do. A message's latency
    counts from when it was due, so a late answer delays the next message of that shopper and
    the delay shows (no coordinated omission)."""
    chat = Chat()
    conns = [
        await asyncio.open_connection(HOST, endpoint.ports[i % len(endpoint.ports)])
        for i in range(len(people))
    ]
    opened = await asyncio.gather(
        *(
            _open_chat(conn, endpoint, shopper, chat)
            for conn, shopper in zip(conns, people, strict=True)
        )
    )
    chat.open_ms.clear()
    begin = time.perf_counter() + 0.5

    async def shopper_turns(index: int, shopper: Shopper) -> None:
        port = endpoint.ports[index % len(endpoint.ports)]
        for k, text in enumerate(shopper.texts):
            due = begin + (k * len(people) + index) / rate
            await asyncio.sleep(max(due - time.perf_counter(), 0))
            for attempt in (1, 2):
                # The server closes a connection idle for a few seconds, as a browser expects:
                # like a browser, open another one (its time counts in the latency).
                if conns[index][0].at_eof():
                    conns[index][1].close()
                    conns[index] = await asyncio.open_connection(HOST, port)
                try:
                    await _send(conns[index], endpoint, shopper, chat, text, due)
                    break
                except ConnectionError:
                    if attempt == 2:
                        raise
                    chat.sent -= 1  # closed before it was read: sent again
                    conns[index][1].close()
                    conns[index] = await asyncio.open_connection(HOST, port)

    try:
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    shopper_turns(i, shopper)
                    for i, (shopper, ok) in enumerate(zip(people, opened, strict=True))
                    if ok
                )
            ),
            timeout=len(people) * max(len(p.texts) for p in people) / rate + 60,
        )
    except TimeoutError:
        chat.errors["paced phase timed out"] += 1
    finally:
        for _reader, writer in conns:
            writer.close()
    chat.seconds = time.perf_counter() - begin
    return chat


def paced(endpoint: Endpoint, people: list[Shopper], *, rate: float) -> Chat:
    return asyncio.run(_paced(endpoint, people, rate=rate))


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5, help="messages per shopper")
    parser.add_argument("--concurrency", type=int, default=32, help="shoppers in flight")
    parser.add_argument("--seconds", type=float, default=180.0, help="time limit of the chat")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--database", default="plaza_bench_chat", help="dropped and created")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", PG_ADMIN_URL))
    parser.add_argument("--no-redis", action="store_true", help="even when Redis answers")
    parser.add_argument("--trivial-requests", type=int, default=4000)
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="then offer messages at this share of the rate measured (0: no paced phase)",
    )
    parser.add_argument(
        "--endpoint",
        choices=("auto", "api", "form"),
        default="auto",
        help="auto: the JSON API when the server lists it, else the htmx form",
    )
    args = parser.parse_args()
    if args.messages < 1 or args.shoppers < 1:
        raise SystemExit("at least one shopper and one message")

    database_url = fresh_database(args.database, args.admin_url)
    redis = redis_url(args.no_redis)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-chat-") as folder:
        env = bench_env(Path(folder), DATABASE_URL=database_url, REDIS_URL=redis)
        connections = database_pool(env, workers=args.workers, default_size=POOL_MAX_SIZE)
        backends = f"PostgreSQL {server_version(database_url)}" + (" + Redis" if redis else "")
        print(
            f"Preparing Plaza on {backends} (database {args.database}) in {folder} ...", flush=True
        )
        manage("migrate", "--noinput", "-v0", env=env)
        manage("seed_demo", "--if-empty", env=env)
        facts = shell_json(SHOP_FACTS.format(shop=SHOP), env)
        if not facts["bot_enabled"]:
            raise SystemExit(f"the bot is off for {SHOP} after seed_demo")
        limit = facts["rate_limit"]
        people = shoppers_for(args.shoppers, args.messages)
        warm_people = shoppers_for(WARM_SHOPPERS, min(args.messages, 3), start=args.shoppers)
        print(
            f"shop {SHOP}: {facts['products']} products, {facts['stock_rows']} stock rows, "
            f"{facts['faq']} FAQ entries, bot on; {len(people)} guest shoppers x {args.messages} "
            f"messages in {len(LANGUAGES)} languages, {args.concurrency} shoppers in flight, "
            f"at most {limit} messages a minute each; {args.workers} workers; {connections}; "
            f"limit {args.seconds:.0f} s",
            flush=True,
        )
        server_log = Path(folder) / "server.log"
        with (
            server_log.open("w") as log,
            serve_processes(env=env, processes=args.workers, stderr=log) as bases,
        ):
            endpoint = Endpoint(bases, SHOP, args.endpoint)
            print(f"endpoint: {endpoint.label}; load average {load_average()}", flush=True)
            # Warm up both workers: their connections, the bot's catalog reads, the templates.
            load_spread([f"{base}/livez" for base in bases], total=200, concurrency=8, seconds=20)
            warm = drive(endpoint, warm_people, concurrency=8, seconds=60, limit=limit)
            with CpuMeter(args.database) as chat_cpu:
                chat = drive(
                    endpoint,
                    people,
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                    limit=limit,
                )
            calm = None
            if args.paced_share > 0 and chat.per_second > 0:
                rate = args.paced_share * chat.per_second
                calm_people = paced_shoppers(
                    rate, args.messages, limit, start=args.shoppers + 10 * WARM_SHOPPERS
                )
                calm = paced(endpoint, calm_people, rate=rate)
            trivial, trivial_cpu = trivial_phase(
                bases, args.database, total=args.trivial_requests, concurrency=args.concurrency
            )
        ids_file = Path(folder) / "conversations.json"
        seen = chat.conversations | warm.conversations | (calm.conversations if calm else set())
        ids_file.write_text(json.dumps(sorted(seen)))
        truth = shell_json(TRUTH.format(path=str(ids_file)), env)
        server_lines = Counter(
            line.split(":", 1)[0] + ":"
            if line.startswith(("Too Many Requests:", "Forbidden", "Not Found:"))
            else line
            for line in server_log.read_text().splitlines()
        )

    expected = len(people) * args.messages
    unanswered_http = expected - chat.answered
    bots_seen = chat.bot_messages + warm.bot_messages + (calm.bot_messages if calm else 0)
    calm_people_count = len(calm_people) if calm else 0
    ratio = chat.per_second / trivial.per_second if trivial.per_second else float("nan")

    def ms(values: list[float]) -> str:
        return f"{percentile(values, 50):7.1f} / {percentile(values, 99):7.1f} ms"

    print()
    print(
        f"{'shoppers served':<32} {chat.shoppers_done} of {len(people)} in {chat.seconds:.1f} s; "
        f"{chat.sent} messages sent of {expected}"
    )
    print(
        f"{'messages answered by the bot':<32} {chat.answered} -> {chat.per_second:.1f} msgs/s; "
        f"{chat.bot_messages} bot messages in the answers; by language {dict(chat.by_language)}"
    )
    slowest = max(chat.latencies_ms, default=float("nan"))
    print(f"{'message -> answer p50 / p99':<32} {ms(chat.latencies_ms)}  (max {slowest:.1f} ms)")
    print(f"{'open the chat page p50 / p99':<32} {ms(chat.open_ms)}")
    if calm is not None:
        offered = f"at {rate:.0f} msgs/s offered"
        print(
            f"{offered:<32} {ms(calm.latencies_ms)}  (p50 / p99, {args.paced_share:.0%} of the "
            f"rate above, {calm_people_count} shoppers on a fixed schedule: {calm.answered} of "
            f"{calm.sent} answered, errors {sum(calm.errors.values())} {dict(calm.errors)})"
        )
    print(f"{'errors':<32} {sum(chat.errors.values())} {dict(chat.errors)}")
    print(f"{'HTTP statuses':<32} {dict(sorted(chat.statuses.items()))}")
    if warm.errors or warm.answered != sum(len(p.texts) for p in warm_people):
        print(f"{'warm-up':<32} {warm.answered} answered, errors {dict(warm.errors)}")
    print(
        f"{'database':<32} {truth['conversations']} conversations (warm-up included), messages "
        f"{truth['by_kind']}; {truth['unanswered']} customer messages without a bot reply; "
        f"{truth['bot_rows']} bot rows, {bots_seen} in the answers; "
        f"{truth['handed_off']} handed to a person"
    )
    print(trivial.line("trivial /livez"))
    print(f"{'CPU per message':<32} {chat_cpu.per(chat.sent)} (chat pages included)")
    print(f"{'CPU per trivial request':<32} {trivial_cpu.per(trivial.ok)}")
    cpu_ratio = (trivial_cpu.total / max(trivial.ok, 1)) / (chat_cpu.total / max(chat.sent, 1))
    print(f"{'CPU-bound ratio':<32} {cpu_ratio:.2f} (CPU of a trivial request / of a message)")
    if trivial.errors:
        print(f"{'trivial errors':<32} {dict(trivial.errors)}")
    print(f"{'backends':<32} {backends}; load average at the end {load_average()}")
    shown = [f"{n} x {line[:160]}" for line, n in server_lines.most_common(6)]
    print(
        f"{'server log':<32} {sum(server_lines.values())} lines"
        + "".join(f"\n    {s}" for s in shown)
    )
    print(
        f"chat: msgs_per_s={chat.per_second:.1f} p99_ms={percentile(chat.latencies_ms, 99):.1f} "
        f"ratio_vs_trivial={ratio:.2f}"
    )
    failed = (
        chat.errors
        or unanswered_http
        or truth["unanswered"]
        or truth["bot_rows"] != bots_seen
        or truth["conversations"] != len(people) + len(warm_people) + calm_people_count
        or (calm is not None and (calm.errors or calm.answered != calm.sent))
    )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
