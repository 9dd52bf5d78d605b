"""An IP address as NetBox's IPAM keeps it (a few of its fields)."""
from django.db import models


class IPAddress(models.Model):
    STATUS = [("active", "Active"), ("reserved", "Reserved"),
              ("deprecated", "Deprecated"), ("dhcp", "DHCP")]

    address = models.CharField(max_length=64, unique=True)
    vrf = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=STATUS, default="active")
    dns_name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=200, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
