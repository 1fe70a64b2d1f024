"""tools.profile_iter: every layer's forward and backward timed, shares of
the iteration, the rest outside the layers."""
from tools import profile_iter


def test_every_layer_pass_is_timed_and_the_report_adds_up():
    spent, total = profile_iter.profile("hog", size=64, iters=2)
    layers = {name for name, _, _ in spent}
    assert {"magnitude", "cells", "blocks"} <= layers
    assert {which for _, _, which in spent} == {"forward", "backward"}
    assert all(s > 0 for s in spent.values()) and 0 < sum(spent.values()) < total
    text = profile_iter.report("hog", None, 1, 64, spent, total, top=3)
    rows = [line for line in text.split("\n") if line.startswith("| ") and " % |" in line]
    assert len(rows) == 3 + 1 + len({(k, w) for _, k, w in spent})  # top 3, rest, kinds
    assert "HardCells" in text and "(rest: loss, priors, step)" in text


def test_an_unknown_layer_is_one_line_naming_it(capsys):
    assert profile_iter.main(["hog", "fc8"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m tools.profile_iter: error: representation 'hog' has no layer "
                          "'fc8'") and "Traceback" not in err
