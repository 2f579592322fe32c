"""Pages of results: numbered for the registers, a cursor for the journal (it only grows)."""

from rest_framework.pagination import CursorPagination, PageNumberPagination

from workflows.lists import KeysFirstPaginator


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "taille"
    max_page_size = 200


class KeysFirstPagePagination(PagePagination):
    """Numbered pages read keys first, then rows by key (``workflows.lists.page_rows``):
    for lists whose rows join many tables for display (the tasks)."""

    django_paginator_class = KeysFirstPaginator


class JournalCursorPagination(CursorPagination):
    """Walk the journal by id (its order across streams): stable while events are appended."""

    page_size = 100
    page_size_query_param = "taille"
    max_page_size = 1000
    ordering = "id"
