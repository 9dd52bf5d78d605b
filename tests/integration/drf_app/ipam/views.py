"""One ModelViewSet per pagination class (netbox_like/urls.py)."""
from rest_framework import viewsets

from . import pagination
from .models import IPAddress
from .serializers import IPAddressSerializer


class LimitOffsetViewSet(viewsets.ModelViewSet):
    queryset = IPAddress.objects.all()
    serializer_class = IPAddressSerializer
    filterset_fields = ["vrf", "status"]
    pagination_class = pagination.LimitOffset


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
