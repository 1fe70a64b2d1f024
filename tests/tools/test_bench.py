"""tools.bench and tools.bench_deep: row names from the registry, the FLOP
count, one row runs, the GEMM rows around a run."""
import numpy
import pytest

from invert.representation import Representation
from nets import cnn, registry
from nets.preprocess import Preprocess
from tools import bench, bench_deep, bench_memory
from weights_helpers import CAFFENET_SMALL

NAMES = [f"iter/caffenet/{l}/b{b}" for l in ("conv3", "pool5", "fc8") for b in (1, 4)]


def small_rep(network, have):
    small = cnn.caffenet(cnn.random_weights(CAFFENET_SMALL, numpy.random.default_rng(0)))
    return Representation(network, small, Preprocess((0.0, 0.0, 0.0)))


def test_rows_without_weights_are_caffenet_only(monkeypatch, capsys):
    monkeypatch.setattr(registry, "with_weights", lambda: ([], ["vgg19"]))
    monkeypatch.setattr(bench_deep, "_rep", lambda n, have: small_rep(n, have)
                        if n == "caffenet" else None)
    assert [name for name, _, _ in bench_deep.cases()] == NAMES
    err = capsys.readouterr().err
    assert "invert.fetch weights" in err and "efficientnet_lite0" in err
    assert bench_deep in bench.SOURCES


def test_rows_with_weights_name_every_network_of_the_registry(monkeypatch):
    monkeypatch.setattr(registry, "with_weights", lambda: (
        ["vgg19", "squeezenet1_1", "efficientnet_lite0"], []))
    monkeypatch.setattr(bench_deep, "_rep", small_rep)
    monkeypatch.setattr(bench_deep, "conv_flops", lambda *a: 1)  # other networks' layers
    monkeypatch.setattr(Representation, "at", lambda self, layer: self)
    names = [name for name, _, _ in bench_deep.cases()]
    assert "iter/vgg19/pool5/b4" in names and "iter/squeezenet1_1/pool10/b1" in names
    assert "iter/efficientnet_lite0/fc/b1" in names  # its default layer
    assert len(names) == 4 + 6 + 2 + 6 and set(NAMES) <= set(names)


@pytest.mark.slow
def test_flops_are_caffenet_multiply_adds():
    net = cnn.caffenet(cnn.random_caffenet_weights(numpy.random.default_rng(0)))
    assert bench_deep.conv_flops(net, "conv1", (1, 3, 227, 227)) == 2 * 96 * 55 * 55 * 3 * 121
    macs = (96 * 55 * 55 * 363 + 256 * 27 * 27 * 48 * 25 + 384 * 13 * 13 * 256 * 9
            + 384 * 13 * 13 * 192 * 9 + 256 * 13 * 13 * 192 * 9 + 4096 * 256 * 36
            + 4096 * 4096 + 1000 * 4096)
    assert bench_deep.conv_flops(net, "fc8", (4, 3, 227, 227)) == 2 * 4 * macs
    rep = Representation("caffenet-random", net, Preprocess((0.0, 0.0, 0.0)))
    name, run, flops = bench_deep.case("caffenet", "conv3", 1, rep)
    assert name == "iter/caffenet/conv3/b1" and flops == 2 * bench_deep.conv_flops(
        net, "conv3", (1, 3, 227, 227))
    run()  # builds and runs one iteration


def test_gemm_drift_is_reported_only_beyond_the_limit():
    assert bench.drift_warning(170.0, 170.0 * (1 + bench.DRIFT * 0.9)) is None
    msg = bench.drift_warning(170.0, 112.0)
    assert "-34%" in msg and "170.0 -> 112.0" in msg
    assert bench.drift_warning(100.0, 130.0, limit=0.2) is not None


