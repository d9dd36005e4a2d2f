"""Knowledge-base search benchmark on PostgreSQL: full-text search (the portal's search page) and
suggestions as one types (GET /api/v1/kb/suggest through Django's whole request stack), with
10,000 generated articles, beside a trivial indexed query (an article by primary key) as the
floor, measured in the same run.

    .venv/bin/python bench/bench_kb.py [--articles 10000] [--rounds 5] [--json PATH]

Uses its own PostgreSQL database (DATABASE_URL, default jornada_bench_kb: created and migrated)
and Redis database 10 (REDIS_URL, the throttle's cache; the suggest rate limit is lifted for the
run). Its articles (slugs starting with "bench-") are made once and kept while their number is
right. Targets (issue 11): search p95 under 30 ms, suggest p95 under 20 ms.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench_kb")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"
os.environ["JORNADA_KB_SUGGEST_RATE"] = "100000000/min"

from _database import ensure_database  # noqa: E402

if os.environ["DATABASE_URL"].startswith("postgres"):
    ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from _report import Report, add_json_argument  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from knowledge_base.models import Article  # noqa: E402
from knowledge_base.selectors import articles_search  # noqa: E402

REPORT = Report("kb")
DATA_VERSION = 2  # change it when the generated articles change: they are made again
# Words of an online shop's help center. An article is about a few of the topics and the rest of
# its text is common words: "pedidos" and "não" are in most articles, as in a real shop's FAQ.
_TOPICS = """pedido cancelamento entrega prazo frete transportadora rastreamento atraso endereço
troca devolução reembolso estorno garantia defeito pagamento boleto Pix cartão parcelamento nota
fiscal cadastro senha conta e-mail cupom desconto promoção estoque retirada loja embalagem etiqueta
correios aplicativo notificação fatura crédito débito chave QR código"""
_VERBS = "cancelar trocar devolver pagar acompanhar alterar receber emitir recuperar usar"
_FILLER = """o a os as de do da no na para com sem quando como você seu sua pelo pela até após antes
depois dias úteis site aplicativo atendimento conta minha meus pedidos clique escolha confirme
acesse veja também não pode deve será ainda sempre valor compra produto item"""
TOPICS, VERBS, FILLER = _TOPICS.split(), _VERBS.split(), _FILLER.split()
QUERIES = [
    "cancelar pedido",
    "cancelamento",
    "nota fiscal",
    "boleto vencido",
    "pix",
    "troca de tamanho",
    "entrega atrasada",
    "nao recebi meu pedido",
    "esqueci minha senha",
    "reembolso no cartão",
    "frete gratis",
    "garantia estendida de geladeira",
    "estorno",
    "como alterar o endereço de entrega",
    "cupom desconto não funciona",
    "parcelamento sem juros",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def load_articles(count: int, rng: random.Random) -> None:
    bench = Article.objects.filter(slug__startswith="bench-")
    if bench.count() == count and bench.filter(slug=f"bench-{DATA_VERSION}-0").exists():
        print(f"{count} bench articles already there")
        return
    bench.delete()
    began = time.perf_counter()
    batch = []
    for n in range(count):
        # An article is about one topic, touches two others, and now and then names any.
        topic, *others = rng.sample(TOPICS, 3)
        own = [topic, topic, *others]
        body_words = [
            rng.choice(own)
            if draw < 0.1
            else rng.choice(TOPICS)
            if draw < 0.13
            else rng.choice(FILLER)
            for draw in (rng.random() for _ in range(160))
        ]
        language = "en" if n % 10 == 9 else "pt-br"
        batch.append(
            Article(
                title=f"{rng.choice(VERBS).capitalize()} {topic} e {others[0]} ({n})",
                slug=f"bench-{DATA_VERSION}-{n}",
                language=language,
                summary=" ".join(
                    rng.choice(own if rng.random() < 0.2 else FILLER) for _ in range(25)
                ),
                body="\n\n".join(" ".join(body_words[i : i + 40]) for i in range(0, 160, 40)),
                status="draft" if n % 20 == 7 else "published",
                visibility="internal" if n % 10 == 3 else "public",
                views=rng.randrange(5000),
            )
        )
        if len(batch) == 1000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_base_article")
    print(f"loaded {count} articles in {time.perf_counter() - began:.1f} s")


def timed(function, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        function()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def as_typed(query: str) -> list[str]:
    """What the portal's form asks while the subject is typed: from the third letter on."""
    return [query[:end] for end in range(3, len(query) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    add_json_argument(parser)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    load_articles(options.articles, rng)
    ids = list(Article.objects.values_list("pk", flat=True)[:2000])

    def floor():
        Article.objects.filter(pk=rng.choice(ids)).values_list("title", flat=True).first()

    def search(query: str):
        return lambda: articles_search(query=query, language="pt-br", limit=10)

    client = Client(HTTP_HOST="127.0.0.1")

    def suggest(prefix: str):
        def call():
            response = client.get("/api/v1/kb/suggest", {"q": prefix, "lang": "pt-br"})
            assert response.status_code == 200, response.content

        return call

    typed = [prefix for query in QUERIES for prefix in as_typed(query)]
    for query in QUERIES:  # warm the caches once
        search(query)()
    suggest("pedido")()
    floor_ms, search_ms, suggest_ms = [], [], []
    for _ in range(options.rounds):
        floor_ms += timed(floor, 200)
        for query in QUERIES:
            search_ms += timed(search(query), 1)
        for prefix in typed:
            suggest_ms += timed(suggest(prefix), 1)

    matches = {q: len(articles_search(query=q, language="pt-br", limit=10_000)) for q in QUERIES}
    for name, values in (("floor", floor_ms), ("search", search_ms), ("suggest", suggest_ms)):
        print(
            f"{name}: {len(values)} calls, median {statistics.median(values):.2f} ms, "
            f"p95 {percentile(values, 0.95):.2f} ms, max {max(values):.2f} ms"
        )
    REPORT.baseline(
        "floor_p95",
        round(percentile(floor_ms, 0.95), 2),
        unit="ms",
        label="an article by primary key (p95)",
    )
    for key, values, label, target in (
        ("search", search_ms, "full-text search, 10 hits with snippets", "< 30 ms"),
        ("suggest", suggest_ms, "GET /api/v1/kb/suggest as one types", "< 20 ms"),
    ):
        for figure, value, target_of in (
            ("p95", percentile(values, 0.95), target),
            ("median", statistics.median(values), None),
        ):
            REPORT.result(
                f"{key}_{figure}",
                round(value, 2),
                unit="ms",
                label=f"{label} ({figure})",
                baseline="floor_p95",
                target=target_of,
            )
    REPORT.note(
        f"{options.articles} articles (90% pt-BR, 10% internal, 5% drafts); "
        f"{len(QUERIES)} searches x {options.rounds} rounds; {len(typed)} prefixes typed "
        f"x {options.rounds} rounds; matches per search: {matches}"
    )
    REPORT.write(options.json)


if __name__ == "__main__":
    main()
