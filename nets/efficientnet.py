"""EfficientNet-Lite0 (Tan & Le 2019; the "lite" variant: no squeeze-and-
excitation, ReLU6, fixed 32-channel stem and 1280-channel head) as a layer
table for ``nets.cnn.build``; 224x224 input.

    stem_conv 3x3/2 (32) -> stem_relu (ReLU6)
    16 MBConv blocks ``blockI``: [expand 1x1 -> ReLU6] -> depthwise kxk/s
        -> ReLU6 -> project 1x1 (linear) [-> add the block input when
        stride 1 and in == out channels]
    head_conv 1x1 (1280) -> head_relu -> pool (global average) -> fc (1000 logits)

BatchNorm is folded into the convolution before it at conversion
(``nets.convert.pytorch``): y = s (w*x - mu) + beta with s = gamma / sqrt(var + eps)
becomes w' = s w, b' = beta - s mu. The weights (``efficientnet-lite0-
pytorch-model``, converted from Google's TensorFlow checkpoint) use
TensorFlow "SAME" padding computed for a 224x224 input, which is asymmetric
for stride 2: total padding max((ceil(n/s) - 1) s + k - n, 0), the smaller
half at the top/left. ``padding="symmetric"`` uses k//2 on every side
instead (the other common PyTorch port; it classifies worse with these
weights, see tests). Layer names: ``blockI_expand``, ``blockI_expand_relu``,
``blockI_dw``, ``blockI_dw_relu``, ``blockI_project``, ``blockI_add``.
"""
from . import cnn

# (repeats, kernel, stride, expand ratio, out channels) per stage (EfficientNet-B0's)
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
STEM, HEAD, INPUT_SIZE = 32, 1280, 224


def blocks(widths=1.0):
    """Rows ``(index, kernel, stride, c_in, c_expanded, c_out)``."""
    def w(c):
        return max(1, int(round(c * widths)))
    rows, c_in = [], w(STEM)
    for repeats, k, s, e, c_out in STAGES:
        for r in range(repeats):
            rows.append((len(rows), k, s if r == 0 else 1, c_in, c_in * e, w(c_out)))
            c_in = w(c_out)
    return rows


def _pad(k, s, n, padding):
    """(pad, output size) of one spatial axis of length ``n``."""
    if padding == "symmetric":
        p = (k // 2, k // 2)
    else:
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        p = (total // 2, total - total // 2)
    return p, (n + p[0] + p[1] - k) // s + 1


def efficientnet_lite0_spec(padding="tf", input_size=INPUT_SIZE, widths=1.0):
    n = input_size
    (pt, pb), n = _pad(3, 2, n, padding)
    rows = [("stem_conv", "conv", dict(stride=2, pad=(pt, pb, pt, pb))),
            ("stem_relu", "relu6", {})]
    for i, k, s, c_in, c_exp, c_out in blocks(widths):
        b, start = f"block{i}", rows[-1][0]
        if c_exp != c_in:
            rows += [(f"{b}_expand", "conv", {}), (f"{b}_expand_relu", "relu6", {})]
        (pt, pb), n = _pad(k, s, n, padding)
        rows += [(f"{b}_dw", "conv", dict(stride=s, pad=(pt, pb, pt, pb), groups=c_exp)),
                 (f"{b}_dw_relu", "relu6", {}), (f"{b}_project", "conv", {})]
        if s == 1 and c_in == c_out:
            rows.append((f"{b}_add", "add", {}, [start, f"{b}_project"]))
    return rows + [("head_conv", "conv", {}), ("head_relu", "relu6", {}),
                   ("pool", "gap", {}), ("fc", "conv", {})]


def efficientnet_lite0_shapes(widths=1.0, classes=1000):
    stem = blocks(widths)[0][3]
    shapes = {"stem_conv": (stem, 3, 3, 3)}
    for i, k, s, c_in, c_exp, c_out in blocks(widths):
        if c_exp != c_in:
            shapes[f"block{i}_expand"] = (c_exp, c_in, 1, 1)
        shapes[f"block{i}_dw"] = (c_exp, 1, k, k)
        shapes[f"block{i}_project"] = (c_out, c_exp, 1, 1)
    head = max(1, int(round(HEAD * widths)))
    shapes["head_conv"] = (head, c_out, 1, 1)
    shapes["fc"] = (classes, head, 1, 1)
    return shapes


def efficientnet_lite0(weights, padding="tf", input_size=INPUT_SIZE, widths=1.0):
    """The network; ``widths`` < 1 with matching weights gives a small test copy."""
    return cnn.build(efficientnet_lite0_spec(padding, input_size, widths), weights,
                     "efficientnet_lite0")
