import numpy as np
import pytest

from layers import LRN, Concat, Conv2d, MaxPool2d, ReLU, conv_fast
from minigrad import Layer, Net, check_backward
from nets.cnn import CAFFENET_LAYERS, caffenet


def small_chain(rng):
    net = Net("chain")
    net.add(Conv2d(rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4), pad=1), name="c1")
    net.add(ReLU(), name="r1")
    net.add(MaxPool2d(3, 2, ceil=True), name="p1")
    net.add(LRN(3, 0.5, 0.75, 0.5), name="n1")
    net.add(Conv2d(rng.standard_normal((5, 4, 2, 2)), rng.standard_normal(5), stride=2), name="c2")
    return net


def fire(rng, c=4):
    """SqueezeNet-like branch-and-concat: squeeze, two expands, concat, and a
    skip connection that reuses the squeeze output (multi-use rule)."""
    net = Net("fire")
    net.add(Conv2d(rng.standard_normal((3, c, 1, 1)), rng.standard_normal(3)), name="squeeze")
    net.add(ReLU(), name="sq_relu")
    net.add(Conv2d(rng.standard_normal((2, 3, 1, 1)), rng.standard_normal(2)), name="e1",
            inputs="sq_relu")
    net.add(Conv2d(rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2), pad=1),
            name="e3", inputs="sq_relu")
    net.add(Concat(3), name="cat", inputs=["e1", "e3", "sq_relu"])
    net.add(Conv2d(rng.standard_normal((2, 7, 3, 3)), None, stride=2), name="head")
    return net


def test_forward_to_intermediate_equals_chain_by_hand():
    rng = np.random.default_rng(0)
    net = small_chain(rng)
    x = rng.standard_normal((2, 3, 9, 9))
    y = x
    for name in ["c1", "r1", "p1"]:
        y = net[name].forward(y)
    np.testing.assert_array_equal(net.forward(x, until="p1"), y)
    outs = net.forward(x, return_all=True)
    assert set(outs) == {"input", "c1", "r1", "p1", "n1", "c2"}


def test_backward_from_intermediate_layer():
    rng = np.random.default_rng(1)
    net = small_chain(rng)
    x = rng.standard_normal((2, 3, 9, 9))
    check_backward(_Until(net, "n1"), x)
    check_backward(net, x)


class _Until:
    """A net seen as a layer that stops at ``until``."""

    def __init__(self, net, until):
        self.net, self.until, self.name = net, until, f"{net.name}@{until}"

    def forward(self, x):
        return self.net.forward(x, until=self.until)

    def backward(self, dzdy):
        return self.net.backward(dzdy)


def test_branch_and_concat_gradcheck():
    rng = np.random.default_rng(2)
    net = fire(rng)
    x = rng.standard_normal((3, 4, 7, 7))
    check_backward(net, x)
    check_backward(_Until(net, "cat"), x)


class _Gate(Layer):
    """y = x0 * (x1 > 0): x1 only selects, so its gradient is None."""
    n_inputs = 2

    def out_shape(self, in_shapes):
        return tuple(in_shapes[0])

    def forward(self, a, b):
        self._on = b > 0
        return a * self._on

    def backward(self, dzdy):
        return dzdy * self._on, None


class _Counted(ReLU):
    calls = 0

    def backward(self, dzdy):
        _Counted.calls += 1
        return super().backward(dzdy)


def test_a_none_gradient_is_zero_and_what_feeds_only_it_skips_its_backward():
    rng = np.random.default_rng(3)
    net = Net("gated")
    net.add(Conv2d(rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2), pad=1), name="a")
    net.add(Conv2d(rng.standard_normal((2, 3, 1, 1)), rng.standard_normal(2)), name="b",
            inputs="input")
    net.add(_Counted(), name="selector", inputs="b")
    net.add(_Gate(), name="gate", inputs=["a", "selector"])
    x = rng.standard_normal((2, 3, 6, 5))
    check_backward(net, x, seed=4)
    _Counted.calls = 0
    y = net.forward(x)
    dx = net.backward(rng.standard_normal(y.shape))
    assert _Counted.calls == 0 and dx.shape == x.shape  # the selector's branch never ran back
    check_backward(_Gate(), (x, rng.standard_normal(x.shape)), seed=5)  # None read as zeros


