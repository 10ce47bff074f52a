"""The snapshot gate in simulated steps (no Ray): which steps force Tune's snapshot, and when held
trial rows reach the writer. The controller is a fake that counts the snapshots asked of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from raysweep import results as R
from raysweep.execution.durability._gate import SnapshotGate

# The fake controller has none of Tune's sync machinery: the adapter says so once, as it should.
pytestmark = pytest.mark.filterwarnings("ignore::raysweep.execution._internals.RayInternalsWarning")


class FakeController:
    def __init__(self) -> None:
        self.snapshots = 0

    def checkpoint(self, force: bool = False, wait: bool = False) -> None:
        assert force and wait
        self.snapshots += 1


@dataclass(eq=False)
class FakeTrial:
    trial_id: str
    status: str = "RUNNING"
    config: dict = field(default_factory=dict)


@pytest.fixture
def gate(tmp_path):
    writer = R.RunWriter(str(tmp_path / "results"), sweep="g", run_id="r1", flush_interval_s=60)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "m",
                      "mode": "max"})
    gate = SnapshotGate(writer, share=1.0, spacing=19.0)  # every addition may be exact
    controller = FakeController()
    gate.start(controller)
    yield gate, controller
    writer.close()


def test_an_addition_in_the_step_that_released_a_trial_is_snapshotted(gate):
    """A release and an addition in one step leave Tune's list as long as before: the addition must
    still force a snapshot (a length comparison skipped it, and resume then lost the new trial)."""
    gate, controller = gate
    trials = [FakeTrial("t_00000"), FakeTrial("t_00001")]
    gate.step_end(trials)
    assert controller.snapshots == 1
    gate.step_end(trials)  # nothing new, nothing held: no snapshot
    assert controller.snapshots == 1
    trials[0].status = "TERMINATED"
    trials[:] = trials[1:]  # release_trials drops the ended trial from Tune's list, in place
    gate.note_released(1)
    trials.append(FakeTrial("t_00002"))  # ... and Tune adds a trial in the same step
    gate.step_end(trials)
    assert controller.snapshots == 2
    assert (gate.additions_exact, gate.additions_spaced) == (2, 0)


def test_a_release_alone_forces_no_snapshot(gate):
    gate, controller = gate
    trials = [FakeTrial("t_00000"), FakeTrial("t_00001")]
    gate.step_end(trials)
    trials[:] = trials[1:]
    gate.note_released(1)
    gate.step_end(trials)
    assert controller.snapshots == 1
    assert gate.additions_exact == 1


def test_held_rows_reach_the_writer_only_after_the_snapshot(gate):
    gate, controller = gate
    trials = [FakeTrial("t_00000")]
    gate.step_end(trials)
    gate.budget.share = 0.0  # no exact snapshots: held rows wait for a spaced one
    gate.budget.cost = 1e9  # ... which is not due for a long time
    row = {"trial_id": "a", "ray_trial_id": "t_00000", "trial_index": 0, "status": "completed",
           "config_json": "{}", "metric": "m", "iterations": 1, "attempts": 1}
    gate.hold(row, end_of=trials[0])
    gate.step_end(trials)
    gate.writer.flush()
    assert controller.snapshots == 1
    assert len(R.load_trials(gate.writer.root)) == 0  # held: the snapshot lacks the trial's end
    gate.budget.cost = 0.0  # now due
    gate.step_end(trials)
    gate.writer.flush()
    assert controller.snapshots == 2
    assert R.load_trials(gate.writer.root)["trial_id"].tolist() == ["a"]
