"""Sweep specs to Ray Tune objects: searchers, schedulers, the guarded trainable."""
