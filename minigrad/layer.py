"""The layer contract every block of minigrad follows.

A layer is a function y = f(x; w) with an explicit backward in dz/dy form:
given dz/dy for some scalar z downstream, it returns dz/dx (and dz/dw when
asked). This is MatConvNet's contract, one class per op.

    y    = layer.forward(x)          # keeps what backward needs
    dzdx = layer.backward(dzdy)      # uses what forward kept

Rules (the conventions every layer module follows):
* ``forward`` never mutates x; ``backward`` never mutates dzdy or what it
  saved, so the engine may call it again and accumulate out of place.
* Arrays are NCHW. Parameters live in ``self.params`` (a dict of arrays);
  their gradients go to ``self.grads`` only when ``self.param_grads`` is
  true, so inversion (which never needs them) does not pay for them.
* ``out_shape(in_shape)`` checks an input shape and returns the output
  shape without touching data, raising ``ValueError`` that names the layer
  and the shapes. The network calls it for every layer before any work.
* Layers with several inputs (``Concat``) set ``n_inputs`` and take/return
  tuples.
* ``backward`` may give None for an input the output does not depend on
  differentiably (HOG's orientation gate and its directional projections:
  the gate only picks bins from them): a zero gradient that the network
  does not send back, so the layers upstream of that input alone skip their
  backward (``Net.backward``; ``check_backward`` reads it as zeros).
"""


class Layer:
    """Base class: subclasses implement ``forward``, ``backward``, ``out_shape``."""

    n_inputs = 1

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.params = {}
        self.grads = {}
        self.param_grads = False

    # -- the contract ---------------------------------------------------
    def forward(self, x):
        raise NotImplementedError

    def backward(self, dzdy):
        raise NotImplementedError

    def out_shape(self, in_shape):
        """Default for shape-preserving layers: check rank 4, return as is."""
        self.check_rank(in_shape)
        return tuple(in_shape)

    def geometry(self, in_shape=None):
        """Spatial footprint for receptive fields: ``(kh, kw, sh, sw, pt, pl)``
        (kernel, stride, top/left padding), or None for a pointwise layer.
        ``in_shape`` is the layer's input shape when the caller knows it (a
        global pool's footprint is its whole input)."""
        return None

    # -- helpers --------------------------------------------------------
    def __call__(self, *x):
        return self.forward(*x)

    def fail(self, message):
        raise ValueError(f"layer '{self.name}' ({type(self).__name__}): {message}")

    def check_rank(self, in_shape, rank=4):
        if len(in_shape) != rank:
            self.fail(f"expects a rank-{rank} input (N, C, H, W), got shape "
                      f"{tuple(in_shape)}")

    def check_input(self, x):
        """Validate an actual input against ``out_shape`` (cheap, no data)."""
        if self.n_inputs == 1:
            return self.out_shape(tuple(x.shape))
        return self.out_shape(tuple(tuple(a.shape) for a in x))

    def to(self, to_device):
        """Move parameters with ``to_device(array)`` (see ``backend.asarray``)."""
        self.params = {k: to_device(v) for k, v in self.params.items()}
        return self

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
