"""Pointwise layers: ReLU, ReLU6 and dropout (the identity at inference).

ReLU
    y = max(x, 0);  dz/dx = dz/dy * [x > 0]
    (the subgradient at exactly 0 is taken as 0, as Caffe and MatConvNet do).
ReLU6 (MobileNet / EfficientNet-Lite; PyTorch's ``nn.ReLU6``)
    y = min(max(x, 0), 6);  dz/dx = dz/dy * [0 < x < 6]
    (0 at both kinks, as PyTorch's hardtanh backward does).
Dropout
    At inference (the only use here) Caffe's and MatConvNet's dropout is the
    identity: both rescale at training time. y = x;  dz/dx = dz/dy.

ReLU runs in chunks of CHUNK numbers on every core (``backend.parallel``),
each chunk written once into arrays allocated once.
"""
from minigrad import backend
from minigrad.backend import get_array_module
from minigrad.layer import Layer

CHUNK = 2**20  # numbers per job of ReLU


def _chunks(size):
    return [slice(i, i + CHUNK) for i in range(0, size, CHUNK)]


class ReLU(Layer):
    def forward(self, x):
        self.check_input(x)
        xp = get_array_module(x)
        x = xp.ascontiguousarray(x)
        self._mask, y = xp.empty(x.shape, dtype=bool), xp.empty_like(x)
        flat_x, mask, flat_y = x.reshape(-1), self._mask.reshape(-1), y.reshape(-1)

        def job(s):
            xp.greater(flat_x[s], 0, out=mask[s])
            xp.multiply(flat_x[s], mask[s], out=flat_y[s])
        backend.parallel(job, _chunks(x.size), xp)
        return y

    def backward(self, dzdy):
        xp = get_array_module(dzdy)
        dzdy = xp.ascontiguousarray(dzdy)
        dzdx = xp.empty_like(dzdy)
        flat_dy, mask, flat_dx = dzdy.reshape(-1), self._mask.reshape(-1), dzdx.reshape(-1)
        backend.parallel(lambda s: xp.multiply(flat_dy[s], mask[s], out=flat_dx[s]),
                         _chunks(dzdy.size), xp)
        return dzdx


class ReLU6(Layer):
    def forward(self, x):
        self.check_input(x)
        self._mask = (x > 0) & (x < 6)
        xp = get_array_module(x)
        return xp.clip(x, 0, 6)

    def backward(self, dzdy):
        return dzdy * self._mask


class Dropout(Layer):
    def __init__(self, rate=0.5, name=None):
        super().__init__(name)
        self.rate = float(rate)  # kept for the record; unused at inference

    def forward(self, x):
        self.check_input(x)
        return x

    def backward(self, dzdy):
        return dzdy


def relu(x):
    return ReLU().forward(x)
