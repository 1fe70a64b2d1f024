"""layers.gradient: ImageGradient, ColourSelect, GradientNorm."""
import numpy
import pytest

from layers import ColourSelect, GradientNorm, ImageGradient
from minigrad import check_backward
from shallow_helpers import gradient_map, rng


@pytest.mark.parametrize("mode", ["hog", "dsift", "paper"])
def test_image_gradient(mode):
    x = rng().random((2, 3, 6, 7))
    check_backward(ImageGradient(mode), x, seed=1)
    g = ImageGradient(mode).forward(x)
    if mode == "hog":
        assert g[0, 0, 2, 3] == x[0, 0, 2, 4] - x[0, 0, 2, 2]
        assert (g[:, :, 0] == 0).all() and (g[:, :, :, -1] == 0).all()
    if mode == "dsift":
        assert g[1, 4, 0, 2] == x[1, 1, 1, 2] - x[1, 1, 0, 2]  # one-sided, no 1/2
        assert g[1, 4, 3, 2] == 0.5 * (x[1, 1, 4, 2] - x[1, 1, 2, 2])
    if mode == "paper":  # half-size central differences, zero padded
        assert g[0, 0, 2, 0] == 0.5 * x[0, 0, 2, 1]


def test_colour_select_picks_largest_gradient_first_on_ties():
    g = rng().standard_normal((2, 6, 4, 5))
    check_backward(ColourSelect(), g, seed=2)
    y = ColourSelect().forward(g)
    n2 = g[:, :3] ** 2 + g[:, 3:] ** 2
    best = n2.argmax(1)
    numpy.testing.assert_array_equal(y[:, 0], numpy.take_along_axis(g[:, :3], best[:, None], 1)[:, 0])
    tie = numpy.zeros((1, 6, 1, 1))
    tie[0, [0, 1, 3, 4], 0, 0] = [1, -1, 2, 2]  # channels 0 and 1 tie: channel 0 wins
    assert ColourSelect().forward(tie).ravel().tolist() == [1, 2]


@pytest.mark.parametrize("fast", [False, True])
def test_gradient_norm(fast):
    g = gradient_map()
    check_backward(GradientNorm(fast), g, seed=3)
    m = GradientNorm(fast).forward(g)
    numpy.testing.assert_allclose(m[:, 0], numpy.hypot(g[:, 0], g[:, 1]), rtol=5e-6)
    assert GradientNorm(True).forward(numpy.full((1, 2, 1, 1), 5e-5))[0, 0, 0, 0] == 0


@pytest.mark.parametrize("layer, shape, words", [
    (ImageGradient("hog"), (1, 1, 2, 5), "at least 3x3"),
    (ColourSelect(), (1, 3, 4, 4), "even"),
    (GradientNorm(), (1, 3, 4, 4), "(N, 2, H, W)")])
def test_bad_input_names_the_layer(layer, shape, words):
    with pytest.raises(ValueError, match=type(layer).__name__) as err:
        layer.out_shape(shape)
    assert words in str(err.value)
