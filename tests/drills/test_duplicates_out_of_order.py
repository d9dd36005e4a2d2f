"""Drill: every channel delivers twice or three times, out of order, from several connections at
once, to the app under gunicorn with a worker processing as they come: WhatsApp (some messages
in two different webhooks), SMS (Twilio), email (Mailgun, a reply before the message it answers)
and the web form (a double submit). Each message is stored once. Then the delivery statuses of
our replies on WhatsApp and SMS arrive shuffled and repeated (read before delivered, delivered
before sent, some before our own send has finished), and every reply ends in the status its
latest step says: read, or failed when the provider said so."""

import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests

from channels_app.adapters.sms.twilio import compute_signature
from channels_app.forms import new_form_token
from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import (
    GRAPH_TOKEN,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeGraph,
    FakeTwilio,
)
from tests.channels_app.test_sms import callback, inbound
from tests.channels_app.test_webhooks import BASIC_AUTH, SIGNING_KEY, mailgun_form
from tests.drills.conftest import waiting
from tests.servers import wait_for
from tickets import services as ticket_services
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

D = Message.DeliveryStatus
OUR_NUMBER = "+5511955550000"
PEOPLE = 8
rng = random.Random(2026)


@pytest.fixture
def fakes():
    with FakeGraph() as graph, FakeTwilio() as twilio:
        yield graph, twilio


@pytest.fixture
def stage_env(fakes):
    graph, twilio = fakes
    return {
        "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": wa.PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE": graph.api_base,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_BASE": twilio.base_url,
        "TWILIO_FROM_NUMBER": OUR_NUMBER,
        "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "ANYMAIL_WEBHOOK_SECRET": BASIC_AUTH,
    }


@pytest.fixture
def replies_from_here(settings, stage_env):
    """This process sends the agents' replies (eager tasks) through the same fake providers."""
    for name, value in stage_env.items():
        if not name.startswith("ANYMAIL"):
            setattr(settings, name, value)


def email(number: int, *, reply_to: str = "") -> str:
    extra = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    return (
        f"From: Pessoa {number} <pessoa{number}@cliente.example>\r\n"
        "To: suporte@jornada.example\r\n"
        f"Subject: Pedido {number}{' (resposta)' if reply_to else ''}\r\n"
        f"Message-ID: <drill-{number}{'-re' if reply_to else ''}@cliente.example>\r\n{extra}"
        "Date: Fri, 04 Dec 2026 10:00:00 -0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Mensagem {number}\r\n"
    )


class Provider:
    """Posts deliveries like each channel's provider does, signed for the server's address."""

    def __init__(self, base: str):
        self.base = base
        self.local = threading.local()
        self.answers: list[tuple[str, int]] = []

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, what: str, path: str, **kwargs) -> None:
        status = self.http.post(f"{self.base}{path}", timeout=30, **kwargs).status_code
        self.answers.append((what, status))

    def whatsapp(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.post("whatsapp", wa.WEBHOOK, data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": wa.sign(body)})  # fmt: skip

    def twilio(self, form: dict, path: str = "/channels/sms/twilio/") -> None:
        signature = compute_signature(
            f"{self.base}{path}", {k: [v] for k, v in form.items()}, TWILIO_TOKEN
        )
        self.post("sms", path, data=urlencode(form), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature})  # fmt: skip

    def mailgun(self, raw: str) -> None:
        user, password = BASIC_AUTH.split(":")
        self.post(
            "email",
            "/channels/email/inbound/mailgun/",
            data=mailgun_form(raw),
            auth=(user, password),
        )

    def webform(self, data: dict, address: str) -> None:
        self.post("web", "/portal/contact/", data=data, headers={"X-Forwarded-For": address})


def deliver_all(jobs: list) -> None:
    """Each job two or three times, shuffled, from four connections at once."""
    repeated = [job for job in jobs for _ in range(rng.choice((2, 3)))]
    rng.shuffle(repeated)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(job) for job in repeated]:
            future.result()


def settle(stage) -> None:
    """Wait for the worker; then beat's sweeper for whatever a lost drain left behind."""
    wait_for(lambda: waiting() == 0, timeout=60, what="the worker", interval=0.3)
    stage.sweep_until_processed(timeout=60)


