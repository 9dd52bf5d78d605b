"""One model, one viewset, served under several prefixes that differ only
in their pagination class (ipam/pagination.py):

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

urlpatterns = []
for prefix, viewset in routes.items():
    router = DefaultRouter(trailing_slash=True)
    router.register("ip-addresses", viewset, basename="%s-ipaddress" % prefix)
    urlpatterns.append(path("api/%s/" % prefix, include(router.urls)))
