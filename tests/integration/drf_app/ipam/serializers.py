"""NetBox-style: `id`, `url`, `display`, `created` and `last_updated` are
the server's (read-only, ignored when sent); the rest is written as
given."""
from rest_framework import serializers

from .models import IPAddress


class IPAddressSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    display = serializers.CharField(source="address", read_only=True)

    class Meta:
        model = IPAddress
        fields = ["id", "url", "display", "address", "vrf", "status",
                  "dns_name", "description", "created", "last_updated"]
        read_only_fields = ["id", "url", "display", "created",
                            "last_updated"]

    def get_url(self, obj):
        request = self.context.get("request")
        path = "/api/ipam/ip-addresses/%d/" % obj.pk
        return request.build_absolute_uri(path) if request else path
