"""invert.judge: another network classifies originals and reconstructions."""
import numpy
import pytest

from invert import judge
from invert.judge import Judge, pick
from weights_helpers import need_imagenet_images, need_weights


@pytest.mark.slow
def test_a_photo_agrees_with_itself_and_not_with_a_flat_grey():
    need_weights("squeezenet1_1")
    photo = numpy.asarray(__import__("PIL.Image").Image.open(need_imagenet_images()[3]),
                          numpy.float64) / 255
    grey = numpy.full((64, 64), 0.5)
    a_self, a_grey = Judge("squeezenet1_1").agreement(photo, [photo[::2, ::2], grey])
    assert a_self["top1"] and a_self["in_top5"] and a_self["top5"][0] == a_self["original_class"]
    assert not a_grey["in_top5"] and len(a_grey["top5"]) == 5


def test_the_judge_is_another_network_and_needs_its_weights(tmp_path, monkeypatch):
    assert judge.default_judge("squeezenet1_1") == "efficientnet_lite0"
    assert judge.default_judge("efficientnet_lite0") == "squeezenet1_1"
    assert judge.default_judge("hog") == "efficientnet_lite0"
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path))
    assert pick("vgg19") is None and pick("vgg19", "none") is None  # no weights: no judge
    with pytest.raises(ValueError, match="no weights for the judge 'squeezenet1_1'.*fetch"):
        pick("vgg19", "squeezenet1_1")
    with pytest.raises(ValueError, match="must be an ImageNet network"):
        Judge("hog")


def test_resize_keeps_the_range_and_makes_grey_rgb():
    out = judge.resize(numpy.linspace(0, 1, 30 * 40).reshape(30, 40), (16, 20))
    assert out.shape == (16, 20, 3) and 0 <= out.min() and out.max() <= 1
    assert numpy.array_equal(out[..., 0], out[..., 2])


def test_hog_and_dsift_reconstructions_are_judged_as_shown_stretched():
    faint = 0.5 + 0.01 * numpy.random.default_rng(0).standard_normal((20, 24))
    for name in ("hog", "hogb", "dsift"):  # codes without contrast: stretched, as displayed
        shown = judge.as_shown(name, faint)
        assert shown.min() == 0 and shown.max() == 1
        assert numpy.allclose(shown, (faint - faint.min()) / (faint.max() - faint.min()))
    colour = numpy.stack([faint] * 3, -1)
    assert judge.as_shown("squeezenet1_1", colour) is colour  # a CNN's: as it is
