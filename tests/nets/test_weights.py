"""nets.weights: the HDF5 layout, its loader and every error it promises."""
import numpy
import pytest

from nets.registry import get
from nets.weights import WeightsError, check_shapes, load_weights, save_weights
from weights_helpers import CAFFENET_SMALL, distinct_weights

META = dict(architecture="caffenet", source_package="test", input_order="RGB",
            input_scale=255.0, mean_rgb=[1.0, 2.0, 3.0], input_size=[227, 227])


@pytest.fixture
def small_file(tmp_path):
    weights = distinct_weights(CAFFENET_SMALL)
    path = save_weights(str(tmp_path / "caffenet.h5"), weights, META)
    return path, weights


def test_round_trip(small_file, tmp_path):
    path, weights = small_file
    loaded, meta = load_weights(path, shapes=CAFFENET_SMALL, architecture="caffenet")
    assert meta["layers"] == list(CAFFENET_SMALL)
    assert meta["architecture"] == "caffenet" and meta["source_package"] == "test"
    numpy.testing.assert_array_equal(meta["mean_rgb"], [1, 2, 3])
    assert set(loaded) == set(weights)
    for key in weights:
        assert loaded[key].dtype == numpy.float32
        numpy.testing.assert_array_equal(loaded[key], weights[key])
    # by name from a folder, and a mean image
    mean_image = numpy.arange(5 * 6 * 3, dtype=numpy.float32).reshape(5, 6, 3)
    save_weights(str(tmp_path / "other.h5"), weights, dict(META, mean_image=mean_image))
    _, meta = load_weights("other", weights_dir=str(tmp_path))
    numpy.testing.assert_array_equal(meta["mean_image"], mean_image)


def test_missing_file_names_the_fetch_command(tmp_path):
    with pytest.raises(WeightsError, match=r"python -m invert\.fetch weights"):
        load_weights("vgg19", weights_dir=str(tmp_path))
    with pytest.raises(WeightsError, match=r"invert\.fetch weights"):
        get("squeezenet1_1").load(weights_dir=str(tmp_path))
    with pytest.raises(WeightsError, match=r"invert\.convert"):
        get("caffenet").load(weights_dir=str(tmp_path))


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_file(small_file, keep):
    path, _ = small_file
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[:int(len(data) * keep)])
    with pytest.raises(WeightsError, match="corrupted or truncated") as err:
        load_weights(path)
    assert path in str(err.value)


def test_garbage_and_foreign_files(tmp_path):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(WeightsError, match="garbage.h5"):
        load_weights(str(garbage))
    import h5py
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = numpy.zeros(3)
    with pytest.raises(WeightsError, match="not an invrep weights file"):
        load_weights(str(tmp_path / "foreign.h5"))


def test_layer_shape_mismatch_names_the_layer(small_file):
    path, weights = small_file
    shapes = dict(CAFFENET_SMALL, conv3=(48, 32, 5, 5))
    with pytest.raises(WeightsError, match=r"layer 'conv3'.*\(48, 32, 3, 3\).*\(48, 32, 5, 5\)") \
            as err:
        load_weights(path, shapes=shapes)
    assert path in str(err.value)
    # the real architecture against the small file: the first layer fails
    with pytest.raises(WeightsError, match="layer 'conv1'"):
        get("caffenet").load(path=path)


def test_missing_extra_and_bias_errors(small_file):
    _, weights = small_file
    w = {k: v for k, v in weights.items() if not k.startswith("fc8/")}
    with pytest.raises(WeightsError, match="layer 'fc8' of 'caffenet' is missing"):
        check_shapes(w, CAFFENET_SMALL, "f.h5", "caffenet")
    with pytest.raises(WeightsError, match=r"\['fc9'\] are not layers"):
        check_shapes(dict(weights, **{"fc9/w": weights["fc8/w"]}), CAFFENET_SMALL)
    with pytest.raises(WeightsError, match="layer 'fc7': bias shape"):
        check_shapes(dict(weights, **{"fc7/b": numpy.zeros(3)}), CAFFENET_SMALL)


def test_wrong_architecture_and_non_finite(tmp_path):
    weights = distinct_weights(CAFFENET_SMALL)
    path = save_weights(str(tmp_path / "a.h5"), weights, META)
    with pytest.raises(WeightsError, match="holds weights of 'caffenet', not of 'vgg19'"):
        load_weights(path, architecture="vgg19")
    weights["conv2/w"][0, 0, 0, 0] = numpy.nan
    path = save_weights(str(tmp_path / "b.h5"), weights, META)
    with pytest.raises(WeightsError, match="layer 'conv2'.*non-finite"):
        load_weights(path)


def test_corrupted_bytes_inside_a_layer_name_it(small_file):
    import h5py
    path, _ = small_file
    with h5py.File(path, "r") as f:
        offset = f["conv3"]["w"].id.get_offset()
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 16)  # four NaNs
    with pytest.raises(WeightsError, match="layer 'conv3'.*non-finite"):
        load_weights(path)


def test_failed_save_leaves_no_file(tmp_path):
    weights = {"_meta/w": numpy.zeros((1, 1, 1, 1))}
    with pytest.raises(WeightsError, match="reserved"):
        save_weights(str(tmp_path / "x.h5"), weights, META)
    assert list(tmp_path.iterdir()) == []


def test_weights_dir_from_environment(small_file, monkeypatch, tmp_path):
    path, _ = small_file
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path))
    _, meta = load_weights("caffenet")
    assert meta["path"] == path
