"""nets.preprocess: x = scale * image - mean and back, for colour and grey
networks, mean colours and mean images."""
import numpy
import pytest

from nets.preprocess import GRAY_WEIGHTS, Preprocess, to_gray


def test_round_trip_and_mean_image():
    rng = numpy.random.default_rng(0)
    image = rng.random((2, 6, 8, 3)).astype(numpy.float32)
    prep = Preprocess([10.0, 20.0, 30.0])
    x = prep(image)
    assert x.shape == (2, 3, 6, 8) and x.dtype == numpy.float32
    numpy.testing.assert_allclose(x[1, 0, 2, 3], 255 * image[1, 2, 3, 0] - 10, rtol=1e-6)
    numpy.testing.assert_allclose(x[0, 2, 5, 7], 255 * image[0, 5, 7, 2] - 30, rtol=1e-6)
    numpy.testing.assert_allclose(prep.inverse(x), image, atol=1e-6)
    mean_image = rng.random((10, 12, 3)).astype(numpy.float32) * 255
    prep = Preprocess(mean_image.mean(axis=(0, 1)), mean_image=mean_image)
    x = prep(image[0])  # one (H, W, 3) image; the mean image is centre-cropped
    numpy.testing.assert_allclose(x[0, 1, 0, 0], 255 * image[0, 0, 0, 1] - mean_image[2, 2, 1],
                                  rtol=1e-5)
    numpy.testing.assert_allclose(prep.inverse(x)[0], image[0], atol=1e-5)
    with pytest.raises(ValueError, match="smaller than the input"):
        prep(rng.random((11, 12, 3)))
    with pytest.raises(ValueError, match=r"expected an image .* got shape \(6, 8, 4\)"):
        prep(rng.random((6, 8, 4)))


def test_grey_and_colour_meet_in_one_place():
    rng = numpy.random.default_rng(1)
    rgb, grey = rng.random((5, 6, 3)), rng.random((5, 6))
    colour_net = Preprocess([100.0, 110.0, 120.0])
    numpy.testing.assert_array_equal(colour_net.centred(grey),
                                     colour_net.centred(numpy.stack([grey] * 3, -1)))
    grey_net = Preprocess(0.5, scale=1.0, channels=1)
    z = grey_net.centred(rgb)
    assert z.shape == (1, 1, 5, 6) and z.dtype == numpy.float64
    numpy.testing.assert_allclose(z[0, 0], rgb @ numpy.array(GRAY_WEIGHTS) - 0.5, rtol=1e-15)
    numpy.testing.assert_allclose(grey_net.inverse(grey_net.centred(grey))[0], grey, rtol=1e-15)
    assert grey_net.unit == 1 / 255 and colour_net.unit == 1.0
    # MATLAB's rgb2gray on pure red, green, blue
    numpy.testing.assert_allclose(to_gray(numpy.eye(3)), GRAY_WEIGHTS)
    with pytest.raises(ValueError, match="1 \\(grey\\) or 3"):
        Preprocess(0.0, channels=2)
