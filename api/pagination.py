"""Cursor pagination: stable pages over lists that change while a client walks them."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-updated_at", "-id")


class IdCursorPagination(ApiCursorPagination):
    """In creation order, whatever the view's ordering filter says."""

    ordering = ("id",)

    def get_ordering(self, request, queryset, view):
        return self.ordering
