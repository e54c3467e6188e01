"""bench/baseline.py: gate baselines only ever tighten unless forced."""

from bench.baseline import tighten


def test_floors_rise_and_never_fall_unless_forced():
    floors, changes, worse = tighten({"f1": 0.8765, "recall": 0.5}, {"f1": 0.80, "recall": 0.60}, ["f1", "recall"], False)
    assert floors == {"f1": 0.87, "recall": 0.60} and worse
    assert any("recall: measured 0.5000 is below the floor 0.60" in c for c in changes)
    floors, _, worse = tighten({"recall": 0.5}, {"recall": 0.60}, ["recall"], True)
    assert floors == {"recall": 0.5} and not worse


def test_ceilings_fall_and_never_rise_unless_forced_and_unmeasured_keys_keep_their_bound():
    ceilings, _, worse = tighten({"spurious": 9}, {"spurious": 13}, ["spurious"], False, ceiling=True)
    assert ceilings == {"spurious": 9} and not worse
    ceilings, _, worse = tighten({"spurious": 20}, {"spurious": 13}, ["spurious"], False, ceiling=True)
    assert ceilings == {"spurious": 13} and worse
    floors, changes, worse = tighten({}, {"date": 0.9}, ["date"], False)
    assert floors == {"date": 0.9} and not worse and "not measured" in changes[0]
