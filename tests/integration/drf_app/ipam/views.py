"""The viewsets: tenants, VRFs and prefixes with NetBox's
LimitOffsetPagination, and IP addresses once per pagination class
(netbox_like/urls.py). Deleting a row that others still name answers 409
Conflict, as NetBox does (plain DRF would answer 500)."""
from django.db.models import ProtectedError
from rest_framework import status, viewsets
from rest_framework.response import Response

from . import filters, pagination
from .models import VRF, IPAddress, Prefix, Tenant
from .serializers import (IPAddressSerializer, PrefixSerializer,
                          TenantSerializer, VRFSerializer)


class NetBoxViewSet(viewsets.ModelViewSet):
    pagination_class = pagination.LimitOffset

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError as e:
            names = ", ".join(sorted(str(o) for o in e.protected_objects))
            return Response(
                {"detail": "Unable to delete object. %d dependent objects "
                           "were found: %s" % (len(e.protected_objects),
                                               names)},
                status=status.HTTP_409_CONFLICT)


class TenantViewSet(NetBoxViewSet):
    queryset = Tenant.objects.all()
    serializer_class = TenantSerializer
    filterset_fields = ["name", "slug"]


class VRFViewSet(NetBoxViewSet):
    queryset = VRF.objects.select_related("tenant")
    serializer_class = VRFSerializer
    filterset_class = filters.VRFFilter


class PrefixViewSet(NetBoxViewSet):
    queryset = Prefix.objects.select_related("vrf", "tenant")
    serializer_class = PrefixSerializer
    filterset_class = filters.PrefixFilter


class LimitOffsetViewSet(NetBoxViewSet):
    queryset = IPAddress.objects.select_related("vrf", "tenant")
    serializer_class = IPAddressSerializer
    filterset_class = filters.IPAddressFilter


class PageNumberViewSet(LimitOffsetViewSet):
    pagination_class = pagination.PageNumber


class CursorViewSet(LimitOffsetViewSet):
    pagination_class = pagination.Cursor


class BodyCursorViewSet(LimitOffsetViewSet):
    pagination_class = pagination.BodyCursor


class CloudflareViewSet(LimitOffsetViewSet):
    pagination_class = pagination.Cloudflare


class BareViewSet(LimitOffsetViewSet):
    pagination_class = pagination.Bare
