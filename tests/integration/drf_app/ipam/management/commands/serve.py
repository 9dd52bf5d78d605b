"""manage.py serve: runserver, plus the write log and a write delay.

    serve 127.0.0.1:PORT --noreload [--write-log FILE] [--write-delay-ms MS]

--write-log FILE appends every write request to FILE as a JSON line
(ipam/writelog.py); --write-delay-ms MS holds each write that long before
it is handled, so that concurrent writes overlap visibly. runserver answers
each request in a thread of its own."""
from django.conf import settings
from django.core.management.commands.runserver import Command as RunServer


class Command(RunServer):
    help = "runserver with a write log and a per-write delay"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--write-log", default="")
        parser.add_argument("--write-delay-ms", type=float, default=0.0)

    def handle(self, *args, **options):
        settings.WRITE_LOG = options.pop("write_log")
        settings.WRITE_DELAY_MS = options.pop("write_delay_ms")
        super().handle(*args, **options)
