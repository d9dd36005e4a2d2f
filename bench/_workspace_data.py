# ruff: noqa: E501, S608 (long data rows; SQL names come from the models, never from input)
"""The data set of the workspace benchmark: a help desk two years into its life, loaded with
PostgreSQL COPY (not the ORM) into a database of its own.

Stages run in order and are recorded in `bench_ws_state` when they finish, so an interrupted
load resumes at the stage it stopped in and a finished one is reused as it is. Each stage drops
the indexes and foreign keys of the tables it fills (their definitions are kept in
`bench_ws_dropped` until they are put back), truncates and COPYs in one transaction (FREEZE), then
rebuilds them: this is how pg_restore loads, and it is several times faster than keeping the
indexes up to date row by row.

Columns the generator does not know (a field added to a model later) get the model field's
default, so the loader keeps working as the models grow.
"""

import bisect
import csv
import html
import io
import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from itertools import islice

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models
from tqdm import tqdm

from demo.content import (
    CHASERS,
    CITIES,
    ERPS,
    FEMALE_NAMES,
    FIRST_REPLY_INTROS,
    HOUR_WEIGHTS,
    MALE_NAMES,
    MANAGER_NOTES,
    REOPEN_MESSAGES,
    SECOND_SOLUTIONS,
    SURNAMES,
    TOPICS,
    WORKING_NOTES,
)
from tickets.models import (
    AgentProfile,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.services._common import TICKET_NUMBER_SEQUENCE

User = get_user_model()
DAY = 86_400.0
HOUR = 3_600.0
OPEN_STATUSES = ("new", "open", "pending", "on_hold")

TEAMS = (  # name, tier, relative size of its queue
    ("Atendimento Geral", "N1", 6), ("Financeiro", "N1", 5), ("Cobrança", "N1", 3),
    ("Cadastro e Acesso", "N1", 3), ("Logística e Entregas", "N1", 3), ("Vendas", "N1", 2),
    ("Atendimento VIP", "N1", 1), ("Pós-venda", "N1", 2), ("Triagem WhatsApp", "N1", 4),
    ("Portal e Autoatendimento", "N1", 1),
    ("Suporte Técnico", "N2", 5), ("Infraestrutura e Redes", "N2", 3), ("Fiscal", "N2", 3),
    ("Integrações", "N2", 2), ("Aplicativo Mobile", "N2", 2), ("Pagamentos", "N2", 2),
    ("Especialistas / Fornecedores", "N3", 3), ("Engenharia de Produto", "N3", 2),
    ("Segurança da Informação", "N3", 1), ("Banco de Dados", "N3", 1),
)  # fmt: skip
TIER_SHARE = {"N1": 0.72, "N2": 0.22, "N3": 0.06}
CHANNELS = {"email": 30, "whatsapp": 32, "chat": 10, "web": 11, "phone": 10, "sms": 5, "api": 2}
PRIORITIES = {"low": 15, "normal": 60, "high": 20, "urgent": 5}
SEGMENTS = {"active": 45, "new": 22, "at_risk": 12, "inactive": 13, "vip": 8}
SEGMENT_TICKETS = {"vip": 4.0, "active": 2.0, "at_risk": 3.0, "new": 1.6, "inactive": 0.15}
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
STATUS_BY_AGE = (  # (max age in days, weights in STATUSES order)
    (1, (35, 30, 10, 2, 23, 0)),
    (3, (12, 30, 20, 5, 30, 3)),
    (7, (4, 18, 14, 6, 28, 30)),
    (30, (1, 8, 5, 4, 2, 80)),
    (10_000, (0.2, 2.5, 1.2, 1.0, 0, 95.1)),
)
MESSAGES_PER_TICKET = {
    1: 4,
    2: 14,
    3: 18,
    4: 17,
    5: 14,
    6: 11,
    7: 8,
    8: 6,
    9: 3,
    10: 2,
    11: 1.5,
    12: 1.5,
}
EXTRA_TAGS = ("vip", "reincidente", "bug", "lgpd", "aguardando-fornecedor", "cliente-novo", "reclame-aqui", "procon", "migracao", "treinamento")  # fmt: skip
COMPANY_WORDS = ("Comércio", "Serviços", "Indústria", "Distribuidora", "Transportes", "Tecnologia", "Alimentos", "Engenharia", "Consultoria", "Farmácia", "Construtora", "Agropecuária", "Clínica", "Colégio", "Hotel", "Auto Peças", "Papelaria", "Óptica", "Padaria", "Contabilidade")  # fmt: skip
GREETINGS = ("Olá", "Bom dia", "Boa tarde", "Boa noite", "Oi", "Prezados")
SIGNOFFS = ("Obrigado", "Obrigada", "Atenciosamente", "Aguardo retorno", "Abraços", "Grato")
FILLERS = (
    "Isso está atrapalhando bastante o nosso fechamento do mês.",
    "Já reiniciei o computador e limpei o cache do navegador, sem sucesso.",
    "Outras pessoas da equipe também relataram o mesmo problema desde a atualização.",
    "Segue em anexo o print da tela com a mensagem de erro.",
    "Preciso resolver isso ainda hoje porque o cliente final está cobrando.",
    "No mês passado aconteceu algo parecido e vocês resolveram rápido.",
    "Uso o sistema pelo notebook da empresa, com Windows 11 e o Chrome atualizado.",
    "Se precisarem, posso liberar acesso remoto no período da tarde.",
    "Não sei se tem relação, mas ontem trocamos o roteador do escritório.",
    "Nosso contador pediu urgência nesse ajuste por causa da apuração dos impostos.",
    "O atendimento anterior informou que seria resolvido em até dois dias úteis.",
    "Fico no aguardo de uma previsão, mesmo que aproximada.",
)


@dataclass(frozen=True)
class Plan:
    agents: int = 200
    managers: int = 8
    customers: int = 300_000
    organizations: int = 4_000
    tickets: int = 1_000_000
    messages: int = 5_000_000
    long_tickets: int = 1_000
    long_length: int = 100
    tagged_share: float = 0.35
    years: float = 2.0
    seed: int = 20_264

    def scaled(self, factor: float) -> "Plan":
        """A smaller data set of the same shape, to try the benchmark quickly."""
        if factor == 1:
            return self
        shrink = lambda n, low: max(low, int(n * factor))  # noqa: E731
        return replace(
            self,
            customers=shrink(self.customers, 500),
            organizations=shrink(self.organizations, 20),
            tickets=shrink(self.tickets, 2_000),
            messages=shrink(self.messages, 10_000),
            long_tickets=shrink(self.long_tickets, 10),
        )


def long_ticket_ids(plan: Plan) -> set[int]:
    """The tickets with exactly plan.long_length messages, spread evenly over the two years."""
    step = max(1, plan.tickets // plan.long_tickets)
    return set(range(step // 2 or 1, plan.tickets + 1, step)[: plan.long_tickets])


# -------------------------------------------------------------------------------------------
# COPY plumbing
# -------------------------------------------------------------------------------------------
def csv_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_DATES: dict[int, str] = {}


def ts(epoch: float) -> str:
    """A UTC timestamp for COPY, some twenty times faster than datetime.isoformat()."""
    day, rest = divmod(int(epoch), 86_400)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))
    hour, rest = divmod(rest, 3_600)
    return f"{date} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


class CsvStream:
    """What psycopg2's copy_expert reads: CSV made on demand from an iterator of rows, so that
    Python generates while PostgreSQL ingests (one core each)."""

    def __init__(self, rows: Iterable[tuple], suffix: tuple, progress: tqdm):
        self.rows = iter(rows)
        self.suffix = suffix
        self.progress = progress
        self.text = io.StringIO()
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.pending) < size:
            batch = list(islice(self.rows, 5_000))
            if not batch:
                break
            if self.suffix:
                batch = [row + self.suffix for row in batch]
            self.writer.writerows(batch)
            self.progress.update(len(batch))
            self.pending += self.text.getvalue().encode()
            self.text.seek(0)
            self.text.truncate()
        if size < 0:
            size = len(self.pending)
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return chunk


def quoted(columns: Iterable[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def copy_rows(
    cursor, model, columns: list[str], rows: Iterable[tuple], total: int, what: str
) -> None:
    """COPY rows (tuples in `columns` order) into the model's table; every other column gets the
    field's default."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    missing = [f for column, f in fields.items() if column not in columns]
    suffix = tuple(csv_value(f.get_default()) for f in missing)
    all_columns = columns + [f.column for f in missing]
    not_null = [c for c in all_columns if not fields[c].null]
    table = model._meta.db_table
    sql = (
        f'COPY "{table}" ({quoted(all_columns)}) FROM STDIN '
        f"WITH (FORMAT csv, FREEZE, FORCE_NOT_NULL ({quoted(not_null)}))"
    )
    with tqdm(
        total=total, desc=f"  {what:<22}", unit=" rows", unit_scale=True, smoothing=0.05
    ) as bar:
        cursor.copy_expert(sql, CsvStream(rows, suffix, bar), size=1 << 20)


def weighted_picker(rng: random.Random, weights: dict | Iterable[tuple]) -> Callable[[], object]:
    """A draw by weight, cheaper than random.choices for one item at a time."""
    pairs = list(weights.items() if isinstance(weights, dict) else weights)
    keys = [key for key, _weight in pairs]
    cumulative, total = [], 0.0
    for _key, weight in pairs:
        total += weight
        cumulative.append(total)
    draw, find, last = rng.random, bisect.bisect, len(keys) - 1
    return lambda: keys[min(last, find(cumulative, draw() * total))]


# -------------------------------------------------------------------------------------------
# State: which stages are done, which indexes are waiting to be rebuilt
# -------------------------------------------------------------------------------------------
STATE_SQL = """
CREATE TABLE IF NOT EXISTS bench_ws_state (
    stage text PRIMARY KEY, plan jsonb NOT NULL, seconds double precision NOT NULL,
    anchor double precision NOT NULL, finished_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_ws_dropped (
    table_name text NOT NULL, name text NOT NULL, kind text NOT NULL, definition text NOT NULL,
    PRIMARY KEY (table_name, name));
"""


def _table(model) -> str:
    return model._meta.db_table


def drop_indexes(cursor, models_: Iterable) -> None:
    """Drop secondary indexes and foreign keys (kept in bench_ws_dropped to be rebuilt)."""
    for model in models_:
        table = _table(model)
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(
                "INSERT INTO bench_ws_dropped VALUES (%s, %s, 'constraint', %s) ON CONFLICT DO NOTHING",
                [table, name, definition],
            )
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(
                "INSERT INTO bench_ws_dropped VALUES (%s, %s, 'index', %s) ON CONFLICT DO NOTHING",
                [table, name, definition],
            )
            cursor.execute(f'DROP INDEX "{name}"')


def restore_indexes(raw) -> None:
    """Rebuild what drop_indexes took away: indexes first, then foreign keys (validated)."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, name, kind, definition FROM bench_ws_dropped ORDER BY kind DESC, table_name, name"
        )
        pending = cursor.fetchall()
    for table, name, kind, definition in tqdm(
        pending, desc="  indexes and keys", unit=" ", leave=False
    ):
        with raw.cursor() as cursor:
            if kind == "index":
                cursor.execute(definition)
            else:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "DELETE FROM bench_ws_dropped WHERE table_name = %s AND name = %s", [table, name]
            )
        raw.commit()


# -------------------------------------------------------------------------------------------
# The generator
# -------------------------------------------------------------------------------------------
class Generator:
    def __init__(self, plan: Plan, reader, anchor: float):
        self.plan = plan
        # Reads go through a second connection: the loading one is busy with COPY meanwhile.
        self.reader = reader
        self.anchor = anchor  # "now" of the data set (epoch seconds)
        self.subjects = {sc.subject: topic for topic in TOPICS for sc in topic.scenarios}

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"{self.plan.seed}-{stage}")

    def stream(self, sql: str, params=None, itersize: int = 50_000) -> Iterator[tuple]:
        with self.reader.cursor(name=f"bench_ws_{time.monotonic_ns()}") as cursor:
            cursor.itersize = itersize
            cursor.execute(sql, params)
            yield from cursor

    def fetch(self, sql: str, params=None) -> list[tuple]:
        with self.reader.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # ---- stage: people, teams, organizations, customers, tags ------------------------------
    def people(self, cursor) -> None:
        rng, plan = self.rng("people"), self.plan
        now = ts(self.anchor)
        copy_rows(cursor, Team, ["id", "name", "tier", "description"],
                  [(i, name, tier, f"Fila {name} ({tier}).") for i, (name, tier, _w) in enumerate(TEAMS, 1)],
                  len(TEAMS), "teams")  # fmt: skip
        # Agents: by tier in proportion to the work, each in one or two teams of their tier.
        staff = plan.agents - plan.managers
        tiers = ["N3"] * plan.managers + ["N1"] * int(staff * 0.6) + ["N2"] * int(staff * 0.28)
        tiers += ["N3"] * (plan.agents - len(tiers))
        users, profiles, memberships = [], [], []
        by_tier = {
            t: [(i, w) for i, (_n, tt, w) in enumerate(TEAMS, 1) if tt == t]
            for t in ("N1", "N2", "N3")
        }
        for i, tier in enumerate(tiers, 1):
            female = rng.random() < 0.5
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            last = rng.choice(SURNAMES)
            manager = i <= plan.managers
            username = f"agente{i:03d}" if not manager else f"gestor{i:02d}"
            users.append((i, "!bench-no-login", None, False, username, first, last,
                          f"{username}@jornada.example", manager, True, now))  # fmt: skip
            role = ("dispatcher" if rng.random() < 0.25 else "solver") if tier == "N1" else ""
            profiles.append(
                (i, i, tier, role, "pt-br,en" if rng.random() < 0.2 else "pt-br", manager)
            )
            teams = by_tier[tier]
            chosen = {
                rng.choices([t for t, _ in teams], weights=[w for _, w in teams])[0]
                for _ in range(rng.choice((1, 2, 2)))
            }
            memberships += [(i, team) for team in sorted(chosen)]
        # The agent the benchmark logs in as: in the two biggest N1 queues.
        memberships = [m for m in memberships if m[0] != plan.managers + 1]
        memberships += [(plan.managers + 1, 1), (plan.managers + 1, 2)]
        copy_rows(cursor, User, ["id", "password", "last_login", "is_superuser", "username", "first_name",
                                 "last_name", "email", "is_staff", "is_active", "date_joined"],
                  users, len(users), "agents (users)")  # fmt: skip
        copy_rows(cursor, AgentProfile, ["id", "user_id", "tier", "n1_role", "languages", "is_manager"],
                  profiles, len(profiles), "agent profiles")  # fmt: skip
        copy_rows(cursor, AgentProfile.teams.through, ["id", "agentprofile_id", "team_id"],
                  [(n, a, t) for n, (a, t) in enumerate(sorted(memberships), 1)], len(memberships), "team memberships")  # fmt: skip

        orgs = []
        for i in range(1, plan.organizations + 1):
            name = (
                f"{rng.choice(COMPANY_WORDS)} {rng.choice(SURNAMES)} {rng.choice(CITIES)} {i} Ltda"
            )
            orgs.append(
                (i, name, f"empresa{i}.example", "", ts(self.anchor - rng.uniform(0, 900) * DAY))
            )
        copy_rows(
            cursor,
            Organization,
            ["id", "name", "domain", "notes", "created_at"],
            orgs,
            len(orgs),
            "organizations",
        )

        segment = weighted_picker(rng, SEGMENTS)
        span = plan.years * 365 * DAY

        def customers():
            for i in range(1, plan.customers + 1):
                female = rng.random() < 0.5
                name = f"{rng.choice(FEMALE_NAMES if female else MALE_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
                org = rng.randint(1, plan.organizations) if rng.random() < 0.3 else None
                created = ts(self.anchor - span * (1 - math.sqrt(rng.random())) - DAY)
                yield (
                    i,
                    name,
                    org,
                    segment(),
                    "en" if rng.random() < 0.04 else "pt-br",
                    None,
                    None,
                    "",
                    created,
                    created,
                )

        copy_rows(cursor, Customer, ["id", "name", "organization_id", "segment", "language", "user_id",
                                     "merged_into_id", "notes", "created_at", "updated_at"],
                  customers(), plan.customers, "customers")  # fmt: skip

        def identities():
            n = 0
            for i in range(1, plan.customers + 1):
                has_email = rng.random() < 0.85
                if has_email:
                    n += 1
                    domain = (
                        f"empresa{rng.randint(1, plan.organizations)}.example"
                        if rng.random() < 0.3
                        else rng.choice(("example.com", "example.net", "example.org"))
                    )
                    yield (
                        n,
                        i,
                        "email",
                        f"cliente{i}@{domain}",
                        rng.random() < 0.6,
                        ts(self.anchor - DAY),
                    )
                if not has_email or rng.random() < 0.6:
                    n += 1
                    yield (
                        n,
                        i,
                        "whatsapp",
                        f"+55{rng.choice((11, 21, 31, 41, 51, 61, 71, 81))}9{i:08d}",
                        True,
                        ts(self.anchor - DAY),
                    )

        copy_rows(cursor, CustomerIdentity, ["id", "customer_id", "kind", "value", "verified", "created_at"],
                  identities(), int(plan.customers * 1.45), "customer identities")  # fmt: skip
        names = sorted({t for topic in TOPICS for t in topic.tags} | set(EXTRA_TAGS))
        copy_rows(cursor, Tag, ["id", "name"], list(enumerate(names, 1)), len(names), "tags")

    # ---- stage: tickets ---------------------------------------------------------------------
    def tickets(self, cursor) -> None:
        rng, plan, now = self.rng("tickets"), self.plan, self.anchor
        segments = self.fetch("SELECT id, segment FROM tickets_customer ORDER BY id")
        customer_ids = [c for c, _ in segments]
        customer_cum, total = [], 0.0
        for _c, seg in segments:
            total += SEGMENT_TICKETS[seg]
            customer_cum.append(total)
        members: dict[int, list[int]] = {}
        for user, team in self.fetch(
            "SELECT ap.user_id, t.team_id FROM tickets_agentprofile_teams t JOIN tickets_agentprofile ap ON ap.id = t.agentprofile_id"
        ):
            members.setdefault(team, []).append(user)
        teams_by_tier = {
            t: [(i, w) for i, (_n, tt, w) in enumerate(TEAMS, 1) if tt == t] for t in TIER_SHARE
        }
        team_for = {t: weighted_picker(rng, dict(v)) for t, v in teams_by_tier.items()}
        tier = weighted_picker(rng, TIER_SHARE)
        channel = weighted_picker(rng, CHANNELS)
        priority = weighted_picker(rng, PRIORITIES)
        status_for = [
            (limit, weighted_picker(rng, dict(zip(STATUSES, w, strict=True))))
            for limit, w in STATUS_BY_AGE
        ]
        pick_topic = weighted_picker(rng, [(t, t.weight) for t in TOPICS])
        # Customers write mostly in office hours, local time (UTC-3).
        hour = weighted_picker(rng, [((h + 3) % 24, w) for h, w in enumerate(HOUR_WEIGHTS)])
        span_days = plan.years * 365
        # Volume grows over the two years (density rising linearly): most tickets are recent.
        ages = sorted(
            (span_days * (1 - math.sqrt(rng.random())) for _ in range(plan.tickets)), reverse=True
        )
        midnight = math.floor(now / DAY) * DAY

        def rows():
            for i, age in enumerate(ages, 1):
                created = midnight - math.floor(age) * DAY + hour() * HOUR + rng.random() * HOUR
                if created > now:
                    created -= DAY
                age = (now - created) / DAY
                status = next(pick for limit, pick in status_for if age < limit)()
                t_tier = tier()
                team = team_for[t_tier]()
                if (status == "new" and rng.random() < 0.3) or rng.random() < 0.001:
                    team = None
                topic = pick_topic()
                scenario = rng.choice(topic.scenarios)
                prio = priority()
                first_response = created + rng.lognormvariate(0.7, 1.0) * HOUR
                solved = closed = sla_due = None
                if status in ("solved", "closed"):
                    solved = min(created + rng.lognormvariate(3.0, 1.2) * HOUR, now - 60)
                    closed = solved + 4 * DAY if status == "closed" else None
                    if closed and closed > now:
                        closed = now - 30
                    updated = closed or solved
                else:
                    updated = now - (now - created) * rng.random() ** 2
                    if status != "pending":
                        sla_due = (
                            now - rng.uniform(0, 2 * DAY)
                            if rng.random() < 0.2
                            else now + rng.uniform(0.2, 72) * HOUR
                        )
                if first_response > updated or status == "new":
                    first_response = None
                assigned_share = {"new": 0.3, "open": 0.8, "pending": 0.9, "on_hold": 0.9}.get(
                    status, 0.97
                )
                assignee = (
                    rng.choice(members[team])
                    if team and members.get(team) and rng.random() < assigned_share
                    else None
                )
                last_customer = (
                    updated - rng.uniform(0, 6) * HOUR
                    if status != "pending"
                    else updated - rng.uniform(6, 48) * HOUR
                )
                last_agent = first_response and max(
                    first_response, updated - rng.uniform(0, 3) * HOUR
                )
                subject = (
                    scenario.subject
                    if rng.random() < 0.8
                    else f"{scenario.subject} - pedido {rng.randint(100_000, 999_999)}"
                )
                yield (i, 1000 + i, subject, status, prio, t_tier, channel(),
                       customer_ids[min(len(customer_ids) - 1, bisect.bisect(customer_cum, rng.random() * total))],
                       assignee, team, "en" if rng.random() < 0.04 else "pt-br", None,
                       1 if rng.random() < 0.04 else 0, ts(created), ts(updated),
                       first_response and ts(first_response), ts(max(created, last_customer)),
                       last_agent and ts(last_agent), solved and ts(solved), closed and ts(closed),
                       sla_due and ts(sla_due))  # fmt: skip

        copy_rows(cursor, Ticket, ["id", "number", "subject", "status", "priority", "tier", "channel",
                                   "customer_id", "assignee_id", "team_id", "language", "merged_into_id",
                                   "reopen_count", "created_at", "updated_at", "first_response_at",
                                   "last_customer_message_at", "last_agent_reply_at", "solved_at",
                                   "closed_at", "sla_due_at"],
                  rows(), plan.tickets, "tickets")  # fmt: skip

    # ---- stage: messages --------------------------------------------------------------------
    def message_counts(self) -> array:
        """Messages per ticket, summing exactly to plan.messages: mostly 2 to 8, and exactly
        long_length on the long tickets."""
        rng, plan = self.rng("counts"), self.plan
        long_ids = long_ticket_ids(plan)
        sizes = list(MESSAGES_PER_TICKET)
        counts = array(
            "H", rng.choices(sizes, weights=list(MESSAGES_PER_TICKET.values()), k=plan.tickets + 1)
        )
        counts[0] = 0
        for i in long_ids:
            counts[i] = plan.long_length
        diff = plan.messages - sum(counts)
        while diff:
            i = rng.randint(1, plan.tickets)
            if i in long_ids:
                continue
            step = 1 if diff > 0 else -1
            if 1 <= counts[i] + step <= 30:
                counts[i] += step
                diff -= step
        return counts

    def messages(self, cursor) -> None:
        """Messages are written in time order across all tickets, as a live desk writes them: a
        long conversation's rows are spread over the table, not packed on a few pages."""
        rng, plan = self.rng("messages"), self.plan
        counts = self.message_counts()
        info = [None] * (plan.tickets + 1)
        times = array("d")
        owner = array("l")
        for row in tqdm(self.stream("SELECT id, extract(epoch FROM created_at), extract(epoch FROM updated_at), channel, customer_id, assignee_id, team_id, subject, status FROM tickets_ticket ORDER BY id"),
                        total=plan.tickets, desc="  planning messages", unit=" tickets", unit_scale=True, leave=False):  # fmt: skip
            tid, created, updated, *rest = row
            created, updated = float(created), float(updated)
            info[tid] = tuple(rest)
            n = counts[tid]
            gap = max(updated - created, 60.0) / n
            for k in range(n):
                times.append(
                    created if k == 0 else min(updated, created + gap * (k + rng.random() * 0.9))
                )
                owner.append(tid)
        order = sorted(range(len(times)), key=times.__getitem__)
        customers = dict(self.fetch("SELECT id, name FROM tickets_customer"))
        agents = {
            u: (f, t)
            for u, f, t in self.fetch(
                "SELECT u.id, u.first_name, at.team_id FROM auth_user u JOIN tickets_agentprofile ap ON ap.user_id = u.id LEFT JOIN tickets_agentprofile_teams at ON at.agentprofile_id = ap.id"
            )
        }
        team_agents: dict[int, list[int]] = {}
        for user, (_first, team) in agents.items():
            team_agents.setdefault(team, []).append(user)
        team_names = {i: name for i, (name, _t, _w) in enumerate(TEAMS, 1)}
        seen = array("H", bytes(2 * (plan.tickets + 1)))
        writer = Writer(rng, self.subjects)

        def rows():
            for mid, position in enumerate(order, 1):
                tid = owner[position]
                k = seen[tid]
                seen[tid] = k + 1
                channel, customer, assignee, team, subject, status = info[tid]
                yield writer.message(mid, tid, k, counts[tid], times[position], channel, customer,
                                     customers.get(customer, ""), assignee or rng.choice(team_agents.get(team) or [1]),
                                     agents, team_names.get(team, "Atendimento"), subject, status)  # fmt: skip

        copy_rows(cursor, Message, ["id", "ticket_id", "direction", "kind", "channel", "author_user_id",
                                    "author_customer_id", "subject", "body_text", "body_html", "external_id",
                                    "delivery_status", "delivery_error", "is_auto_reply", "threading_reason",
                                    "metadata", "created_at"],
                  rows(), len(order), "messages")  # fmt: skip

    # ---- stage: events ----------------------------------------------------------------------
    def events(self, cursor) -> None:
        """About two events per ticket (created, then how it ended or who took it), a survey
        answer on some closed tickets, and one event per message on the long tickets, whose page
        folds them into the messages."""
        rng = self.rng("events")
        long_ids = sorted(long_ticket_ids(self.plan))
        message_events = self.fetch(
            "SELECT ticket_id, id, direction, kind, channel, author_user_id, created_at "
            "FROM tickets_message WHERE ticket_id = ANY(%s) ORDER BY ticket_id, created_at",
            [long_ids],
        )
        usernames = dict(self.fetch("SELECT id, username FROM auth_user"))
        team_names = {i: name for i, (name, _t, _w) in enumerate(TEAMS, 1)}
        escalation = "Precisa de análise técnica da equipe especializada."
        auto_close = "Fechado automaticamente após 4 dias resolvido."
        tickets = self.stream(
            "SELECT id, status, priority, tier, channel, assignee_id, team_id, created_at, "
            "updated_at, solved_at, closed_at FROM tickets_ticket ORDER BY id"
        )

        def events():  # (ticket, kind, actor, before, after, reason, data, at)
            for (
                tid,
                status,
                prio,
                tier,
                channel,
                assignee,
                team,
                created,
                updated,
                solved,
                closed,
            ) in tickets:
                created_as = {"status": "new", "priority": "normal", "tier": "N1"}
                yield tid, "created", None, None, created_as, "", {"channel": channel}, created
                who = assignee and usernames.get(assignee)
                if tier != "N1" and rng.random() < 0.5:
                    before = {"tier": "N1", "team": "Atendimento Geral", "assignee": None}
                    after = {"tier": tier, "team": team_names.get(team), "assignee": None}
                    at = created + (updated - created) / 3
                    yield tid, "escalated", assignee, before, after, escalation, {}, at
                elif status in ("solved", "closed"):
                    yield tid, "status_changed", assignee, "open", "solved", "", {}, solved
                    if closed:
                        yield (
                            tid,
                            "status_changed",
                            None,
                            "solved",
                            "closed",
                            auto_close,
                            {},
                            closed,
                        )
                        if rng.random() < 0.12:
                            score = rng.choices((1, 2, 3, 4, 5), weights=(4, 3, 8, 25, 60))[0]
                            answer = {"survey": "csat", "score": score}
                            yield tid, "survey_answered", None, None, score, "", answer, closed
                elif who:
                    yield (
                        tid,
                        "assigned",
                        assignee,
                        None,
                        who,
                        "",
                        {},
                        created + (updated - created) / 4,
                    )
                else:
                    at = created + (updated - created) / 4
                    yield tid, "priority_changed", None, "normal", prio, "", {}, at
            for tid, mid, direction, kind, channel, author, at in message_events:
                outbound = direction == "outbound"
                event = (
                    "note_added"
                    if kind == "internal_note"
                    else "reply_sent"
                    if outbound
                    else "message_received"
                )
                data = {"message_id": mid, "channel": channel}
                yield tid, event, author if outbound else None, None, None, "", data, at

        def rows():
            as_json = lambda value: None if value is None else json.dumps(value, ensure_ascii=False)  # noqa: E731
            for n, (tid, kind, actor, before, after, reason, data, at) in enumerate(events(), 1):
                yield (
                    n,
                    tid,
                    kind,
                    actor,
                    as_json(before),
                    as_json(after),
                    reason,
                    json.dumps(data),
                    at,
                )

        columns = [
            "id",
            "ticket_id",
            "kind",
            "actor_id",
            "before",
            "after",
            "reason",
            "data",
            "created_at",
        ]
        total = int(self.plan.tickets * 2.1 + len(message_events))
        copy_rows(cursor, TicketEvent, columns, rows(), total, "ticket events")

    # ---- stage: tags ------------------------------------------------------------------------
    def tags(self, cursor) -> None:
        rng = self.rng("tags")
        tag_ids = {name: i for i, name in self.fetch("SELECT id, name FROM tickets_tag")}

        def rows():
            n = 0
            for tid, subject in self.stream("SELECT id, subject FROM tickets_ticket ORDER BY id"):
                if rng.random() >= self.plan.tagged_share:
                    continue
                topic = self.subjects.get(subject.split(" - pedido ")[0])
                chosen = set(topic.tags if topic else ())
                if rng.random() < 0.25:
                    chosen.add(rng.choice(EXTRA_TAGS))
                for name in sorted(chosen):
                    n += 1
                    yield (n, tid, tag_ids[name])

        copy_rows(
            cursor,
            Ticket.tags.through,
            ["id", "ticket_id", "tag_id"],
            rows(),
            int(self.plan.tickets * self.plan.tagged_share * 2.2),
            "ticket tags",
        )


def _placeholder_makers() -> dict[str, Callable[[random.Random], object]]:
    def day(r):
        return f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}"

    return {
        "pedido": lambda r: r.randint(100_000, 999_999),
        "fatura": lambda r: f"FAT-2025-{r.randint(1000, 99_999):05d}",
        "nf": lambda r: r.randint(10_000, 99_999), "nf2": lambda r: r.randint(10_000, 99_999),
        "valor": lambda r: f"R$ {r.randint(49, 4_999)},{r.randint(0, 99):02d}",
        "data": day, "data2": day,
        "hora": lambda r: f"{r.randint(8, 17)}h{r.randint(0, 59):02d}",
        "hora2": lambda r: f"{r.randint(8, 18)}h{r.randint(0, 59):02d}",
        "e2e": lambda r: f"E{r.getrandbits(120):030X}", "req": lambda r: f"{r.getrandbits(64):016x}",
        "erp": lambda r: r.choice(ERPS), "cidade": lambda r: r.choice(CITIES),
        "ip": lambda r: f"192.168.{r.randint(0, 20)}.{r.randint(20, 250)}",
        "rastreio": lambda r: f"QB{r.randint(10**8, 10**9 - 1)}BR",
        "protocolo": lambda r: f"2025{r.randint(100_000, 999_999)}",
        "cnpj": lambda r: f"{r.randint(10, 99)}.{r.randint(100, 999)}.{r.randint(100, 999)}/0001-{r.randint(10, 99)}",
        "versao": lambda r: f"{r.randint(3, 5)}.{r.randint(0, 12)}.{r.randint(0, 9)}",
        "numero": lambda r: r.randint(1001, 999_999), "dup": lambda r: r.randint(1001, 999_999),
        "obrigado": lambda r: r.choice(("Obrigado", "Obrigada")),
    }  # fmt: skip


