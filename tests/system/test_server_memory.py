"""The running server keeps its start-up objects out of the garbage collector's full passes: each
full collection walked ~100,000 of them and stopped the hall for 50-90 ms (bench_events.py's
busy hall), every call in the queue waiting behind it."""
from __future__ import annotations

import gc


def test_start_up_objects_are_frozen_so_a_full_collection_walks_only_what_came_after(ctx):
    from server.api import create_app
    from server.runner import freeze_startup_objects
    create_app(ctx)
    gc.collect()  # earlier tests' garbage is not start-up objects
    before = len(gc.get_objects())
    try:
        frozen = freeze_startup_objects()
        assert frozen >= before * 0.9  # what lived at start-up, the app among it
        assert len(gc.get_objects()) < 0.05 * frozen  # a full pass now walks almost nothing
    finally:
        gc.unfreeze()
