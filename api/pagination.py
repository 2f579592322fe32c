"""Pages of results: numbered for the registers, a cursor for the journal (it only grows)."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "taille"
    max_page_size = 200


class JournalCursorPagination(CursorPagination):
    """Walk the journal by id (its order across streams): stable while events are appended."""

    page_size = 100
    page_size_query_param = "taille"
    max_page_size = 1000
    ordering = "id"
