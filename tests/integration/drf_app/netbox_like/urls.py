"""NetBox's routes for tenants, VRFs and prefixes, and the IP addresses
served under several prefixes that differ only in their pagination class
(ipam/pagination.py):

  /api/tenancy/tenants/       tenants (LimitOffsetPagination, as the rest
  /api/ipam/vrfs/             VRFs     of NetBox's API)
  /api/ipam/prefixes/         prefixes
  /api/ipam/ip-addresses/     LimitOffsetPagination (NetBox's)
  /api/page/ip-addresses/     PageNumberPagination (?page=&per_page=)
  /api/cursor/ip-addresses/   CursorPagination (an opaque cursor in `next`)
  /api/stripe/ip-addresses/   a cursor in the body (next_cursor, has_more)
  /api/cf/ip-addresses/       numbered pages, Cloudflare's result_info
  /api/bare/ip-addresses/     numbered pages, a bare JSON array, no total
"""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ipam import views

routes = {
    "ipam": views.LimitOffsetViewSet,
    "page": views.PageNumberViewSet,
    "cursor": views.CursorViewSet,
    "stripe": views.BodyCursorViewSet,
    "cf": views.CloudflareViewSet,
    "bare": views.BareViewSet,
}

tenancy = DefaultRouter(trailing_slash=True)
tenancy.register("tenants", views.TenantViewSet, basename="tenant")
urlpatterns = [path("api/tenancy/", include(tenancy.urls))]
for prefix, viewset in routes.items():
    router = DefaultRouter(trailing_slash=True)
    router.register("ip-addresses", viewset, basename="%s-ipaddress" % prefix)
    if prefix == "ipam":
        router.register("vrfs", views.VRFViewSet, basename="vrf")
        router.register("prefixes", views.PrefixViewSet, basename="prefix")
    urlpatterns.append(path("api/%s/" % prefix, include(router.urls)))
