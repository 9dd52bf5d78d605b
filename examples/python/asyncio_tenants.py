"""examples/python/asyncio_tenants.py -- trueup with asyncio.

Several reconcilers at once in one event loop (asyncio.gather: each run is
driven by its own task, with the loop's readiness waits, no thread), a plan
streamed result by result, and a run under asyncio.wait_for.

    API_URL=http://127.0.0.1:3000 API_TOKEN=... python3 asyncio_tenants.py
"""

import asyncio

import trueup
from target import document, hosts


async def main() -> None:
    teams = {name: trueup.AsyncReconciler(document(hosts(name, n)), name=name)
             for name, n in (("red", 4), ("green", 2), ("blue", 3))}

    plan = teams["red"].plan()
    async for result in plan:             # every record, once planned
        print("plan:", result.action, result.key)
    print(await plan)

    reports = await asyncio.gather(*(r.apply() for r in teams.values()))
    for name, report in zip(teams, reports):
        print("%s: %d created" % (name, report.created))

    # with a time limit: on timeout the run is cancelled and winds down first
    report = await asyncio.wait_for(
        teams["blue"].apply(match={"name": "blue-*"}, set={"ttl": 300}),
        timeout=60)
    print("blue: %d updated" % report.updated)

    # prune would delete the other teams' 7 records of 9: over 10%
    guarded = trueup.AsyncReconciler(
        {**document(hosts("green", 2)),
         "settings": {"max_deletes": 10, "min_existing": 1}})
    try:
        await guarded.apply(prune=True)
    except trueup.ThresholdExceeded as e:   # nothing was pushed
        print("refused:", e.kind.name)

asyncio.run(main())
