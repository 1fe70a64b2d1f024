"""Layer implementations, one family per module, each with forward,
backward and its maths in the docstring."""
from .activation import Dropout, ReLU, ReLU6, relu
from .conv import Conv2d, conv2d
from .lrn import LRN
from .pool import AvgPool2d, GlobalAvgPool, MaxPool2d, avg_pool2d, max_pool2d
from .structure import Add, Concat, Mask, Select

__all__ = ["Add", "AvgPool2d", "Concat", "Conv2d", "Dropout", "GlobalAvgPool", "LRN",
           "Mask", "MaxPool2d", "ReLU", "ReLU6", "Select", "avg_pool2d", "conv2d",
           "max_pool2d", "relu"]
