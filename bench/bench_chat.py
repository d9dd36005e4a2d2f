# ruff: noqa: E501
"""Live chat under load (issue 12), over real websockets on loopback, with channels-redis and the
ASGI server we ship: docker-compose.yml's `ws` service command (uvicorn, WS_WORKERS=1) with the
production settings, through a PgBouncer in transaction mode as the `pooler` service. In one run:

1. connections: --visitors (1,000) websocket visitors connect to /ws/chat/, each says hello and
   gets its welcome, and all are held open; the server's resident memory before and after gives
   the memory per idle connection (target < 100 KB);
2. round trip: an agent's /ws/agent/ socket (a manager, who hears every ticket's news) listens
   while --active visitors among them send messages at --rate (50/s) in total for --seconds: each
   is stored as an InboundEvent, processed into a ticket Message, acknowledged, and its ticket's
   news pushed to the agent. Latency from the visitor's send to the agent's push (target p99 <
   100 ms), and to the visitor's acknowledgement; and the server's CPU time per message (user +
   system, every thread), which a shared machine's load disturbs far less than latency;
3. the floor, in the same run: the same server, layer and load on a bare Channels consumer
   (bench/_chat_floor.py: echo to the sender, relay through the layer to the agent sockets), with
   no database, sessions or protocol.

Needs PostgreSQL, Redis and `pgbouncer` (Debian package):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jornada_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_chat.py [--visitors 1000] [--rate 50] [--seconds 30] [--json PATH]
        [--ws-workers 1]  (uvicorn workers, as docker-compose.yml's WS_WORKERS; memory and CPU are
                           then summed over the server's processes)
The database is emptied of tickets, customers and chats first: never point it at real data.
"""

import argparse
import asyncio
import itertools
import json
import os
import secrets
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# The server and this process share the secret: the agent's session is made here.
SECRET_KEY = secrets.token_urlsafe(64)
os.environ["SECRET_KEY"] = SECRET_KEY

from _database import ensure_database  # noqa: E402

if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    ensure_database(os.environ["DATABASE_URL"])

import websockets  # noqa: E402
from _report import Report, add_json_argument  # noqa: E402
from bench_http import pgbouncer, web_server  # noqa: E402  (sets Django up)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from channels_app.models import ChatChannel, ChatSession, InboundEvent  # noqa: E402
from tickets.models import (  # noqa: E402
    AgentProfile,
    Customer,
    CustomerIdentity,
    Message,
    Ticket,
    TicketEvent,
    Tier,
)

WS_COMMAND = [
    "-m",
    "uvicorn",
    "helpdesk.asgi:application",
    "--proxy-headers",
    "--no-access-log",
    "--log-level",
    "warning",
]  # fmt: skip  (docker-compose.yml `ws`)
FLOOR_COMMAND = ["-m", "uvicorn", "bench._chat_floor:application", "--no-access-log",
                 "--log-level", "warning"]  # fmt: skip
CONNECT_AT_ONCE = 50  # visitors connecting together (a burst, not 1,000 at the same instant)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else None


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def reset():
    tables = (ChatSession, InboundEvent, TicketEvent, Message, CustomerIdentity, Ticket, Customer)
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')


def rss_kb(pids: list[int]) -> int:
    """The resident memory of the server's processes (with several workers: all of them)."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the server's processes, all their threads (/proc/<pid>/stat
    fields 14, 15)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settled_pids(port: int, workers: int) -> list[int]:
    """server_pids once every worker holds the socket (a supervisor plus `workers` of them)."""
    wanted = 1 if workers == 1 else workers + 1
    for _ in range(100):
        pids = server_pids(port)
        if len(pids) >= wanted:
            return pids
        time.sleep(0.1)
    return pids


def server_pids(port: int) -> list[int]:
    """The processes holding the socket listening on the port (uvicorn serves in its main
    process with one worker; with several, its supervisor and each worker hold it): the
    listening socket's inode in /proc/net/tcp, then the processes holding it."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    pids = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            pids.add(int(fd.parts[2]))
    if not pids:
        raise RuntimeError(f"nothing listens on {port}")
    return sorted(pids)


