"""The trend detector: new tickets per channel, per tag and per subject cluster in one hour,
against the same hour of the previous weeks (so that a Monday-morning peak that comes every week
is no news). Two grouped queries, and the subjects of those hours' tickets (a few hours' worth,
whatever the table's size).

A subject cluster is the tickets whose subjects share significant words: each word (accents and
case folded, four letters or more, common words left out) is counted like a tag, and the words
that rose on mostly the same tickets ("sem internet no bairro centro": internet, bairro, centro)
make one alert."""

import math
import re
import statistics
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When

from tickets.models import Ticket

WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Rise:
    dimension: str
    value: str
    count: int
    baseline: float
    weeks: int


@dataclass(frozen=True)
class Thresholds:
    weeks: int = 4  # the baseline: the same hour in these many previous weeks
    min_count: int = 5  # fewer new tickets than this is never a trend
    ratio: float = 2.0  # at least this many times the baseline
    deviations: float = 3.0  # and this many standard deviations above it


def _windows(window_start: datetime, weeks: int) -> tuple[Q, Case]:
    """The hour and the same hour 1..weeks ago: the filter, and which of them (0 is the hour)."""
    starts = [window_start - week * WEEK for week in range(weeks + 1)]
    which = Case(
        *(
            When(created_at__gte=start, created_at__lt=start + HOUR, then=Value(index))
            for index, start in enumerate(starts)
        ),
        output_field=IntegerField(),
    )
    in_any = Q()
    for start in starts:
        in_any |= Q(created_at__gte=start, created_at__lt=start + HOUR)
    return in_any, which


def _counts(window_start: datetime, weeks: int, column: str) -> dict[str, list[int]]:
    """Per value of `column`: new tickets in the hour, then in the same hour 1..weeks ago."""
    in_any, which = _windows(window_start, weeks)
    rows = (
        Ticket.objects.filter(in_any)
        .exclude(**{f"{column}__isnull": True})
        .annotate(week=which)
        .order_by()
        .values_list(column, "week")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, list[int]] = {}
    for value, week, n in rows:
        counts.setdefault(value, [0] * (weeks + 1))[week] = n
    return counts


# Words of subjects that say nothing of what the ticket is about (folded, four letters or more).
COMMON_WORDS = frozenset(
    (
        "ajuda", "aqui", "assunto", "cliente", "como", "consigo", "desde", "dessa", "desse",
        "esta", "estao", "este", "estou", "favor", "hoje", "isso", "minha", "mais", "meus",
        "minhas", "muito", "nada", "nossa", "nosso", "obrigado", "obrigada", "ontem", "para",
        "pela", "pelo", "pode", "poderia", "porque", "preciso", "problema", "quando", "sobre",
        "suas", "tenho", "teve", "todo", "urgente", "voce", "voces", "about", "after", "also",
        "been", "cannot", "from", "have", "help", "hello", "issue", "need", "please", "problem",
        "still", "that", "their", "there", "this", "urgent", "what", "when", "with", "your",
    )
)  # fmt: skip
_WORD = re.compile(r"[a-z]{4,}")
_TICKET_TAG = re.compile(r"\[#\d+\]")
MIN_SHARED = 0.8  # words rising on this share of the same tickets are one cluster


def subject_words(subject: str) -> set[str]:
    decomposed = unicodedata.normalize("NFKD", _TICKET_TAG.sub(" ", subject or "").casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return {word for word in _WORD.findall(folded) if word not in COMMON_WORDS}


def _subject_counts(window_start: datetime, weeks: int) -> tuple[dict, dict[str, set[int]]]:
    """Per subject word: new tickets in the hour and in the same hour 1..weeks ago; and the
    hour's tickets of each word."""
    in_any, which = _windows(window_start, weeks)
    counts: dict[str, list[int]] = {}
    tickets: dict[str, set[int]] = {}
    rows = Ticket.objects.filter(in_any).annotate(week=which).values_list("pk", "subject", "week")
    for pk, subject, week in rows.iterator(chunk_size=2_000):
        for word in subject_words(subject):
            counts.setdefault(word, [0] * (weeks + 1))[week] += 1
            if week == 0:
                tickets.setdefault(word, set()).add(pk)
    return counts, tickets


def _rising(counts: dict[str, list[int]], thresholds: Thresholds):
    """(value, count now, baseline) of the values that rose unusually."""
    for value, (now, *before) in counts.items():
        baseline = statistics.fmean(before)
        spread = statistics.pstdev(before)
        needed = max(
            thresholds.min_count,
            math.ceil(baseline * thresholds.ratio),
            baseline + thresholds.deviations * max(spread, 1.0),
        )
        if now >= needed:
            yield value, now, baseline


def _clusters(rising: list[tuple[str, int, float]], tickets: dict[str, set[int]]) -> list:
    """The rising words grouped by the tickets they rose on: a word joins the first (largest)
    cluster with which it shares MIN_SHARED of its tickets (or the cluster of its). The value
    names the words, the largest first; count and baseline are the largest word's."""
    clusters: list[tuple[list[str], set[int], int, float]] = []
    for word, now, baseline in sorted(rising, key=lambda r: (-r[1], r[0])):
        mine = tickets.get(word, set())
        for words, theirs, _now, _baseline in clusters:
            shared = len(mine & theirs)
            if shared >= MIN_SHARED * min(len(mine), len(theirs)):
                words.append(word)
                break
        else:
            clusters.append(([word], mine, now, baseline))
    return [(" ".join(words)[:64], now, baseline) for words, _t, now, baseline in clusters]


def rises(*, window_start: datetime, thresholds: Thresholds = Thresholds()) -> list[Rise]:
    """The channels, tags and subject clusters whose new tickets in [window_start, +1 h) rose
    unusually: at least `min_count`, `ratio` times their baseline and `deviations` standard
    deviations above it."""
    found = []
    for dimension, column in (("channel", "channel"), ("tag", "tags__name")):
        counts = _counts(window_start, thresholds.weeks, column)
        for value, now, baseline in _rising(counts, thresholds):
            found.append(Rise(dimension, value, now, baseline, thresholds.weeks))
    counts, tickets = _subject_counts(window_start, thresholds.weeks)
    rising = list(_rising(counts, thresholds))
    for value, now, baseline in _clusters(rising, tickets):
        found.append(Rise("subject", value, now, baseline, thresholds.weeks))
    return found


def mute_key(dimension: str, value: str) -> tuple[str, str]:
    """What muting an alert silences: its channel or tag; a subject cluster's leading word
    (the cluster's other words may differ from one hour to the next)."""
    return (dimension, value.split()[0] if dimension == "subject" and value else value)
