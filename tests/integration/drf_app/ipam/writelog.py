"""The write log: every POST, PUT, PATCH and DELETE as one JSON line in the
file `manage.py serve --write-log FILE` names, written before the answer
leaves (so a client that has its answer finds the line there):

  {"start": 1796543210.123456, "end": 1796543210.175012, "method": "POST",
   "path": "/api/ipam/vrfs/", "status": 201, "id": 7,
   "refs": {"tenant": 3}, "body": {...}}

start and end are Unix times in seconds with microseconds: when the
request reached the view stack and when its answer was made, the write
delay (`--write-delay-ms`) inside, so that writes that run at the same time
show as overlapping intervals. `id` is the row written (the created row's,
from the answer, for a POST; the one in the path otherwise); `refs` the
foreign-key ids the body named (tenant, vrf), null ones left out."""
import json
import re
import threading
import time

from django.conf import settings

WRITES = ("POST", "PUT", "PATCH", "DELETE")
FOREIGN_KEYS = ("tenant", "vrf")
_ROW_IN_PATH = re.compile(r"/(\d+)/?$")
_lock = threading.Lock()


def _refs(body):
    if not isinstance(body, dict):
        return {}
    out = {}
    for name in FOREIGN_KEYS:
        value = body.get(name)
        if isinstance(value, dict):
            value = value.get("id")
        if value is not None:
            out[name] = value
    return out


def _row_id(request, response):
    data = getattr(response, "data", None)
    if request.method == "POST" and isinstance(data, dict):
        return data.get("id")
    m = _ROW_IN_PATH.search(request.path)
    return int(m.group(1)) if m else None


def _body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


class WriteLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in WRITES:
            return self.get_response(request)
        start = time.time()
        body = _body(request)
        delay = getattr(settings, "WRITE_DELAY_MS", 0)
        if delay:
            time.sleep(delay / 1000.0)
        response = self.get_response(request)
        line = {"start": round(start, 6), "end": round(time.time(), 6),
                "method": request.method, "path": request.path,
                "status": response.status_code,
                "id": _row_id(request, response), "refs": _refs(body),
                "body": body}
        path = getattr(settings, "WRITE_LOG", "")
        if path:
            with _lock, open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(line, sort_keys=True) + "\n")
        return response
