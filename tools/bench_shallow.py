"""Timing cases for CNN-HOG and CNN-DSIFT, imported by ``tools/bench.py``.

``cases()`` returns ``(name, callable, flops_or_None)``; each callable runs
one forward (or forward + backward to the input) on a 227x227 grayscale
float32 image, the networks built once outside the timed call. scikit-image's
HOG (not a dependency) is added when it can be imported.
"""
import numpy

from nets.shallow import dsift_net, hog_net

SIZE = 227


def _image(seed=0):
    """A smooth random grayscale image in [0, 1], (1, 1, SIZE, SIZE) float32."""
    x = numpy.random.default_rng(seed).random((SIZE, SIZE))
    for axis in (0, 1):
        x = (x + numpy.roll(x, 1, axis) + numpy.roll(x, -1, axis)) / 3
    return x.astype(numpy.float32)


def _forward_backward(net, x):
    y = net.forward(x)
    dzdy = numpy.random.default_rng(1).standard_normal(y.shape).astype(y.dtype)

    def run():
        net.forward(x)
        return net.backward(dzdy)
    return run


def cases():
    img = _image()
    x = img[None, None]
    hog, dsift = hog_net(8), dsift_net(4, 2, fast=True)
    out = [
        ("hog/forward", lambda: hog.forward(x), None),
        ("hog/forward+backward", _forward_backward(hog_net(8), x), None),
        ("dsift/forward", lambda: dsift.forward(x), None),
        ("dsift/forward+backward", _forward_backward(dsift_net(4, 2, fast=True), x), None),
    ]
    try:
        from skimage.feature import hog as skimage_hog
    except Exception:  # scikit-image is optional
        return out
    out.append(("skimage_hog/forward",
                lambda: skimage_hog(img, orientations=9, pixels_per_cell=(8, 8),
                                    cells_per_block=(2, 2)), None))
    return out


if __name__ == "__main__":
    import timeit
    for name, fn, _ in cases():
        fn()
        n, total = timeit.Timer(fn).autorange()
        best = min(timeit.repeat(fn, number=n, repeat=5)) / n
        print(f"{name:28s} {best * 1e3:8.2f} ms")
