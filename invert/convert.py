"""Convert weights of other frameworks to our HDF5 layout (weights/README.md).

    python -m invert.convert caffe MODEL.caffemodel [DEPLOY.prototxt] [--mean MEAN.binaryproto] -o weights/caffenet.h5
    python -m invert.convert matconvnet imagenet-caffe-ref.mat -o weights/caffenet.h5
    python -m invert.convert torchvision caffenet.pth [--preprocess torchvision|caffe] -o weights/caffenet.h5
    python -m invert.convert keras vgg19_weights.h5 -o weights/vgg19.h5
    python -m invert.convert ndf squeezenet_weights.pkl -o weights/squeezenet1_1.h5
    python -m invert.convert efficientnet efficientnet-lite0.pth -o weights/efficientnet_lite0.h5

``--arch`` picks the network of ``nets.registry`` that caffe, matconvnet
and torchvision files hold (default caffenet). ``-o`` defaults to
``$INVREP_WEIGHTS/<arch>.h5``. The result is loaded back and checked before
success is reported. The readers are in ``nets.convert``.
"""
import argparse
import sys

from nets import registry
from nets.convert.caffe import convert_caffe
from nets.convert.common import ConversionError
from nets.convert.keras import convert_vgg19
from nets.convert.matconvnet import convert_matconvnet
from nets.convert.ndf import convert_squeezenet
from nets.convert.pytorch import convert_efficientnet_lite0, convert_sequential
from nets.weights import WeightsError, load_weights

# format -> (architecture it is fixed to, or None for --arch; converter(src, dst, network, args))
FORMATS = {
    "caffe": (None, lambda src, dst, net, a: convert_caffe(src, dst, net, a.extra, a.mean)),
    "matconvnet": (None, lambda src, dst, net, a: convert_matconvnet(src, dst, net, a.bgr)),
    "torchvision": (None, lambda src, dst, net, a: convert_sequential(src, dst, net,
                                                                     a.preprocess)),
    "keras": ("vgg19", lambda src, dst, net, a: convert_vgg19(src, dst)),
    "ndf": ("squeezenet1_1", lambda src, dst, net, a: convert_squeezenet(src, dst)),
    "efficientnet": ("efficientnet_lite0",
                     lambda src, dst, net, a: convert_efficientnet_lite0(src, dst)),
}


def parser():
    weighted = [n for n, e in registry.NETWORKS.items() if e.needs_weights]
    p = argparse.ArgumentParser(prog="python -m invert.convert", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("format", choices=list(FORMATS))
    p.add_argument("source", help="the file to convert")
    p.add_argument("extra", nargs="?", help="caffe: the deploy .prototxt (checked)")
    p.add_argument("-o", "--output", help="our .h5 file to write (default: "
                   "$INVREP_WEIGHTS/<arch>.h5)")
    p.add_argument("--arch", default="caffenet", choices=weighted,
                   help="caffe/matconvnet/torchvision: the network the file holds "
                        "(default caffenet)")
    p.add_argument("--mean", help="caffe: mean .binaryproto")
    p.add_argument("--preprocess", default="torchvision", choices=["torchvision", "caffe"],
                   help="torchvision files: the input normalisation they were trained with")
    p.add_argument("--bgr", action="store_true",
                   help="matconvnet: the file reads BGR (MatConvNet's own models are RGB)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    fixed, convert = FORMATS[args.format]
    network = registry.get(fixed or args.arch)
    try:
        path = convert(args.source, args.output or network.weights_file(), network, args)
        _, meta = load_weights(path)
    except (ConversionError, WeightsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path}: {meta['architecture']}, {len(meta['layers'])} layers, "
          f"mean RGB {list(map(float, meta['mean_rgb']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
