"""minigrad: a small reverse-mode engine for CNNs in the MatConvNet spirit.

Every layer has an explicit forward and an explicit backward in dz/dy form
(``minigrad.layer``); a ``Net`` wires layers into a graph and runs forward
to any named layer and backward from it (``minigrad.net``); ``gradcheck``
checks any backward against finite differences. Arrays are NumPy or CuPy,
chosen in ``minigrad.backend``, the only module that imports cupy.
"""
from . import backend
from .gradcheck import GradcheckError, check_backward
from .layer import Layer
from .net import INPUT, Net

__all__ = ["backend", "check_backward", "GradcheckError", "Layer", "Net", "INPUT"]
