"""Tune's events to rows of the Parquet store: the store callback and its row builders."""