def test_a_pinned_openblas_is_reported_only_below_the_cpu():
    avx512 = set(bench.AVX512) | {"avx2", "fma"}
    msg = bench.pinned_warning("Haswell", "Haswell", avx512)
    assert "OPENBLAS_CORETYPE=Haswell holds OpenBLAS to its Haswell (AVX2) kernels" in msg
    assert bench.pinned_warning("Haswell", None, avx512) is None   # OpenBLAS's own choice
    assert bench.pinned_warning("SkylakeX", "SkylakeX", avx512) is None
    assert bench.pinned_warning("Haswell", "Haswell", {"avx2", "fma", "avx512f"}) is None


def test_rows_compare_median_with_median_and_best_with_best():
    r = bench.result_row("x", (4.0, 2.0), 1e8,
                         gemm=(bench.GEMM_FLOPS / 1e8, bench.GEMM_FLOPS / 2e8))
    assert (r["ms"], r["ms_best"], r["gflops"], r["gflops_best"]) == (4.0, 2.0, 25.0, 50.0)
    assert (r["gemm_gflops"], r["gemm_gflops_best"]) == (100.0, 200.0)
    assert (r["fraction_of_gemm"], r["fraction_of_gemm_best"]) == (0.25, 0.25)
    assert bench.result_row("relu", (1.0, 0.5), None, (1.0, 1.0))["gflops"] is None


@pytest.mark.slow
def test_run_ends_with_a_second_gemm_row(capsys):
    rows = bench.main(["--only", "layer/relu1/fwd/b1", "--min-time", "0.01"])
    assert [r["name"] for r in rows] == ["gemm/2048x2048/float32", "layer/relu1/fwd/b1",
                                         "gemm/2048x2048/float32/end"]
    assert rows[-1]["gflops"] > 0 and rows[-1]["ms_best"] <= rows[-1]["ms"]
    out = capsys.readouterr().out
    assert "median" in out and "best" in out and "layer/relu1/fwd/b1" in out


def test_peer_columns_divide_ours_by_the_twin():
    r = bench.result_row("iter/x/b1", (6.0, 4.0), None, (1.0, 1.0), peer_timing=(3.0, 1.0))
    assert (r["peer_ms"], r["peer_ms_best"], r["ratio"], r["ratio_best"]) == (3.0, 1.0, 2.0, 4.0)
    assert "ratio" not in bench.result_row("iter/x/b1", (6.0, 4.0), None, (1.0, 1.0))


def test_twin_only_for_iteration_rows_and_a_missing_translation_is_a_note(capsys):
    class Row:
        def __call__(self):
            pass

        def peer(self):
            raise NotImplementedError("layer 'magnitude'")
    assert bench.twin_of("layer/conv1/fwd/b1", Row()) is None
    assert bench.twin_of("iter/dsift/b1", Row()) is None
    assert "iter/dsift/b1" in capsys.readouterr().err
    assert bench.twin_of("iter/hog/b1", lambda: None) is None  # no peer() at all


def test_pair_timing_alternates_blocks_after_a_rest(monkeypatch):
    calls = []
    monkeypatch.setattr(bench.time, "sleep", lambda s: calls.append(f"rest {s}"))
    ours, theirs = bench.time_pair(lambda: calls.append("a"), lambda: calls.append("b"),
                                   numpy, min_time=0.0, rounds=2)
    rest = f"rest {bench.SETTLE}"
    assert calls == ["a", "b"] + [rest, "a", "a", rest, "b", "b"] * 2
    assert ours[1] <= ours[0] and theirs[1] <= theirs[0]


def test_memory_of_a_hog_iteration_is_measured():
    m = bench_memory.measure("hog", None, 1, iterations=1)
    assert m["peak_mb"] >= m["rss_mb"] > 10
    assert m["growth_mb"] == round(m["peak_mb"] - m["rss_mb"], 1)
    if m["reset"]:  # a HOG iteration at 227x227 holds a few MB, not the whole process
        assert 0 <= m["growth_mb"] < m["rss_mb"]
