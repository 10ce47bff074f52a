"""Launching a run, resuming it and extending it: the run record, the cost estimate and the final summary."""
