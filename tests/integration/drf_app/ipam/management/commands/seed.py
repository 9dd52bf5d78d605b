"""manage.py seed: the API's user and token, and records in bulk.

    seed --token KEY [--id-offset N] [--vrf NAME --count N]...

--id-offset N makes every table's ids start after N (SQLite's
sqlite_sequence), so that two servers ("sites") give the same records
different ids. Each --vrf/--count pair adds a VRF of that name and N
addresses 10.S.x.y in it (S: the pair's index from 1), in one
bulk_create."""
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import connection
from rest_framework.authtoken.models import Token

from ipam.models import VRF, IPAddress, Prefix, Tenant


def offset_ids(offset):
    with connection.cursor() as cur:
        for model in (Tenant, VRF, Prefix, IPAddress):
            table = model._meta.db_table
            cur.execute("DELETE FROM sqlite_sequence WHERE name = %s",
                        [table])
            cur.execute("INSERT INTO sqlite_sequence (name, seq) "
                        "VALUES (%s, %s)", [table, offset])


class Command(BaseCommand):
    help = "Create the API user and token, and IP addresses in bulk"

    def add_arguments(self, parser):
        parser.add_argument("--token", required=True)
        parser.add_argument("--id-offset", type=int, default=0)
        parser.add_argument("--vrf", action="append", default=[])
        parser.add_argument("--count", action="append", type=int, default=[])

    def handle(self, *args, **opts):
        user, _ = User.objects.get_or_create(username="trueup")
        Token.objects.get_or_create(user=user, key=opts["token"])
        if opts["id_offset"]:
            offset_ids(opts["id_offset"])
        rows = []
        for n, (name, count) in enumerate(zip(opts["vrf"], opts["count"])):
            vrf = VRF.objects.create(name=name)
            for i in range(count):
                rows.append(IPAddress(
                    address="10.%d.%d.%d/32" % (n + 1, i // 250, i % 250 + 1),
                    vrf=vrf, status="active",
                    dns_name="h%d.%s.example.org" % (i, name),
                    description=""))
        IPAddress.objects.bulk_create(rows, batch_size=2000)
