"""NetBox-style: `id`, `url`, `display`, `created` and `last_updated` are
the server's (read-only, ignored when sent); `status` is read nested
({"value", "label"}) and written flat; the rest is written as given."""
from rest_framework import serializers

from .models import IPAddress


class NestedChoiceField(serializers.ChoiceField):
    """NetBox's choice fields: read as {"value", "label"}, written as the
    value (a {"value": ...} mapping is taken too)."""

    def to_representation(self, value):
        return {"value": value, "label": self.choices.get(value, value)}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("value")
        return super().to_internal_value(data)


class IPAddressSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    status = NestedChoiceField(choices=IPAddress.STATUS, required=False)
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
