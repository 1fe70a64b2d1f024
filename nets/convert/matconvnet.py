"""MatConvNet SimpleNN ``.mat`` (MAT v5, read with scipy.io: the optional
extra ``invrep[convert]``) -> ours. E.g. ``imagenet-caffe-ref.mat``,
``imagenet-caffe-alex.mat``.

SimpleNN layout: ``layers`` is a cell array of structs with ``name``,
``type`` ('conv', 'relu', 'pool', 'normalize', 'softmax', ...) and, for
'conv', ``weights = {filters (kh, kw, in/groups, out), biases (out,)}``
(older files: fields ``filters`` and ``biases``); fully connected layers are
'conv' layers whose filters cover the whole input. The normalisation lives
in ``meta.normalization`` (older: ``normalization``): ``averageImage``
(H, W, 3) or a colour (1, 1, 3), ``imageSize``.

MatConvNet's own Caffe importer already permuted the first layer and the
average image from Caffe's BGR to RGB, so nothing is permuted here unless
``bgr=True`` (for a file known to be BGR). Layer names are kept ('conv1'...
'fc8' for CaffeNet); only conv layers carry weights.
"""
import numpy

from ..weights import check_shapes

from .common import ConversionError, bgr_to_rgb, from_hwio, write


def _field(struct, *names, default=None):
    for name in names:
        if hasattr(struct, name):
            return getattr(struct, name)
    return default


def read_matconvnet(path):
    """``([(name, filters, biases)], normalization struct or None)``."""
    try:
        import scipy.io
    except ImportError:
        raise ConversionError("reading MatConvNet .mat files needs scipy: "
                              "pip install 'invrep[convert]' (or pip install scipy)") from None
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
    except NotImplementedError as err:  # MAT v7.3 (HDF5) files
        raise ConversionError(f"{path}: {err}; save it as MAT v5 (-v7) in MATLAB") from err
    if "layers" not in mat:
        raise ConversionError(f"{path}: no 'layers' variable; not a SimpleNN model "
                              f"(DagNN models are not supported)")
    convs = []
    for layer in numpy.atleast_1d(mat["layers"]):
        if _field(layer, "type") != "conv":
            continue
        weights = _field(layer, "weights")
        if weights is not None and len(weights) >= 1:
            filters, biases = weights[0], (weights[1] if len(weights) > 1 else None)
        else:
            filters, biases = _field(layer, "filters"), _field(layer, "biases")
        if filters is None:
            raise ConversionError(f"{path}: conv layer '{_field(layer, 'name')}' has no filters")
        convs.append((str(_field(layer, "name")), filters, biases))
    meta = mat.get("meta")
    norm = _field(meta, "normalization") if meta is not None else mat.get("normalization")
    return convs, norm


def convert_matconvnet(src, dst, network, bgr=False, package="", shapes=None):
    """Convert to ``network`` (a ``nets.registry.Network``); ``shapes``
    overrides its kernel shapes (small test copies)."""
    architecture, shapes = network.name, shapes or network.shapes()
    convs, norm = read_matconvnet(src)
    if len(convs) != len(shapes):
        raise ConversionError(f"{src}: {len(convs)} conv layers {[c[0] for c in convs]}, "
                              f"but '{architecture}' has {len(shapes)}: {list(shapes)}")
    weights = {}
    for (name, filters, biases), (layer, (o, i, kh, kw)) in zip(convs, shapes.items()):
        # NOTE: loadmat's squeeze_me drops singleton axes (fc7's 1x1xCxO) but
        # keeps the order of the data, so reshaping to (kh, kw, in, out) is exact
        filters = numpy.asarray(filters, dtype=numpy.float32)
        if filters.size != o * i * kh * kw:
            raise ConversionError(f"{src}: layer '{name}' filters {filters.shape} do not fit "
                                  f"layer '{layer}' of '{architecture}' (kh, kw, in, out) = "
                                  f"{(kh, kw, i, o)}")
        weights[f"{layer}/w"] = from_hwio(filters.reshape(kh, kw, i, o), f"{src}:{name}")
        if biases is not None:
            weights[f"{layer}/b"] = numpy.asarray(biases, numpy.float32).reshape(-1)
    check_shapes(weights, shapes, src, architecture)
    average = numpy.asarray(_field(norm, "averageImage", default=numpy.zeros(3)), numpy.float32)
    if average.size == 3:
        mean_rgb, mean_image = average.reshape(3), None
    elif average.ndim == 3 and average.shape[2] == 3:
        mean_rgb, mean_image = average.mean(axis=(0, 1)), average
    else:
        raise ConversionError(f"{src}: averageImage of shape {average.shape} is neither "
                              f"a colour nor an (H, W, 3) image")
    if bgr:
        bgr_to_rgb(weights, next(iter(shapes)))
        mean_rgb = mean_rgb[::-1]
        mean_image = None if mean_image is None else mean_image[:, :, ::-1]
    size = numpy.asarray(_field(norm, "imageSize", default=network.input_size)).reshape(-1)[:2]
    return write(dst, weights, architecture, src, "nets.convert.matconvnet.convert_matconvnet",
                 mean_rgb, [int(s) for s in size], package=package, mean_image=mean_image)