def test_duplicates_and_disorder_on_every_channel_store_each_message_once_and_converge(
    stage, fakes, replies_from_here, n1_agent
):
    started = time.monotonic()
    graph, _ = fakes
    web = stage.web()
    stage.worker(concurrency=2)
    provider = Provider(web.url)

    # --- inbound: each message once, however often and in whatever order it comes -------------
    wamids, sids, emails, tokens = [], [], [], []
    jobs = []
    for n in range(PEOPLE):
        wa_id = f"55119{80000000 + n:08d}"
        first = wa.message("text", {"body": f"Oi {n}"}, wa_id=wa_id)
        second = wa.message("text", {"body": f"Tudo bem {n}?"}, wa_id=wa_id)
        wamids += [first["id"], second["id"]]
        jobs.append(lambda m=first: provider.whatsapp(wa.inbound(m)))
        jobs.append(lambda m=first, s=second: provider.whatsapp(wa.inbound(m, s)))
        form = inbound(f"SMS {n}", sender=f"+55119{70000000 + n:08d}")
        sids.append(form["MessageSid"])
        jobs.append(lambda f=form: provider.twilio(f))
        emails += [f"<drill-{n}@cliente.example>", f"<drill-{n}-re@cliente.example>"]
        jobs.append(lambda n=n: provider.mailgun(email(n)))
        jobs.append(lambda n=n: provider.mailgun(email(n, reply_to=f"<drill-{n}@cliente.example>")))
        token = new_form_token()
        tokens.append(f"webform:{token.split(':')[0]}")  # the signed value
        data = {"name": f"Pessoa {n}", "email": f"web{n}@cliente.example", "token": token,
                "subject": f"Formulário {n}", "body": "Olá", "website": ""}  # fmt: skip
        jobs.append(lambda d=data, n=n: provider.webform(d, f"198.51.100.{n + 1}"))
    deliver_all(jobs)
    settle(stage)

    assert {status for _, status in provider.answers} == {200}, Counter(provider.answers)
    inbound_messages = Message.objects.filter(direction=Message.Direction.INBOUND)
    for channel, expected in (("whatsapp", wamids), ("sms", sids), ("email", emails),
                              ("web", tokens)):  # fmt: skip
        stored = Counter(
            inbound_messages.filter(channel=channel).values_list("external_id", flat=True)
        )
        assert stored == Counter(expected), channel
    assert not InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).exists()

    # --- statuses of our replies: shuffled, repeated, some before the send has finished --------
    whatsapp_tickets = list(Ticket.objects.filter(channel="whatsapp").order_by("pk"))
    sms_tickets = list(Ticket.objects.filter(channel="sms").order_by("pk"))
    early_wamid, early_sid = "wamid.FAKE0001", f"SM{1:032x}"  # the fakes' first ids
    deliver_all([
        lambda: provider.whatsapp(wa.status(early_wamid, "read")),
        lambda: provider.whatsapp(wa.status(early_wamid, "delivered")),
        lambda: provider.twilio(callback(early_sid, "delivered"), "/channels/sms/twilio/status/"),
    ])  # fmt: skip
    settle(stage)
    replies = [
        ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá! Já vamos ver.")
        for ticket in whatsapp_tickets + sms_tickets
    ]
    for reply in replies:
        reply.refresh_from_db()
    assert replies[0].external_id == early_wamid
    assert replies[len(whatsapp_tickets)].external_id == early_sid

    jobs, expected = [], {}
    for index, reply in enumerate(replies):
        early = reply.external_id in (early_wamid, early_sid)  # its later steps came early
        fails = index % 4 == 3 and not early
        if reply.channel == "whatsapp":
            steps = ["sent"] if early else ["sent", "delivered", "read"] + (["failed"] * fails)
            jobs += [lambda r=reply, s=s: provider.whatsapp(wa.status(r.external_id, s))
                     for s in steps]  # fmt: skip
        else:
            steps = ["sent"] if early else ["sent", "delivered"] + (["undelivered"] * fails)
            jobs += [lambda r=reply, s=s: provider.twilio(callback(r.external_id, s),
                                                          "/channels/sms/twilio/status/")
                     for s in steps]  # fmt: skip
        expected[reply.pk] = (
            D.FAILED if fails else D.READ if reply.channel == "whatsapp" else D.DELIVERED
        )
    deliver_all(jobs)
    settle(stage)

    assert {status for _, status in provider.answers} == {200}
    for reply in replies:
        reply.refresh_from_db()
        assert reply.delivery_status == expected[reply.pk], (reply.channel, reply.external_id)
        history = [step["status"] for step in reply.metadata["delivery_history"]]
        assert len(history) == len(set(history)), history  # no status recorded twice
    assert len(graph.messages_sent()) == len(whatsapp_tickets)  # no reply sent twice
    print(f"\ndrill duplicates: {len(provider.answers)} deliveries, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
