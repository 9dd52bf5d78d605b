"""examples/python/blocking.py -- trueup's blocking face.

Plan, apply with each record's outcome as it is known, a one-shot bulk
change, the errors, and cancel() from another thread.

    API_URL=http://127.0.0.1:3000 API_TOKEN=... python3 blocking.py
"""

import threading

import trueup
from target import document, hosts

r = trueup.Reconciler(document(hosts("web", 4)))
print(r)                                       # no secret in a repr

plan = r.plan()                                # never writes
print(plan)
for result in plan.results:
    print("  would", result.action, result.key)

report = r.apply(concurrency=8,
                 on_result=lambda res: print("  done:", res.key, res.status))
print("applied: %d succeeded, %d failed" % (report.succeeded, report.failed))

report = r.apply(match={"type": "A"}, set={"ttl": 600})   # --match / --set
print("bulk: %d updated" % report.updated)

try:
    trueup.Reconciler({**document([]), "settings": {"concurency": 8}})
except trueup.BadInput as e:                   # where, and what to do
    print("bad input:", e.kind.name, e)

# cancel() from another thread (here: once the first record is done): the
# run starts no new request and still returns its report, every record
# with its outcome (none is left half done).
big = trueup.Reconciler(document(hosts("bulk", 40)))
first = threading.Event()


def cancel_after_the_first() -> None:
    first.wait()
    big.cancel()


canceller = threading.Thread(target=cancel_after_the_first)
canceller.start()
report = big.apply(concurrency=1, on_result=lambda res: first.set())
canceller.join()
print("cancelled run: %d succeeded + %d failed of %d" % (
    report.succeeded, report.failed, report.total))
