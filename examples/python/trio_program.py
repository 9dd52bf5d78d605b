"""examples/python/trio_program.py -- trueup in a Trio program.

Three teams' records reconciled at once in one Trio nursery (one thread,
no thread per run: each apply is driven by its own task with Trio's
readiness waits), each team's results streamed as the API answers. Then a
run under a deadline that is too short: the cancel scope cancels the
apply, trueup winds its job down (no new request; every record gets its
outcome) before the cancellation goes on, and a second apply converges.

    API_URL=http://127.0.0.1:3000 API_TOKEN=... python3 trio_program.py
"""

import trio

import trueup
from target import document, hosts


async def reconcile(team: str, n: int, done: dict[str, trueup.Report]) -> None:
    r = trueup.AsyncReconciler(document(hosts(team, n)), name=team)
    run = r.apply(concurrency=4)
    async for result in run:              # each record as it is done
        if result.status != "ok":
            print("  %s: %s %s %s" % (team, result.key, result.status,
                                      result.error or ""))
    done[team] = await run


async def main() -> None:
    done: dict[str, trueup.Report] = {}
    async with trio.open_nursery() as nursery:
        for team, n in (("alpha", 5), ("beta", 3), ("gamma", 4)):
            nursery.start_soon(reconcile, team, n, done)
    for team in sorted(done):
        print("%s: %d created, %d failed" % (team, done[team].created,
                                             done[team].failed))

    # A deadline that passes at once: the apply is cancelled, winds down,
    # and the scope catches the cancellation.
    r = trueup.AsyncReconciler(document(hosts("delta", 6)), name="delta")
    run = r.apply(concurrency=1)
    with trio.move_on_after(0) as scope:
        await run
    print("delta cancelled:", scope.cancelled_caught,
          "report cancelled:", run.report.cancelled if run.report else
          type(run.error).__name__)
    again = await r.apply()
    print("delta again: %d created, %d unchanged" % (again.created,
                                                      again.skipped))

trio.run(main)
