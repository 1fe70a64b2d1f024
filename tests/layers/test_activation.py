"""layers.activation: ReLU, ReLU6, Dropout (the identity at inference)."""
import numpy as np
import pytest

from layers import Dropout, ReLU, ReLU6, activation
from minigrad import check_backward


def away_from(rng, shape, kinks, margin=0.05, scale=1.0):
    """Random values at least ``margin`` from every kink."""
    x = rng.standard_normal(shape) * scale
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.sign(x - k + 1e-12) * margin, x)
    return x


def test_relu():
    rng = np.random.default_rng(0)
    x = away_from(rng, (2, 3, 4, 5), [0.0])
    np.testing.assert_array_equal(ReLU().forward(x), np.where(x > 0, x, 0))
    check_backward(ReLU(), x)


def test_relu_in_chunks_equals_one_chunk_and_keeps_its_input(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 5)).astype(np.float32)
    dzdy = rng.standard_normal(x.shape).astype(np.float32)
    whole = ReLU()
    y, dzdx = whole.forward(x), whole.backward(dzdy)
    monkeypatch.setattr(activation, "CHUNK", 16)  # 14 chunks, the last one short
    kept = x.copy()
    part = ReLU()
    np.testing.assert_array_equal(part.forward(x), y)
    np.testing.assert_array_equal(part.backward(dzdy), dzdx)
    np.testing.assert_array_equal(x, kept)
    assert y.dtype == dzdx.dtype == np.float32 and (y[x < 0] == 0).all()


def test_relu6():
    rng = np.random.default_rng(1)
    x = away_from(rng, (2, 3, 4, 5), [0.0, 6.0], scale=5.0)
    assert (x > 6).any() and (x < 0).any()  # every branch is exercised
    np.testing.assert_array_equal(ReLU6().forward(x), np.where(x < 0, 0, np.where(x > 6, 6, x)))
    check_backward(ReLU6(), x)


def test_relu6_is_zero_past_both_kinks():
    x = np.array([-2.0, -0.5, 0.5, 3.0, 5.5, 6.5, 9.0]).reshape(1, 1, 1, 7)
    layer = ReLU6()
    np.testing.assert_array_equal(layer.forward(x).ravel(), [0, 0, 0.5, 3, 5.5, 6, 6])
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)).ravel(),
                                  [0, 0, 2, 2, 2, 0, 0])


def test_dropout_is_identity():
    x = np.random.default_rng(0).standard_normal((2, 3, 1, 1))
    np.testing.assert_array_equal(Dropout().forward(x), x)
    check_backward(Dropout(), x)


@pytest.mark.parametrize("layer", [ReLU(name="r"), ReLU6(name="r"), Dropout(name="r")])
def test_bad_input_names_the_layer(layer):
    with pytest.raises(ValueError, match="layer 'r'.*rank-4"):
        layer.forward(np.zeros((3, 4)))
