"""Both normalised-error definitions on hand-computed examples."""
import numpy
import pytest

from invert.metrics import normaliser, reconstruction_errors, summary, wilson_interval

# three codes in the plane: the origin, (3, 0) and (0, 4)
Y0 = [numpy.array([0.0, 0.0]), numpy.array([3.0, 0.0]), numpy.array([0.0, 4.0])]
Y = [numpy.array([1.0, 0.0]), numpy.array([3.0, 0.0]), numpy.array([0.0, 2.0])]


def test_paper_definition():
    # pairwise distances 3, 4, 5 -> N_Phi = 4
    assert normaliser(Y0, "paper") == pytest.approx(4.0)
    assert reconstruction_errors(Y, Y0) == pytest.approx([1 / 4, 0, 2 / 4])


def test_code_definition():
    # squared distances 9, 16, 25, each twice, plus three zeros: 100 / 9
    assert normaliser(Y0, "code") == pytest.approx(100 / 9)
    assert reconstruction_errors(Y, Y0, "code") == pytest.approx([9 / 100, 0, 36 / 100])


def test_codes_of_different_lengths_are_zero_padded():
    y0 = [numpy.array([3.0]), numpy.array([0.0, 4.0])]   # -> (3, 0), (0, 4)
    y = [numpy.array([3.0]), numpy.array([0.0, 1.0])]
    assert normaliser(y0) == pytest.approx(5.0)
    assert reconstruction_errors(y, y0) == pytest.approx([0, 3 / 5])


def test_summary_is_percent_with_sample_std():
    mean, std = summary([0.1, 0.2, 0.3])
    assert mean == pytest.approx(20.0) and std == pytest.approx(10.0)


def test_bad_inputs():
    with pytest.raises(ValueError):
        normaliser(Y0[:1])
    with pytest.raises(ValueError):
        reconstruction_errors(Y[:2], Y0)
    with pytest.raises(ValueError):
        normaliser(Y0, "other")


def test_wilson_interval_by_hand():
    # 4 of 20, z = 1.96: p = 0.2, z^2/n = 0.19208, scale 1.19208;
    # centre (0.2 + 0.09604) / 1.19208 = 0.248339,
    # half 1.96 sqrt(0.008 + 0.0024010) / 1.19208 = 0.167683
    assert wilson_interval(4, 20) == pytest.approx((0.080656, 0.416022), abs=2e-6)
    # no success: the interval starts at 0 and ends at (z^2/n) / (1 + z^2/n)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.19208 / 1.19208))
    # mirror image: k of n against n - k of n
    lo, hi = wilson_interval(17, 20)
    assert (1 - hi, 1 - lo) == pytest.approx(wilson_interval(3, 20))
    assert wilson_interval(20, 20) == pytest.approx((1 - 0.19208 / 1.19208, 1.0))
    # more trials, the same rate: narrower, and always around the rate
    narrow = wilson_interval(40, 200)
    assert narrow[0] > 0.080656 and narrow[1] < 0.416022 and narrow[0] < 0.2 < narrow[1]


def test_wilson_interval_bad_counts():
    for k, n in ((3, 2), (-1, 5), (0, 0)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(k, n)