def setup_desk():
    reset()
    ChatChannel.objects.all().delete()
    channel = ChatChannel.objects.create(name="Bench", bot_enabled=False)
    agent = get_user_model().objects.create_user(username=f"bench-agent-{secrets.token_hex(3)}")
    AgentProfile.objects.create(user=agent, tier=Tier.N3, is_manager=True)
    client = Client()
    client.force_login(agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return channel, cookie


# --- the clients ---------------------------------------------------------------------------------


class Load:
    """Visitors held open, a few of them talking; the agent listening."""

    def __init__(self, base: str, origin: str):
        self.base, self.origin = base, origin
        self.visitors: list = []
        self.failed = 0

    async def open(self, path: str, **kwargs):
        return await websockets.connect(
            self.base + path, origin=self.origin, max_size=2**20, ping_interval=None,
            open_timeout=30, **kwargs,
        )  # fmt: skip

    async def connect_all(self, count: int, path: str, hello: dict | None) -> list[float]:
        times = []

        async def one():
            started = time.perf_counter()
            try:
                socket_ = await self.open(path)
                if hello is not None:
                    await socket_.send(json.dumps(hello))
                    welcome = json.loads(await asyncio.wait_for(socket_.recv(), 30))
                    assert welcome["type"] == "welcome", welcome
                self.visitors.append(socket_)
                times.append(time.perf_counter() - started)
            except Exception as exc:
                self.failed += 1
                print(f"connect failed: {exc!r}", file=sys.stderr)

        for start in range(0, count, CONNECT_AT_ONCE):
            await asyncio.gather(*(one() for _ in range(min(CONNECT_AT_ONCE, count - start))))
        return times

    async def close_all(self):
        await asyncio.gather(*(s.close() for s in self.visitors), return_exceptions=True)
        self.visitors = []


async def round_trips(senders, agent, *, rate, seconds, frame_for, key_of_push, key_of_sender,
                      ack_of):  # fmt: skip
    """Send rate*seconds messages spread over the senders, open loop (each at its planned time);
    the latency of each to the agent's push and to the sender's acknowledgement."""
    pending: dict = {}  # key -> [sent_at, ...]
    to_agent, to_ack, lost = [], [], 0
    done = asyncio.Event()
    total = int(rate * seconds)
    received = 0

    async def listen_agent():
        nonlocal received
        while received < total:
            try:
                push = json.loads(await asyncio.wait_for(agent.recv(), 10))
            except TimeoutError:
                break
            key = key_of_push(push)
            if pending.get(key):
                to_agent.append(time.perf_counter() - pending[key].pop(0))
                received += 1
        done.set()

    async def listen_sender(index, socket_):
        while not done.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(socket_.recv(), 1))
            except TimeoutError:
                continue
            except websockets.ConnectionClosed:
                return
            sent_at = ack_of(frame)
            if sent_at is not None:
                to_ack.append(time.perf_counter() - sent_at)

    listeners = [asyncio.create_task(listen_agent())]
    listeners += [asyncio.create_task(listen_sender(i, s)) for i, s in enumerate(senders)]
    started = time.perf_counter()
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        index = n % len(senders)
        pending.setdefault(key_of_sender(index), []).append(time.perf_counter())
        await senders[index].send(json.dumps(frame_for(index, n)))
    sending = time.perf_counter() - started
    with suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 15)
    lost = total - received
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return {"to_agent": to_agent, "to_ack": to_ack, "lost": lost, "sent": total,
            "rate": total / sending}  # fmt: skip


def summary(name, result):
    agent, ack = result["to_agent"], result["to_ack"]
    line = (f"{name}: {result['sent']} messages at {result['rate']:.1f}/s, to the agent p50 "
            f"{ms(percentile(agent, 50))} ms p99 {ms(percentile(agent, 99))} ms max "
            f"{ms(max(agent) if agent else None)} ms; ack p50 {ms(percentile(ack, 50))} ms p99 "
            f"{ms(percentile(ack, 99))} ms; lost {result['lost']}; server CPU "
            f"{result['cpu_ms']:.2f} ms per message")  # fmt: skip
    print(line, flush=True)


# --- the chat ------------------------------------------------------------------------------------


