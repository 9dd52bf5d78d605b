"""NetBox-style: `id`, `url`, `display`, `created` and `last_updated` are
the server's (read-only, ignored when sent); `status` is read nested
({"value", "label"}) and written flat; a foreign key (`tenant`, `vrf`) is
read nested ({"id", "url", "display", "name", ...}, NetBox's nested
serializers) and written as the id (an {"id": ...} mapping is taken too);
an id that names no row is DRF's 400 ("Invalid pk ..."); the rest is
written as given."""
from rest_framework import serializers

from .models import VRF, IPAddress, Prefix, Tenant

# the API path of each model, as ipam/urls.py routes it
PATHS = {Tenant: "/api/tenancy/tenants/", VRF: "/api/ipam/vrfs/",
         Prefix: "/api/ipam/prefixes/", IPAddress: "/api/ipam/ip-addresses/"}


def object_url(serializer_field, obj):
    request = serializer_field.context.get("request")
    path = "%s%d/" % (PATHS[type(obj)], obj.pk)
    return request.build_absolute_uri(path) if request else path


class NestedChoiceField(serializers.ChoiceField):
    """NetBox's choice fields: read as {"value", "label"}, written as the
    value (a {"value": ...} mapping is taken too)."""

    def to_representation(self, value):
        return {"value": value, "label": self.choices.get(value, value)}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("value")
        return super().to_internal_value(data)


class NestedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key as NetBox shows it: the related row's id, url,
    display and name (and `extra`, its slug or rd); written as the id."""

    def __init__(self, extra=(), **kwargs):
        self.extra = extra
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        out = {"id": value.pk, "url": object_url(self, value),
               "display": str(value), "name": value.name}
        out.update((f, getattr(value, f)) for f in self.extra)
        return out

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("id")
        return super().to_internal_value(data)


def tenant_field():
    return NestedRelatedField(queryset=Tenant.objects.all(), extra=("slug",))


def vrf_field():
    return NestedRelatedField(queryset=VRF.objects.all(), extra=("rd",))


class Base(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()
    SERVER_FIELDS = ["id", "url", "display", "created", "last_updated"]

    def get_url(self, obj):
        return object_url(self, obj)

    def get_display(self, obj):
        return str(obj)


class TenantSerializer(Base):
    class Meta:
        model = Tenant
        fields = Base.SERVER_FIELDS + ["name", "slug", "description"]
        read_only_fields = Base.SERVER_FIELDS


class VRFSerializer(Base):
    tenant = tenant_field()

    class Meta:
        model = VRF
        fields = Base.SERVER_FIELDS + ["name", "rd", "tenant", "description"]
        read_only_fields = Base.SERVER_FIELDS


class InVRFSerializer(Base):
    vrf = vrf_field()
    tenant = tenant_field()


def in_vrf_fields(*own):
    return Base.SERVER_FIELDS + [own[0], "vrf", "tenant", "status"] + \
        list(own[1:]) + ["description"]


class PrefixSerializer(InVRFSerializer):
    status = NestedChoiceField(choices=Prefix.STATUS, required=False)

    class Meta:
        model = Prefix
        fields = in_vrf_fields("prefix")
        read_only_fields = Base.SERVER_FIELDS


class IPAddressSerializer(InVRFSerializer):
    status = NestedChoiceField(choices=IPAddress.STATUS, required=False)

    class Meta:
        model = IPAddress
        fields = in_vrf_fields("address", "dns_name")
        read_only_fields = Base.SERVER_FIELDS
