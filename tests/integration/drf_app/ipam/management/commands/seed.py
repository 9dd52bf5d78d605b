"""manage.py seed: the API's user and token, and records in bulk.

    seed --token KEY [--vrf NAME --count N --start S]...

Each --vrf/--count pair adds N addresses 10.S.x.y in that vrf (S: the
pair's index unless --start), in one bulk_create."""
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from ipam.models import IPAddress


class Command(BaseCommand):
    help = "Create the API user and token, and IP addresses in bulk"

    def add_arguments(self, parser):
        parser.add_argument("--token", required=True)
        parser.add_argument("--vrf", action="append", default=[])
        parser.add_argument("--count", action="append", type=int, default=[])

    def handle(self, *args, **opts):
        user, _ = User.objects.get_or_create(username="trueup")
        Token.objects.get_or_create(user=user, key=opts["token"])
        rows = []
        for n, (vrf, count) in enumerate(zip(opts["vrf"], opts["count"])):
            for i in range(count):
                rows.append(IPAddress(
                    address="10.%d.%d.%d/32" % (n + 1, i // 250, i % 250 + 1),
                    vrf=vrf, status="active",
                    dns_name="h%d.%s.example.org" % (i, vrf),
                    description=""))
        IPAddress.objects.bulk_create(rows, batch_size=2000)
