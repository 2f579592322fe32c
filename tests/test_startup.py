"""A web process freezes what it loaded at start-up out of the garbage collector's walks."""

import gc

from background.startup import load_and_freeze


def test_the_loaded_code_is_frozen_out_of_the_collectors_walks():
    gc.unfreeze()
    try:
        load_and_freeze()
        frozen = gc.get_freeze_count()
        # The views are imported (the URLconf is loaded lazily otherwise), then frozen.
        assert frozen > 10_000
        assert "workflows.lists" in __import__("sys").modules
    finally:
        gc.unfreeze()
