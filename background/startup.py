"""What a web process does once its code is loaded, before its first request.

A full collection of Python's cyclic garbage collector walks every object the process
holds: with Django, viewflow and the project loaded that is some 200,000 objects and
about 100 ms on the 2-core reference machine, paid by whichever request triggers it
(``benchmark_national`` measured p95 of « Mes actions » at 2–3 × its median, each outlier
being one such collection). The objects loaded at start-up live as long as the process:
``gc.freeze()`` moves them out of the collector's sight, so a collection walks only
what requests created (about 3 ms). Python's documentation recommends it for servers.
"""

import gc

from django.urls import get_resolver


def load_and_freeze() -> None:
    """Import every view (the URLconf imports them lazily, on the first request), then
    freeze what is loaded so that the garbage collector no longer walks it."""
    get_resolver().url_patterns  # noqa: B018 - the lookup imports the views
    gc.collect()
    gc.freeze()
