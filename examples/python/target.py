"""examples/python/target.py -- the desired state the Python examples share.

A json-server style API at $API_URL (records at /records, bearer token in
$API_TOKEN, read by trueup from the environment), as a dict in the shape of
a desired-state file. `trueup.Reconciler("target.yaml", "records.yaml")`
takes the same as files.
"""

import os
from typing import Any


def document(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A desired state: the API at $API_URL and `records`."""
    return {
        "target": {
            "provider": "rest",
            "base_url": os.environ["API_URL"],
            "auth": {"type": "bearer", "token_env": "API_TOKEN"},
            "resource": {"list": "/records", "key": ["name", "type"],
                         "id": "id", "create": "POST /records",
                         "update": "PATCH /records/{id}",
                         "delete": "DELETE /records/{id}"},
        },
        "records": records,
    }


def hosts(prefix: str, n: int) -> list[dict[str, Any]]:
    """n A records named PREFIX-I.example.org. (their other fields, such
    as ttl, left as the API has them)."""
    return [{"name": "%s-%d.example.org." % (prefix, i), "type": "A",
             "content": "192.0.2.%d" % i} for i in range(1, n + 1)]
