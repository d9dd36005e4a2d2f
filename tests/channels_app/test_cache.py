"""channels_app.cache: SETs written without waiting for each answer."""

from django.core.cache import cache

from channels_app.cache import PipelinedSets


def test_pipelined_sets_are_read_back_by_the_cache_once_confirmed(db):
    marks = PipelinedSets()
    try:
        for n in range(3):
            marks.set(f"pipelined-test:{n}", f"<id-{n}@x>", timeout=60)
        marks.confirm()
    finally:
        marks.close()

    assert cache.get_many([f"pipelined-test:{n}" for n in range(3)]) == {
        f"pipelined-test:{n}": f"<id-{n}@x>" for n in range(3)
    }
    cache.delete_many([f"pipelined-test:{n}" for n in range(3)])
