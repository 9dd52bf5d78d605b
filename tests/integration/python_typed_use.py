"""A typed use of the package trueup, for mypy --strict
(test_python_types.py checks it, then runs it against json-server at
$API_URL): every public name, with the types a program would give them.
Nothing here may need a cast or a `# type: ignore`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any, Optional

import trueup


def document(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"target": {"provider": "rest", "base_url": os.environ["API_URL"],
                       "resource": {"list": "/records", "key": ["name", "type"],
                                    "id": "id", "create": "POST /records",
                                    "update": "PATCH /records/{id}",
                                    "delete": "DELETE /records/{id}"}},
            "records": records}


def describe(result: trueup.Result) -> str:
    status: Optional[int] = result.http_status
    fields: dict[str, str] = result.key_fields
    changes: dict[str, dict[str, Any]] = result.changes
    return "%s %s %s %s %s %d %s" % (result.key, result.action, result.status,
                                     status, result.error, len(changes),
                                     sorted(fields))


def counts(report: trueup.Report) -> tuple[int, ...]:
    failed: list[trueup.Result] = report.failures()
    return (report.total, report.succeeded, report.skipped, report.failed,
            report.created, report.updated, report.deleted, len(failed))


def progress(phase: str, done: int, total: int) -> None:
    pass


def blocking() -> str:
    desired = [{"name": "typed.example.org.", "type": "A",
                "content": "192.0.2.7"}]
    r: trueup.Reconciler = trueup.Reconciler(document(desired), name="typed")
    plan: trueup.Report = r.plan(concurrency=2, progress=progress)
    report = r.apply(on_result=lambda res: print(describe(res)))
    text: str = r.export()
    kind: trueup.ErrorKind = trueup.ErrorKind.BAD_INPUT
    try:
        trueup.Reconciler({**document([]), "settings": {"concurency": 1}})
    except trueup.BadInput as e:
        kind = trueup.ErrorKind(e.kind)
    return "%s %s %d %s" % (counts(plan), counts(report), len(text), kind.name)


async def run_async() -> str:
    a = trueup.AsyncReconciler(document([]))
    run: trueup.Run[trueup.Report] = a.plan(prune=False, match={"type": "A"},
                                            set={"ttl": 60})
    seen: list[str] = [describe(res) async for res in run]
    report: trueup.Report = await run
    exported: str = await a.export(concurrency=1)
    return "%d %s %d" % (len(seen), report.mode, len(exported))


if __name__ == "__main__":
    print(blocking())
    print(asyncio.run(run_async()))
    print(trueup.__version__)
    sys.exit(0)
