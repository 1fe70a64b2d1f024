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
"""
from minigrad.backend import get_array_module
from minigrad.layer import Layer


class ReLU(Layer):
    def forward(self, x):
        self.check_input(x)
        self._mask = x > 0
        return x * self._mask

    def backward(self, dzdy):
        return dzdy * self._mask


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
