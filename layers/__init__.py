"""Layer implementations, one family per module, each with forward,
backward and its maths in the docstring."""
from .activation import Dropout, ReLU, ReLU6, relu
from .conv import Conv2d, conv2d
from .lrn import LRN
from .pool import AvgPool2d, GlobalAvgPool, MaxPool2d, avg_pool2d, max_pool2d
from .shift import Shift
from .zoom import Zoom
from .structure import Add, Concat, Mask, Select

__all__ = ["Add", "AvgPool2d", "Concat", "Conv2d", "Dropout", "GlobalAvgPool", "LRN",
           "Mask", "MaxPool2d", "ReLU", "ReLU6", "Select", "Shift", "Zoom", "avg_pool2d", "conv2d",
           "max_pool2d", "relu"]
from .binpool import BinPool
from .cellpool import CellPool
from .dsift import L2Normalize, SiftOrientation
from .gradient import ColourSelect, GradientNorm, ImageGradient
from .hogcells import HardCells
from .hognorm import BlockNorm, Clamp, HogAssemble
from .orientation import Directional, OrientationGate

__all__ += ["BinPool", "BlockNorm", "CellPool", "Clamp", "ColourSelect", "Directional",
            "GradientNorm", "HardCells", "HogAssemble", "ImageGradient", "L2Normalize",
            "OrientationGate", "SiftOrientation"]
