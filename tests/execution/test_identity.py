"""TrialStates numbers trials in the order Tune created them, whichever worker starts first.

Plain fakes of Tune's trials: numbering is driver-side bookkeeping, no Ray needed.
"""

from __future__ import annotations

from types import SimpleNamespace

from raysweep.execution.recording._identity import TrialStates


def _trial(ray_id: str, x: float = 0.0) -> SimpleNamespace:
    return SimpleNamespace(trial_id=ray_id, config={"x": x},
                           run_metadata=SimpleNamespace(num_failures=0))


def _start(states: TrialStates, trials: list, trial: SimpleNamespace) -> int:
    """What the store callback's ``on_trial_start`` does: number Tune's list, then take the state."""
    states.number(trials)
    return states.state(trial).index


def test_searcher_trials_keep_their_creation_order_when_they_start_out_of_order():
    """A searcher's trials have random ids: the index is their place in Tune's list."""
    states = TrialStates("s", prior={})
    trials = [_trial("a1b2c3d4", 0.1), _trial("ffee0011", 0.2), _trial("0badcafe", 0.3)]
    assert _start(states, trials, trials[2]) == 2
    assert _start(states, trials, trials[0]) == 0
    assert _start(states, trials, trials[1]) == 1


def test_trials_added_later_number_on_after_the_earlier_ones():
    states = TrialStates("s", prior={})
    trials = [_trial("aaaa0001", 1), _trial("aaaa0002", 2)]
    assert _start(states, trials, trials[1]) == 1
    trials += [_trial("bbbb0003", 3), _trial("bbbb0004", 4)]
    assert _start(states, trials, trials[3]) == 3
    assert _start(states, trials, trials[0]) == 0
    assert _start(states, trials, trials[2]) == 2


def test_a_released_trial_leaving_the_list_does_not_renumber_the_rest():
    """raysweep's trimming drops ended trials from Tune's list: the indexes already given stay."""
    states = TrialStates("s", prior={})
    trials = [_trial("aaaa0001", 1), _trial("aaaa0002", 2), _trial("aaaa0003", 3)]
    assert _start(states, trials, trials[0]) == 0
    states.end(trials[0])
    trials = [*trials[1:], _trial("cccc0004", 4)]
    assert _start(states, trials, trials[2]) == 3
    assert _start(states, trials, trials[1]) == 2
    assert _start(states, trials, trials[0]) == 1


def test_rays_counter_in_the_id_is_the_index_with_the_offset():
    """Grid and random search's ids end in Tune's counter; an extended run adds its offset."""
    states = TrialStates("s", prior={}, index_offset=10)
    trials = [_trial("train_00000", 0), _trial("train_00001", 1)]
    assert _start(states, trials, trials[1]) == 11
    assert _start(states, trials, trials[0]) == 10


def test_resumed_trials_keep_their_stored_index_and_new_ones_number_after_them():
    prior = {"old00001": {"trial_index": 5, "trial_id": "t5", "config_json": '{"x":5}',
                          "status": "running", "attempts": 1}}
    states = TrialStates("s", prior=prior)
    trials = [_trial("old00001", 5), _trial("new00002", 6), _trial("new00003", 7)]
    assert _start(states, trials, trials[2]) == 7
    assert _start(states, trials, trials[0]) == 5
    assert states.state(trials[0]).trial_id == "t5"
    assert _start(states, trials, trials[1]) == 6


def test_a_trial_never_numbered_is_numbered_on_first_sight():
    states = TrialStates("s", prior={})
    assert states.state(_trial("a1b2c3d4")).index == 0
    assert states.state(_trial("e5f6a7b8")).index == 1


def test_a_resumed_trial_continues_with_the_last_values_it_reported_before():
    """A metric the trial reported only before the driver died stays in its row (and is what the
    sweep's constraints read); another trial's metric (NaN in this row) is not its own."""
    prior = {"aaaa0001": {"trial_id": "t-1", "trial_index": 0, "attempts": 1, "status": "running",
                          "config_json": '{"x": 1}', "metric_best": 0.5, "metric_last": 0.7,
                          "last.loss": 0.7, "last.model_mb": 12.0, "last.other": float("nan")}}
    states = TrialStates("s", prior=prior)
    trial = _trial("aaaa0001", 1)
    state = states.state(trial)
    assert state.trial_id == "t-1" and (state.metric_best, state.metric_last) == (0.5, 0.7)
    assert state.last == {"loss": 0.7, "model_mb": 12.0}
