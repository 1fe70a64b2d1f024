"""Circular shift of each image of a batch: the jitter of Mahendran & Vedaldi
(IJCV 2016, "natural pre-images"), which moves the image by a few random
pixels before the network at every iteration so that the reconstruction
cannot rely on one exact alignment with the network's pooling grid.

Shapes: x, y (N, C, H, W); ``shifts`` holds one (dy, dx) per image.

Forward (indices modulo H and W: what leaves one side enters the other)
    y[n, c, i, j] = x[n, c, i - dy_n, j - dx_n]
Backward (the adjoint of a permutation is its inverse)
    dz/dx[n, c, i, j] = dz/dy[n, c, i + dy_n, j + dx_n]

The shifts are data, set before each forward (``invert.objective`` draws
them); the same shifts serve the backward that follows.
"""
from minigrad.backend import get_array_module
from minigrad.layer import Layer


class Shift(Layer):
    def __init__(self, shifts=((0, 0),), name=None):
        super().__init__(name)
        self.shifts = [tuple(int(v) for v in s) for s in shifts]

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if len(self.shifts) != in_shape[0]:
            self.fail(f"has {len(self.shifts)} shift(s) for a batch of {in_shape[0]} "
                      f"image(s), input {tuple(in_shape)}")
        return tuple(in_shape)

    @staticmethod
    def _roll(a, shifts, sign):
        if not any(dy or dx for dy, dx in shifts):
            return a
        xp = get_array_module(a)
        return xp.stack([xp.roll(a[n], (sign * dy, sign * dx), axis=(1, 2))
                         for n, (dy, dx) in enumerate(shifts)])

    def forward(self, x):
        self.check_input(x)
        self._used = list(self.shifts)
        return self._roll(x, self._used, 1)

    def backward(self, dzdy):
        return self._roll(dzdy, self._used, -1)
