"""NetBox's tenancy and IPAM models, a few of their fields each: tenants,
VRFs, prefixes and IP addresses. The foreign keys are real ones and, as in
NetBox, protect what they point at: a tenant or VRF still named by another
row cannot be deleted (the API answers 409, ipam/views.py)."""
from django.db import models


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["id"]


class Tenant(Stamped):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True, default="")

    def __str__(self):
        return self.name


class VRF(Stamped):
    name = models.CharField(max_length=100, unique=True)
    rd = models.CharField(max_length=21, unique=True, blank=True, null=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="vrfs")
    description = models.CharField(max_length=200, blank=True, default="")

    def __str__(self):
        return self.name


class InVRF(Stamped):
    """What prefixes and addresses share: a VRF, a tenant, a description."""
    vrf = models.ForeignKey(VRF, on_delete=models.PROTECT, null=True,
                            blank=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, null=True,
                               blank=True)
    description = models.CharField(max_length=200, blank=True, default="")

    class Meta(Stamped.Meta):
        abstract = True

    def __str__(self):
        return getattr(self, self.KEY)


class Prefix(InVRF):
    KEY = "prefix"
    STATUS = [("container", "Container"), ("active", "Active"),
              ("reserved", "Reserved"), ("deprecated", "Deprecated")]

    prefix = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=STATUS, default="active")


class IPAddress(InVRF):
    KEY = "address"
    STATUS = [("active", "Active"), ("reserved", "Reserved"),
              ("deprecated", "Deprecated"), ("dhcp", "DHCP")]

    address = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=STATUS, default="active")
    dns_name = models.CharField(max_length=255, blank=True, default="")
