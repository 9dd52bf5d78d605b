"""examples/fastapi/app.py -- a web service that reconciles on request.

A FastAPI app (Debian's python3-fastapi, served by uvicorn) that keeps a
REST API's records as its clients ask: each request carries the records
wanted, and the app reconciles the API with them through
trueup.AsyncReconciler, in the server's own event loop: many requests
reconcile at once without a thread each.

    POST /plan      {"records": [...]}   -> the report (never writes)
    POST /apply     {"records": [...]}   -> the report
    POST /apply/stream                   -> one JSON line per record as it is
                                            done, then the report's counts

The body may also carry "defaults" (as a desired-state file's) and "prune"
(true/false; absent: as the target's settings say).

The target (where the API is, how to authenticate: a desired-state
document's `target` and `settings`, as JSON) comes from the file named by
TRUEUP_TARGET; its secrets from the environment (`token_env`). Errors map
to HTTP statuses: bad input 422, the API could not be read 502, a safety
threshold 409; the body's "detail" is trueup's message, free of secrets.

Run it (PYTHONPATH: where the build put the package trueup):

    PYTHONPATH=build/python TRUEUP_TARGET=examples/fastapi/target.json \\
        python3 -m uvicorn --app-dir examples/fastapi app:app --port 8000

(./examples/fastapi/run.sh does it all against a local json-server.)
"""

import json
import os
from typing import Any, AsyncIterator, Dict, List, Optional

from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

import trueup

app = FastAPI(title="trueup example: reconcile on request")


class Desired(BaseModel):
    records: List[Dict[str, Any]]
    defaults: Dict[str, Any] = {}
    prune: Optional[bool] = None


def target_document() -> Dict[str, Any]:
    with open(os.environ["TRUEUP_TARGET"]) as f:
        doc: Dict[str, Any] = json.load(f)
    return doc


def reconciler(body: Desired) -> trueup.AsyncReconciler:
    """An AsyncReconciler for the configured target and the body's records
    (HTTP 422 for records trueup rejects)."""
    doc = dict(target_document(), records=body.records)
    if body.defaults:
        doc["defaults"] = body.defaults
    try:
        return trueup.AsyncReconciler(doc, name="request")
    except trueup.BadInput as e:
        raise HTTPException(status_code=422, detail=e.message)


STATUS = {trueup.ErrorKind.BAD_INPUT: 422, trueup.ErrorKind.FETCH: 502,
          trueup.ErrorKind.THRESHOLD: 409}


async def run(body: Desired, mode: str) -> Dict[str, Any]:
    r = reconciler(body)
    try:
        if mode == "plan":
            report = await r.plan(prune=body.prune)
        else:
            report = await r.apply(prune=body.prune)
    except trueup.Error as e:
        raise HTTPException(status_code=STATUS.get(e.kind, 500),
                            detail=e.message)
    return report.dict


@app.post("/plan")
async def plan(body: Desired) -> Dict[str, Any]:
    return await run(body, "plan")


@app.post("/apply")
async def apply(body: Desired) -> Dict[str, Any]:
    return await run(body, "apply")


@app.post("/apply/stream")
async def apply_stream(body: Desired) -> StreamingResponse:
    r = reconciler(body)
    job = r.apply(prune=body.prune)

    async def lines() -> AsyncIterator[str]:
        async for result in job:
            yield json.dumps(result.dict) + "\n"
        try:
            report = await job
        except trueup.Error as e:
            yield json.dumps({"error": e.message, "kind": e.kind.name}) + "\n"
        else:
            yield json.dumps({"report": report.counts}) + "\n"
    return StreamingResponse(lines(), media_type="application/x-ndjson")
