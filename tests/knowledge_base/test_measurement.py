"""Measurement: content gaps, and deflection (suggestions shown while writing a request, then
leaving without submitting it), reported as a rate."""

import datetime

import pytest
from django.utils import timezone

from knowledge_base import reports, services
from knowledge_base.models import Deflection, SearchMiss

pytestmark = pytest.mark.django_db


def shown(reader="r1", token="", ids=(1,), query="cancelar"):
    return services.deflection_record_shown(
        token=token, reader=reader, language="pt-br", query=query, article_ids=ids
    )


def test_searches_that_found_nothing_count_together_whatever_the_case_and_spaces():
    services.search_miss_record(query="Garantia Estendida", language="pt-br")
    services.search_miss_record(query="  garantia   estendida ", language="pt-br")
    services.search_miss_record(query="garantia estendida", language="en")
    services.search_miss_record(query="   ", language="pt-br")

    counts = dict(SearchMiss.objects.values_list("language", "count"))
    assert counts == {"pt-br": 2, "en": 1}


def test_the_first_suggestions_open_a_record_and_later_ones_add_to_it():
    first = shown(ids=[1, 2])
    again = shown(token=first.token, ids=[2, 3], query="cancelar pedido")

    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.shown, again.article_ids, again.query) == (2, [1, 2, 3], "cancelar pedido")


def test_a_token_of_another_reader_opens_a_new_record():
    theirs = shown(reader="r1")

    mine = shown(reader="r2", token=theirs.token)

    assert mine.pk != theirs.pk
    assert len(mine.token) >= 32


def test_submitting_marks_the_record_once():
    deflection = shown()

    assert services.deflection_record_submitted(token=deflection.token)
    assert not services.deflection_record_submitted(token=deflection.token)
    assert not services.deflection_record_submitted(token="unknown")
    assert not services.deflection_record_submitted(token="")
    deflection.refresh_from_db()
    assert deflection.submitted_at is not None


def test_the_deflection_rate_counts_settled_sessions_that_showed_suggestions():
    now = timezone.now()
    old = now - datetime.timedelta(hours=1)

    def record(token, shown_count=1, submitted=None, at=old):
        Deflection.objects.create(
            token=token,
            reader="r",
            language="pt-br",
            shown=shown_count,
            created_at=at,
            updated_at=at,
            submitted_at=submitted,
        )

    record("left-1")
    record("left-2")
    record("left-3")
    record("submitted", submitted=old)
    record("nothing-shown", shown_count=0)
    record("still-typing", at=now - datetime.timedelta(minutes=5))
    record("submitted-just-now", submitted=now, at=now - datetime.timedelta(minutes=5))
    record("last-month", at=now - datetime.timedelta(days=40))

    report = reports.deflection_report(since=now - datetime.timedelta(days=30), now=now)

    assert (report.sessions, report.submitted, report.deflected) == (5, 2, 3)
    assert report.rate == pytest.approx(0.6)


def test_no_sessions_no_rate():
    assert reports.deflection_report(since=timezone.now()).rate is None