def test_parameter_gradients_only_when_asked():
    rng = np.random.default_rng(3)
    net = small_chain(rng)
    x = rng.standard_normal((1, 3, 9, 9))
    y = net.forward(x)
    net.backward(np.ones_like(y))
    assert net["c1"].grads == {}
    net.backward(rng.standard_normal(y.shape), param_grads=True)
    assert set(net["c1"].grads) == {"w", "b"}


def test_errors_are_raised_before_any_work():
    rng = np.random.default_rng(4)
    net = small_chain(rng)
    calls = []
    net["c1"].forward = lambda x: calls.append(1)  # would record any work
    with pytest.raises(ValueError, match="no layer named 'fc9'.*c1, r1"):
        net.forward(rng.standard_normal((1, 3, 9, 9)), until="fc9")
    with pytest.raises(ValueError, match=r"'c1'.*5 channels"):
        net.forward(rng.standard_normal((1, 5, 9, 9)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(3, 9, 9\)"):
        net.forward(rng.standard_normal((3, 9, 9)))
    with pytest.raises(ValueError, match=r"'p1'.*larger than the padded input 2x2"):
        net.forward(rng.standard_normal((1, 3, 2, 2)))
    assert calls == []


def test_building_errors():
    net = Net("n")
    net.add(ReLU(), name="a")
    with pytest.raises(ValueError, match="duplicate"):
        net.add(ReLU(), name="a")
    with pytest.raises(ValueError, match="'b' reads from 'zz'"):
        net.add(ReLU(), name="b", inputs="zz")
    with pytest.raises(ValueError, match="takes 2 input"):
        net.add(Concat(2), name="c", inputs="a")


def caffenet_small(z):
    weights = {f"{k[:-2]}/{k[-1]}": v for k, v in z.items() if k[-2:] in ("_w", "_b")}
    return caffenet(weights)


@pytest.mark.parametrize("runs", [10**9, 0], ids=["nchw", "channels-last"])
def test_caffenet_small_every_layer(ref_caffenet, runs, monkeypatch):
    monkeypatch.setattr(conv_fast, "CHANNEL_RUNS", runs)  # each convolution layout
    z = ref_caffenet
    net = caffenet_small(z)
    assert list(z["layers"]) == CAFFENET_LAYERS == net.names
    outs = net.forward(z["input"], return_all=True)
    for name in CAFFENET_LAYERS:
        ref = z[f"out_{name}"]
        assert outs[name].shape == ref.shape, name
        err = np.abs(outs[name] - ref).max() / np.abs(ref).max()
        assert err < 1e-5, (name, err)


@pytest.mark.parametrize("runs", [10**9, 0], ids=["nchw", "channels-last"])
@pytest.mark.parametrize("layer", ["norm1", "pool5", "fc8"])
def test_caffenet_small_input_gradients(ref_caffenet, layer, runs, monkeypatch):
    monkeypatch.setattr(conv_fast, "CHANNEL_RUNS", runs)
    # NOTE: in float64, as the reference was computed. In float32 a
    # pre-activation within rounding of 0 can change sign with the BLAS
    # summation order (threads), moving a max-pool's winner among ReLU zeros
    # and with it a whole dz/dy value.
    z = ref_caffenet
    net = caffenet_small(z).astype(np.float64)
    net.forward(z["input"].astype(np.float64), until=layer)
    dzdx = net.backward(z[f"dzdy_{layer}"].astype(np.float64))
    ref = z[f"dzdx_{layer}"]
    assert np.abs(dzdx - ref).max() / np.abs(ref).max() < 1e-5


def test_caffenet_receptive_fields_match_paper_table2(ref_caffenet):
    net = caffenet_small(ref_caffenet)
    fields = [net.receptive_field(n)[0] for n in CAFFENET_LAYERS]
    assert fields == [11, 11, 19, 19, 51, 51, 67, 67, 99, 99, 131, 131, 163, 163, 195,
                      355, 355, 355, 355, 355]
