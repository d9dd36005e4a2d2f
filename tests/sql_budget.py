"""Counting the SQL a piece of work costs: statements (transaction control left out) and the
transactions it opened, with the after-commit callbacks it scheduled executed.

Inside a test the work's transactions are savepoints of the test's own transaction, so a
"transaction" here is a savepoint opened at the outermost level. Work done by a Celery task
(eager in tests) is counted apart, under the task's name, except for the tasks named `inline`:
that is how work queued as its own task (delivering an acknowledgement, syncing SLA clocks) is
reported separately from the path being measured. Statements run outside any atomic block
(autocommit reads, such as the drain's look for waiting events) count as statements, not as
transactions."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from celery import signals
from django.db import connection
from django.test import TestCase

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
INLINE = "inline"


@dataclass(repr=False)
class Budget:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    tasks: Counter = field(default_factory=Counter)  # task name -> statements

    def __repr__(self) -> str:
        lines = "\n".join(f"{i + 1:3}. {sql[:160]}" for i, sql in enumerate(self.statements))
        return (
            f"{len(self.statements)} statements, {self.transactions} transactions "
            f"(queued tasks: {dict(self.tasks)}):\n{lines}"
        )


@contextmanager
def sql_budget(*, inline_tasks: tuple[str, ...] = ()) -> Iterator[Budget]:
    budget = Budget()
    depth = 0
    running: list[str] = []

    def counted_here() -> str:
        outside = [name for name in running if name not in inline_tasks]
        return outside[-1] if outside else INLINE

    def count(execute, sql, params, many, context):
        nonlocal depth
        text = sql.lstrip()
        verb = text.split(None, 1)[0].upper() if text else ""
        where = counted_here()
        if verb == "SAVEPOINT":
            if depth == 0 and where == INLINE:
                budget.transactions += 1
            depth += 1
        elif verb == "RELEASE" or (verb == "ROLLBACK" and " TO " in text.upper()):
            depth -= 1
        elif verb not in CONTROL:
            if where == INLINE:
                budget.statements.append(text)
            else:
                budget.tasks[where] += 1
        return execute(sql, params, many, context)

    marks: list[int] = []

    def started(sender=None, **kwargs):
        running.append(sender.name)
        marks.append(len(connection.run_on_commit))

    def ended(sender=None, **kwargs):
        # What the task scheduled for after its commit (in a real worker: its own commit) is
        # the task's work too.
        name, start = running.pop(), marks.pop()
        pending = connection.run_on_commit
        for index in range(start, len(pending)):
            sids, func, robust = pending[index]
            pending[index] = (sids, _as_part_of(name, func), robust)

    def _as_part_of(name, func):
        def run():
            running.append(name)
            try:
                func()
            finally:
                running.pop()

        return run

    signals.task_prerun.connect(started, weak=False)
    signals.task_postrun.connect(ended, weak=False)
    try:
        # The wrapper outside: the callbacks run when the capture ends, and they count.
        with (
            connection.execute_wrapper(count),
            TestCase.captureOnCommitCallbacks(execute=True),
        ):
            yield budget
    finally:
        signals.task_prerun.disconnect(started)
        signals.task_postrun.disconnect(ended)
