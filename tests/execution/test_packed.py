"""PackedTrialStates: Tune's snapshot cache with released trials' states deflated."""

from __future__ import annotations

import copy
import io
import json
import pickle

from raysweep.execution.durability._packed import PackedTrialStates


def _pair(i: int) -> tuple[str, str]:
    # The shape of a trimmed trial's compact JSON: mostly the same in every trial.
    state = json.dumps({"trial_id": f"{i:05d}", "storage": "80059" + "ab" * 900 + f"{i:05d}",
                        "config": {"x": i / 7}, "status": "TERMINATED"}, separators=(",", ":"))
    run_state = json.dumps({"last_result": {"score": i * 0.5, "trial_id": f"{i:05d}"},
                            "checkpoint_manager": "8005" + "cd" * 400}, separators=(",", ":"))
    return state, run_state


def _snapshot_bytes(cache: dict) -> str:
    out = io.StringIO()  # what Tune's save_to_dir writes of the cache
    json.dump({"trial_data": list(cache.values())}, out)
    return out.getvalue()


def test_packed_states_read_back_as_tunes_plain_pairs_in_order():
    plain = {f"{i:05d}": _pair(i) for i in range(50)}
    cache = PackedTrialStates()
    for trial_id, pair in plain.items():
        cache[trial_id] = pair  # as Tune caches a trial
    for i in range(0, 50, 2):  # released: packed in place, order kept
        cache.pack(f"{i:05d}", *_pair(i))

    assert cache.packed == 25
    assert list(cache) == list(plain)
    assert cache.values() == list(plain.values())
    assert cache.items() == list(plain.items())
    assert cache["00004"] == plain["00004"] and cache.get("00004") == plain["00004"]
    assert cache.get("missing", "default") == "default"
    assert _snapshot_bytes(cache) == _snapshot_bytes(plain)  # the snapshot file is unchanged


def test_a_packed_state_takes_a_fraction_of_its_json():
    cache = PackedTrialStates()
    for i in range(20):
        cache.pack(f"{i:05d}", *_pair(i))
    raw = sum(len(s) + len(r) for s, r in map(_pair, range(1, 20)))
    packed = sum(len(dict.__getitem__(cache, f"{i:05d}")) for i in range(1, 20))
    assert packed < raw / 8, (packed, raw)


def test_copies_and_pickles_hold_plain_pairs():
    cache = PackedTrialStates({"a": ("x", "y")})
    cache.pack("b", *_pair(1))
    for other in (pickle.loads(pickle.dumps(cache)), copy.copy(cache), copy.deepcopy(cache)):
        assert type(other) is dict
        assert other == {"a": ("x", "y"), "b": _pair(1)}
