"""The loaded networks are the trained ones: agreement with PyTorch's float64
outputs in tests/data/pretrained.npz, and ImageNet top-5 on foolbox's 20
labelled validation images. Skipped (naming the fetch command) only when
the fetched files are absent."""
import os

import numpy
import pytest

from invert import load_network
from weights_helpers import DATA, WEIGHTS_DIR, need_imagenet_images, need_weights

REF = numpy.load(DATA / "pretrained.npz")
RTOL = 1e-4  # of each array's largest magnitude (float32 against float64)


def rel_error(y, ref):
    return float(numpy.abs(y - ref).max() / numpy.abs(ref).max())


def test_squeezenet_logits_match_reference():
    need_weights("squeezenet1_1")
    net, prep = load_network("squeezenet1_1", weights_dir=str(WEIGHTS_DIR))
    y = net.forward(prep(REF["images"])).reshape(2, 1000)
    assert rel_error(y, REF["squeezenet_logits"]) < RTOL
    numpy.testing.assert_array_equal(y.argmax(1), REF["squeezenet_logits"].argmax(1))


def test_vgg19_first_layers_match_reference():
    need_weights("vgg19")
    net, prep = load_network("vgg19", weights_dir=str(WEIGHTS_DIR))
    y0, y1, x0, x1 = REF["vgg_input_crop"]
    x = prep(REF["images"])[:, :, y0:y1, x0:x1]
    out = net.forward(x, until="relu2_1", return_all=True)
    # Keras's blockB_convI includes its ReLU
    for ours, keras in [("relu1_1", "block1_conv1"), ("relu1_2", "block1_conv2"),
                        ("pool1", "block1_pool"), ("relu2_1", "block2_conv1")]:
        assert rel_error(out[ours], REF[f"out_{keras}"]) < RTOL, ours


def top5_hits(name):
    files = need_imagenet_images()
    need_weights(name)
    net, prep = load_network(name, weights_dir=str(WEIGHTS_DIR))
    labels = [int(os.path.basename(f)[:-4].split("_")[-1]) for f in files]
    images = numpy.stack([prep.load_image(f) for f in files])
    logits = numpy.concatenate([net.forward(prep(images[i:i + 5])).reshape(-1, 1000)
                                for i in range(0, len(files), 5)])
    top5 = numpy.argsort(-logits, axis=1)[:, :5]
    return sum(label in row for label, row in zip(labels, top5))


@pytest.mark.slow
@pytest.mark.parametrize("name, at_least", [("squeezenet1_1", 15), ("efficientnet_lite0", 15)])
def test_top5_on_foolbox_imagenet_images(name, at_least):
    # measured: SqueezeNet 1.1 19/20, EfficientNet-Lite0 20/20 (LANCZOS resize)
    assert top5_hits(name) >= at_least