PLACEHOLDERS = _placeholder_makers()
PLACEHOLDER_WORDS = {"usuario": "financeiro", "email": "contato@example.com", "equipe": "Suporte Técnico", "agente": "a equipe", "anterior": "o colega", "assunto_label": "atendimento", "assunto": "o mesmo assunto", "canal_dup": "WhatsApp", "canal_main": "por e-mail", "segmento": "ativo"}  # fmt: skip


class Placeholders(dict):
    """Values for the scenario texts' {placeholders}, made only when a text asks for them."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> object:
        maker = PLACEHOLDERS.get(key)
        value = maker(self.rng) if maker else PLACEHOLDER_WORDS.get(key, key)
        self[key] = value
        return value


class Writer:
    """Portuguese conversation text: the seed_demo scenarios, filled with per-message details
    (order numbers, invoices, amounts) so that full-text search has rare words to find."""

    def __init__(self, rng: random.Random, subjects: dict):
        self.rng = rng
        self.subjects = subjects
        self.role = weighted_picker(rng, {"customer": 45, "agent": 43, "note": 12})
        self.delivery = weighted_picker(rng, {"delivered": 50, "read": 40, "sent": 9, "failed": 1})

    def fill(self, text: str) -> str:
        if "{" not in text:
            return text
        try:
            return text.format_map(Placeholders(self.rng))
        except (IndexError, ValueError):
            return text

    def message(
        self,
        mid,
        tid,
        k,
        n,
        at,
        channel,
        customer,
        customer_name,
        agent,
        agents,
        team_name,
        subject,
        status,
    ):
        rng = self.rng
        topic = self.subjects.get(subject.split(" - pedido ")[0]) or TOPICS[tid % len(TOPICS)]
        scenario = rng.choice(topic.scenarios)
        first_name = (customer_name or "cliente").split(" ")[0]
        agent_first = agents.get(agent, ("Equipe", None))[0]
        written = channel in ("email", "web")
        if k == 0:
            role = "customer"
        elif k == n - 1 and status in ("solved", "closed"):
            role = "solution"
        else:
            role = self.role()
        metadata, body_html, external_id, delivery, reason = "{}", "", "", "", ""
        if role == "customer":
            if k == 0:
                core = scenario.opening
            else:
                core = rng.choice((*scenario.details, *CHASERS, *REOPEN_MESSAGES))
            extra = " ".join(rng.sample(FILLERS, rng.choice((0, 1, 1, 2))))
            text = self.fill(f"{core} {extra}".strip())
            if written:
                text = f"{rng.choice(GREETINGS)},\n\n{text}\n\n{rng.choice(SIGNOFFS)},\n{customer_name}"
            direction, kind, author_user, author_customer = "inbound", "message", None, customer
            external_id = (
                f"<{tid}.{mid}.{rng.getrandbits(32):08x}@mail.example>"
                if channel == "email"
                else (f"wamid.{mid:012d}" if channel == "whatsapp" else "")
            )
            reason = (
                "new conversation"
                if k == 0
                else (
                    f"reply to <{tid}.{mid - 1}@jornada.example>"
                    if channel == "email"
                    else f"open {channel} conversation"
                )
            )
            if channel == "email":
                body_html = (
                    "<div>"
                    + "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
                    + "</div>"
                )
                if k:
                    quoted = f"Em {ts(at - rng.uniform(1, 48) * HOUR)[:16]}, Jornada <suporte@jornada.example> escreveu:\n> {self.fill(rng.choice(topic.asks))}"
                    metadata = json.dumps(
                        {"reply_text": text, "quoted_text": quoted}, ensure_ascii=False
                    )
        elif role == "note":
            text = self.fill(rng.choice((*scenario.notes, *WORKING_NOTES, *MANAGER_NOTES)))
            direction, kind, author_user, author_customer = "outbound", "internal_note", agent, None
        else:
            if role == "solution":
                core = rng.choice((scenario.solution, *SECOND_SOLUTIONS))
            else:
                core = rng.choice((*topic.asks, scenario.solution))
            intro = self.fill(rng.choice(FIRST_REPLY_INTROS))
            text = self.fill(
                f"Olá, {first_name}! {intro} {core}\n\nAtenciosamente,\n{agent_first} · {team_name}"
            )
            direction, kind, author_user, author_customer = "outbound", "message", agent, None
            delivery = self.delivery()
        return (mid, tid, direction, kind, "email" if channel == "web" and direction == "outbound" else channel,
                author_user, author_customer, subject if written else "", text, body_html, external_id,
                delivery, "", False, reason, metadata, ts(at))  # fmt: skip


# -------------------------------------------------------------------------------------------
# Orchestration
# -------------------------------------------------------------------------------------------
STAGES: tuple[tuple[str, tuple, str], ...] = (
    # (name, tables it fills, method)
    ("people", (Team, User, AgentProfile, AgentProfile.teams.through, Organization, Customer, CustomerIdentity, Tag), "people"),
    ("tickets", (Ticket,), "tickets"),
    ("messages", (Message,), "messages"),
    ("events", (TicketEvent,), "events"),
    ("tags", (Ticket.tags.through,), "tags"),
)  # fmt: skip


def expected_counts(plan: Plan) -> dict[str, int]:
    return {
        "tickets_ticket": plan.tickets,
        "tickets_message": plan.messages,
        "tickets_customer": plan.customers,
    }


def refuse_foreign_database() -> None:
    """The load empties tables: never in a database holding tickets this benchmark did not load."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('tickets_ticket') IS NOT NULL, to_regclass('bench_ws_state') IS NULL"
        )
        has_tickets_table, foreign = cursor.fetchone()
        if has_tickets_table and foreign:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM tickets_ticket)")
            if cursor.fetchone()[0]:
                raise SystemExit(
                    f"{connection.settings_dict['NAME']} holds tickets this benchmark did not load: refusing to touch it."
                )


