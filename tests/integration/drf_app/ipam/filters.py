"""Query filters as NetBox names them: `tenant` (the slug), `tenant_id`,
`vrf_id`, `status`; `vrf` is the VRF's name here (NetBox's takes the rd),
so that tests can read the addresses of one seeded VRF by its name."""
import django_filters

from .models import VRF, IPAddress, Prefix


class ByTenant(django_filters.FilterSet):
    tenant = django_filters.CharFilter(field_name="tenant__slug")
    tenant_id = django_filters.NumberFilter(field_name="tenant_id")


class ByVRF(ByTenant):
    vrf = django_filters.CharFilter(field_name="vrf__name")
    vrf_id = django_filters.NumberFilter(field_name="vrf_id")


class VRFFilter(ByTenant):
    class Meta:
        model = VRF
        fields = ["name", "rd"]


class PrefixFilter(ByVRF):
    class Meta:
        model = Prefix
        fields = ["prefix", "status"]


class IPAddressFilter(ByVRF):
    class Meta:
        model = IPAddress
        fields = ["address", "status"]
