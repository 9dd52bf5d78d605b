"""examples/python/anyio_any_loop.py -- trueup under AnyIO, on asyncio or Trio.

The same code on either library (the first argument: asyncio, the default,
or trio): an AnyIO task group runs two applies at once; the results of a
third stream through a memory object stream to another task.

    API_URL=http://127.0.0.1:3000 API_TOKEN=... python3 anyio_any_loop.py trio
"""

import sys

import anyio
from anyio.streams.memory import MemoryObjectSendStream

import trueup
from target import document, hosts


async def apply(name: str, n: int, out: dict[str, int]) -> None:
    report = await trueup.AsyncReconciler(document(hosts(name, n))).apply()
    out[name] = report.created


async def stream(send: MemoryObjectSendStream[trueup.Result]) -> None:
    async with send:
        async for result in trueup.AsyncReconciler(
                document(hosts("stream", 3))).apply():
            await send.send(result)


async def main() -> None:
    created: dict[str, int] = {}
    async with anyio.create_task_group() as tg:
        tg.start_soon(apply, "north", 3, created)
        tg.start_soon(apply, "south", 2, created)
    print("created:", sorted(created.items()))

    send, receive = anyio.create_memory_object_stream(10, item_type=trueup.Result)
    async with anyio.create_task_group() as tg:
        tg.start_soon(stream, send)
        async with receive:
            async for result in receive:
                print("streamed:", result.key, result.status)

anyio.run(main, backend=sys.argv[1] if len(sys.argv) > 1 else "asyncio")