def same_plan(stored: dict | str, plan: Plan) -> bool:
    """Django hands jsonb back as text; a bare psycopg2 connection decodes it."""
    return (json.loads(stored) if isinstance(stored, str) else stored) == asdict(plan)


def dataset_ready(plan: Plan) -> dict | None:
    """The finished data set's record when it exists for this plan with the expected counts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_ws_state')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT stage, plan, seconds, anchor, finished_at FROM bench_ws_state")
        done = {row[0]: row for row in cursor.fetchall()}
        if "finish" not in done or not same_plan(done["finish"][1], plan):
            return None
        for table, count in expected_counts(plan).items():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            if cursor.fetchone()[0] != count:
                return None
    return {"seconds": sum(row[2] for row in done.values()), "anchor": done["finish"][3],
            "finished_at": done["finish"][4]}  # fmt: skip


def generate(plan: Plan, *, regenerate: bool = False, reload_from: str = "") -> float:
    """Load the data set (resuming an interrupted load; `reload_from` a stage reloads it and the
    stages after it); returns the seconds this call took."""
    started = time.perf_counter()
    refuse_foreign_database()
    raw = connection.get_new_connection(connection.get_connection_params())
    reader = connection.get_new_connection(connection.get_connection_params())
    try:
        with raw.cursor() as cursor:
            cursor.execute(STATE_SQL)
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SELECT stage, plan, anchor FROM bench_ws_state")
            done = {stage: (stored, anchor) for stage, stored, anchor in cursor.fetchall()}
            if regenerate or any(not same_plan(stored, plan) for stored, _a in done.values()):
                cursor.execute("DELETE FROM bench_ws_state")
                done = {}
            if reload_from:
                names = [name for name, _t, _m in STAGES]
                for name in names[names.index(reload_from) :]:
                    done.pop(name, None)
        raw.commit()
        anchor = next(iter(done.values()))[1] if done else time.time()
        generator = Generator(plan, reader, anchor)
        redo = False
        for name, tables, method in STAGES:
            if name in done and not redo:
                print(f"  {name}: already loaded")
                continue
            redo = True  # everything after a reloaded stage depends on it
            stage_started = time.perf_counter()
            with raw.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM bench_ws_state WHERE stage = %s OR stage = 'finish'", [name]
                )
                drop_indexes(cursor, tables)
            raw.commit()  # dropping a foreign key locks the table it points to: not while reading it
            with raw.cursor() as cursor:
                names = ", ".join(f'"{_table(t)}"' for t in tables)
                cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                getattr(generator, method)(cursor)
            raw.commit()
            reader.rollback()
            restore_indexes(raw)
            with raw.cursor() as cursor:
                cursor.execute("INSERT INTO bench_ws_state (stage, plan, seconds, anchor) VALUES (%s, %s, %s, %s)",
                               [name, json.dumps(asdict(plan)), time.perf_counter() - stage_started, anchor])  # fmt: skip
            raw.commit()
            print(f"  {name}: {time.perf_counter() - stage_started:.0f} s")
        restore_indexes(raw)  # anything a crashed run left dropped
        finish_started = time.perf_counter()
        with raw.cursor() as cursor:
            all_models = [m for _n, tables, _m in STAGES for m in tables]
            for statement in connection.ops.sequence_reset_sql(no_style(), all_models):
                cursor.execute(statement)
            cursor.execute(
                "SELECT setval(%s, (SELECT coalesce(max(number), 1000) FROM tickets_ticket))",
                [TICKET_NUMBER_SEQUENCE],
            )
        raw.commit()
        raw.autocommit = True
        with raw.cursor() as cursor:
            for model in tqdm(all_models, desc="  vacuum analyze", leave=False):
                cursor.execute(f'VACUUM (ANALYZE) "{_table(model)}"')
            cursor.execute("ANALYZE")
            cursor.execute("DELETE FROM bench_ws_state WHERE stage = 'finish'")
            cursor.execute("INSERT INTO bench_ws_state (stage, plan, seconds, anchor) VALUES ('finish', %s, %s, %s)",
                           [json.dumps(asdict(plan)), time.perf_counter() - finish_started, anchor])  # fmt: skip
        print(f"  vacuum, analyze, sequences: {time.perf_counter() - finish_started:.0f} s")
    finally:
        raw.close()
        reader.close()
    return time.perf_counter() - started


def shift_clock(anchor: float) -> float | None:
    """Tickets keep their age relative to today: a data set loaded days ago would otherwise have
    every SLA overdue and nothing solved recently. Moves the tickets' times (not the messages')
    by the time elapsed since the load; returns the shift in days, or None when not needed."""
    elapsed = time.time() - anchor
    if elapsed < DAY / 2:
        return None
    columns = [
        f.column for f in Ticket._meta.concrete_fields if isinstance(f, models.DateTimeField)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET "
            + ", ".join(f'"{c}" = "{c}" + make_interval(secs => %s)' for c in columns),
            [elapsed] * len(columns),
        )
        cursor.execute("UPDATE bench_ws_state SET anchor = anchor + %s", [elapsed])
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE) tickets_ticket")  # no half-dead table
    return elapsed / DAY