async def chat_run(port, pids, channel, cookie, args):
    load = Load(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    agent = await load.open("/ws/agent/?lang=en", additional_headers={"Cookie": cookie})
    assert json.loads(await agent.recv())["type"] == "hello"
    visitor_path = f"/ws/chat/?key={channel.public_key}"
    hello = {"type": "hello", "token": None, "after": 0, "lang": "pt-br"}
    warm = await load.connect_all(20, visitor_path, hello)  # code paths loaded before measuring
    await asyncio.sleep(1)
    before = rss_kb(pids)
    times = await load.connect_all(args.visitors, visitor_path, hello)
    await asyncio.sleep(2)
    after = rss_kb(pids)
    held = len(load.visitors) - len(warm)
    per_connection = (after - before) / max(1, held)
    print(f"chat: {held} visitors held (failed {load.failed}); connect+welcome p50 "
          f"{ms(percentile(times, 50))} ms p99 {ms(percentile(times, 99))} ms; RSS {before} -> "
          f"{after} KB: {per_connection:.1f} KB per idle connection", flush=True)  # fmt: skip

    senders = load.visitors[-args.active :]
    # Each talking visitor's first message opens its ticket: its number names the news pushes.
    ack_ids = []
    for socket_ in senders:
        await socket_.send(json.dumps({"type": "message", "client_id": f"warm-{id(socket_)}",
                                       "text": "Olá, preciso de ajuda"}))  # fmt: skip
        while (frame := json.loads(await socket_.recv()))["type"] != "ack":
            pass
        ack_ids.append(frame["id"])
    numbers = await asyncio.to_thread(ticket_numbers, ack_ids)
    await asyncio.sleep(1)
    while True:  # the warm-up's pushes
        try:
            await asyncio.wait_for(agent.recv(), 0.5)
        except TimeoutError:
            break
    sent_at: dict = {}
    counter = itertools.count()

    def frame_for(index, n):
        client_id = f"m{next(counter)}"
        sent_at[client_id] = time.perf_counter()
        return {"type": "message", "client_id": client_id, "text": f"Mensagem {n} do visitante"}

    def ack_of(frame):
        return sent_at.pop(frame["client_id"], None) if frame.get("type") == "ack" else None

    def key_of_push(push):
        news = push.get("type") == "ticket" and push.get("event") == "message.created"
        return push.get("ticket") if news else None

    cpu_before = cpu_seconds(pids)
    result = await round_trips(
        senders, agent, rate=args.rate, seconds=args.seconds, frame_for=frame_for,
        key_of_push=key_of_push, key_of_sender=lambda i: numbers[i], ack_of=ack_of,
    )  # fmt: skip
    result["cpu_ms"] = (cpu_seconds(pids) - cpu_before) * 1000 / result["sent"]
    summary("chat", result)
    await agent.close()
    await load.close_all()
    return {"held": held, "failed": load.failed, "connect": times, "kb": per_connection,
            "rss_before": before, "rss_after": after, **result}  # fmt: skip


def ticket_numbers(message_ids):
    numbers = dict(Message.objects.filter(pk__in=message_ids).values_list("pk", "ticket__number"))
    connection.close()
    return [numbers[pk] for pk in message_ids]


# --- the floor -----------------------------------------------------------------------------------


async def floor_run(port, pids, args):
    load = Load(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    agent = await load.open("/ws/echo/?role=agent")
    warm = await load.connect_all(20, "/ws/echo/", None)
    await asyncio.sleep(1)
    before = rss_kb(pids)
    times = await load.connect_all(args.visitors, "/ws/echo/", None)
    await asyncio.sleep(2)
    after = rss_kb(pids)
    held = len(load.visitors) - len(warm)
    per_connection = (after - before) / max(1, held)
    print(f"floor: {held} sockets held (failed {load.failed}); RSS {before} -> {after} KB: "
          f"{per_connection:.1f} KB per idle connection", flush=True)  # fmt: skip
    senders = load.visitors[-args.active :]
    sent_at: dict = {}

    def frame_for(index, n):
        sent_at[n] = time.perf_counter()
        return {"n": n, "sender": index}

    def ack_of(frame):
        return sent_at.pop(frame["n"], None)

    cpu_before = cpu_seconds(pids)
    result = await round_trips(
        senders, agent, rate=args.rate, seconds=args.seconds, frame_for=frame_for,
        key_of_push=lambda push: push["sender"], key_of_sender=lambda i: i, ack_of=ack_of,
    )  # fmt: skip
    result["cpu_ms"] = (cpu_seconds(pids) - cpu_before) * 1000 / result["sent"]
    summary("floor", result)
    await agent.close()
    await load.close_all()
    return {"held": held, "failed": load.failed, "connect": times, "kb": per_connection, **result}


# --- main ----------------------------------------------------------------------------------------


def discard_queued_tasks():
    """No worker runs here: drop the tasks the messages queued (SLA clock syncs)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for queue in ("sla", "outbound", "inbound", "default"):
        client.delete(queue)
    client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--active", type=int, default=100, help="visitors sending messages")
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second in all")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--ws-workers", type=int, default=1,
                        help="uvicorn workers (docker-compose.yml's WS_WORKERS, 1 by default)")  # fmt: skip
    add_json_argument(parser)
    args = parser.parse_args()
    if not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) first.")
    call_command("migrate", verbosity=0)
    channel, cookie = setup_desk()
    connection.close()
    report = Report("chat")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-chat-")))
        stack.callback(discard_queued_tasks)
        pooled = stack.enter_context(
            pgbouncer(os.environ["DATABASE_URL"], pool_size=args.pool_size, folder=folder)
        )
        env = {"DATABASE_POOLER": "pgbouncer", "SECRET_KEY": SECRET_KEY}
        workers = ["--workers", str(args.ws_workers)]
        with web_server([*FLOOR_COMMAND, *workers], database_url=pooled, extra_env=env,
                        logs=folder) as port:  # fmt: skip
            floor = asyncio.run(floor_run(port, settled_pids(port, args.ws_workers), args))
        with web_server([*WS_COMMAND, *workers], database_url=pooled, extra_env=env,
                        logs=folder) as port:  # fmt: skip
            chat = asyncio.run(chat_run(port, settled_pids(port, args.ws_workers), channel,
                                        cookie, args))  # fmt: skip

    report.baseline(
        "floor_held", floor["held"], unit="sockets", label="bare Channels consumer: sockets held"
    )
    report.result("held", chat["held"], unit="visitors", label="visitors held open (hello + welcome each)",
                  baseline="floor_held", target=f">= {args.visitors}", ratio=False)  # fmt: skip
    report.result("connect_p99", ms(percentile(chat["connect"], 99)), unit="ms",
                  label="connect + hello + welcome, p99 (bursts of 50)")  # fmt: skip
    report.baseline(
        "floor_kb",
        round(floor["kb"], 1),
        unit="KB",
        label="bare Channels consumer: memory per idle socket",
    )
    report.result("kb_per_idle", round(chat["kb"], 1), unit="KB", label="server memory per idle visitor (RSS)",
                  baseline="floor_kb", target="< 100 KB")  # fmt: skip
    for name, data in (("chat", chat), ("floor", floor)):
        for cut in (50, 99):
            value = ms(percentile(data["to_agent"], cut))
            if name == "floor":
                report.baseline(
                    f"floor_p{cut}",
                    value,
                    unit="ms",
                    label=f"bare consumer: visitor -> layer -> agent, p{cut}",
                )
            else:
                report.result(f"to_agent_p{cut}", value, unit="ms", baseline=f"floor_p{cut}",
                              label=f"visitor -> stored, processed -> agent's push, p{cut}",
                              target="< 100 ms" if cut == 99 else None)  # fmt: skip
    report.baseline("floor_cpu", round(floor["cpu_ms"], 2), unit="ms",
                     label="bare consumer: server CPU per message")  # fmt: skip
    report.result("cpu_per_message", round(chat["cpu_ms"], 2), unit="ms", baseline="floor_cpu",
                  label="server CPU per message (user + system, every thread of the ASGI server)")  # fmt: skip
    report.result(
        "ack_p99",
        ms(percentile(chat["to_ack"], 99)),
        unit="ms",
        label="visitor -> stored, processed -> ack, p99",
    )
    report.result(
        "rate",
        round(chat["rate"], 1),
        unit="msg/s",
        label="messages sent per second (all visitors)",
        target=f"{args.rate:g}/s",
    )
    report.result(
        "lost",
        chat["lost"],
        unit="messages",
        label="messages whose push never came",
        baseline="floor_lost",
        ratio=False,
    )
    report.baseline(
        "floor_lost", floor["lost"], unit="messages", label="bare consumer: relays that never came"
    )
    report.note(f"{args.active} of the visitors talk, {args.rate:g} messages/s in all, for {args.seconds:g} s; "
                f"uvicorn as docker-compose.yml's ws service ({args.ws_workers} worker(s); WS_WORKERS defaults to 1), production settings, PgBouncer "
                f"(transaction mode, pool {args.pool_size}), channels-redis; clients in this process on the same machine")  # fmt: skip
    report.note(
        f"server RSS {chat['rss_before']} KB before the visitors connected, {chat['rss_after']} KB with them"
    )
    report.write(args.json)


if __name__ == "__main__":
    main()
