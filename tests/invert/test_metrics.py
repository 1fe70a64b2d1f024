"""Both normalised-error definitions on hand-computed examples."""
import numpy
import pytest

from invert.metrics import normaliser, reconstruction_errors, summary

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
