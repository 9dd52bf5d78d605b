"""DRF's own pagination classes, set up as NetBox sets its own (50 by
default, at most 1,000 a page whatever the client asks), plus two body
shapes other APIs use, built on DRF's classes."""
from collections import OrderedDict
from urllib.parse import parse_qs, urlparse

from rest_framework import pagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 1000


class LimitOffset(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = MAX_PAGE_SIZE


class PageNumber(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = MAX_PAGE_SIZE


class Cursor(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"


class BodyCursor(Cursor):
    """Stripe's shape: {"data": [...], "has_more": bool, "next_cursor": "..."};
    the cursor is DRF's own, taken out of its next link."""

    def get_paginated_response(self, data):
        link = self.get_next_link()
        cursor = parse_qs(urlparse(link).query).get("cursor", [None])[0] \
            if link else None
        return Response(OrderedDict([("data", data),
                                     ("has_more", cursor is not None),
                                     ("next_cursor", cursor)]))


class Cloudflare(PageNumber):
    """Cloudflare's shape: {"success", "result": [...], "result_info":
    {page, per_page, count, total_count, total_pages}}."""

    def get_paginated_response(self, data):
        page = self.page
        return Response(OrderedDict([
            ("success", True),
            ("result", data),
            ("result_info", OrderedDict([
                ("page", page.number),
                ("per_page", page.paginator.per_page),
                ("count", len(data)),
                ("total_count", page.paginator.count),
                ("total_pages", page.paginator.num_pages)]))]))


class Bare(PageNumber):
    """A bare JSON array: no count, no next link. A page past the last is
    still DRF's 404 "Invalid page."."""

    def get_paginated_response(self, data):
        return Response(data)
