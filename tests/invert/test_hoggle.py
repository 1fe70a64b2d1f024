"""invert.hoggle: training pairs put each HOG window over its own patch, a
paired dictionary inverts a HOG image, the file is checked with one-line
messages that name the command to run, and ``method="hoggle"`` reaches it
from the API, the command line and Table 1."""
import h5py
import numpy
import pytest
from PIL import Image

import invert
from invert import hoggle, representation, run, sparsecode
from invert.experiments import plan, run_experiment
from invert.images import DEFAULT_IMAGE, load_image

P = 56 * 56  # a patch: 7 x 7 cells of 8 pixels


def photo(size):
    """The bundled astronaut, grey, resized to size x size."""
    g = load_image(DEFAULT_IMAGE, gray=True).astype(numpy.float32)
    g = Image.fromarray(g, mode="F").resize((size, size), Image.Resampling.LANCZOS)
    return numpy.asarray(g, numpy.float64).clip(0, 1)


def hog_of(gray):
    rep = representation.get("hog")
    return numpy.asarray(rep.forward(rep.to_centred(gray).astype(numpy.float32)))[0]


def pairs_dictionary(gray, lambda_=0.05):
    """ihog's quick mode: the training pairs themselves as the atoms."""
    D = hoggle.training_pairs(gray, hog_of(gray)).T
    return hoggle.Dictionary(D[:P].copy(), D[P:].copy(), lambda_)


@pytest.fixture
def dictionary_file(tmp_path):
    d = pairs_dictionary(photo(96))
    return hoggle.save_dictionary(tmp_path / "w" / "hoggle.h5", numpy.vstack([d.patches, d.hog]),
                                  d.lambda_, 5, 8, "hog", seed=7)


def test_normalise_gives_zero_mean_unit_norm_rows():
    rows = numpy.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    out = hoggle.normalise(rows)
    assert numpy.allclose(out[0].mean(), 0) and numpy.isclose(numpy.linalg.norm(out[0]), 1)
    assert (out[1] == 0).all()                               # a flat row stays zero


def test_training_pairs_put_each_window_over_its_patch():
    g = photo(96)
    phi = hog_of(g)                                          # (31, 12, 12)
    pairs = hoggle.training_pairs(g, phi)
    assert phi.shape == (31, 12, 12) and pairs.shape == (6 * 6, P + 31 * 25)
    for i, j in [(1, 1), (2, 4), (6, 6)]:                    # windows whose patch fits
        row = pairs[(i - 1) * 6 + (j - 1)]
        patch = g[8 * (i - 1):8 * (i + 6), 8 * (j - 1):8 * (j + 6)]
        assert numpy.allclose(row[:P], hoggle.normalise(patch.reshape(1, -1))[0], atol=1e-6)
        window = phi[:, i:i + 5, j:j + 5].reshape(1, -1)
        assert numpy.allclose(row[P:], hoggle.normalise(window)[0], atol=1e-6)


def test_coding_a_training_pair_returns_its_patch():
    d = pairs_dictionary(photo(96), lambda_=0.05)
    for i in (0, 17, 35):
        a, _ = sparsecode.code(d.hog, d.hog[:, i:i + 1], d.lambda_)
        # NOTE: phi = v_i exactly, so a = (1 - lambda) e_i (||v_i|| = 1, |v_j.v_i| <= 1)
        assert numpy.flatnonzero(a) == [i] and a[i, 0] == pytest.approx(1 - d.lambda_, abs=1e-5)
        assert numpy.allclose(d.patches @ a[:, 0], (1 - d.lambda_) * d.patches[:, i], atol=1e-5)


def test_inverting_a_hog_image_places_every_patch_under_its_window():
    g = photo(96)
    d = pairs_dictionary(g)
    image, steps = hoggle.invert_hog(hog_of(g), d, 96, 96)
    assert image.shape == (96, 96) and image.min() == 0 and image.max() == 1
    assert steps.shape == (8 * 8,)                           # every window, stride one cell
    inner = (slice(8, 88), slice(8, 88))
    assert numpy.corrcoef(image[inner].ravel(), g[inner].ravel())[0, 1] > 0.9
    shifted = numpy.roll(d.patches.reshape(56, 56, -1), 8, axis=0).reshape(P, -1)
    wrong = hoggle.Dictionary(shifted, d.hog, d.lambda_)     # patches one cell too low
    image, _ = hoggle.invert_hog(hog_of(g), wrong, 96, 96)
    assert numpy.corrcoef(image[inner].ravel(), g[inner].ravel())[0, 1] < 0.5


@pytest.mark.slow
def test_a_learned_paired_dictionary_reads_patches_from_hog():
    g = photo(192)
    X = hoggle.training_pairs(g, hog_of(g)).astype(numpy.float64)   # 324 pairs
    rng = numpy.random.default_rng(0)
    D, losses = sparsecode.learn_dictionary(X, 32, 0.05, rng, epochs=3, batch=100)
    start = X[numpy.random.default_rng(0).choice(len(X), 32, replace=False)].T

    def cosine(D):  # decode each pair's patch from its HOG half alone
        a, _ = sparsecode.code(D[P:], X.T[P:], 0.05)
        patch = D[:P] @ a
        norms = numpy.linalg.norm(patch, axis=0) * numpy.linalg.norm(X.T[:P], axis=0)
        return numpy.median((patch * X.T[:P]).sum(axis=0) / numpy.maximum(norms, 1e-12))
    assert losses[-1] < losses[0]
    assert cosine(D) > 0.6 and cosine(D) > cosine(start / numpy.linalg.norm(start, axis=0))


def test_the_file_round_trips_and_every_fault_names_its_cure(tmp_path, dictionary_file):
    d = hoggle.load_dictionary(dictionary_file)
    assert d.patches.shape == (P, 36) and d.hog.shape == (775, 36) and d.lambda_ == 0.05
    assert d.attrs["seed"] == 7 and d.rep == "hog" and d.patch_size == 56
    assert not list((tmp_path / "w").glob("*.part"))
    assert hoggle.check("hog", (31, 12, 12), dictionary_file) == str(dictionary_file)
    with pytest.raises(ValueError, match="no HOGgle dictionary at .*missing.h5; train it "
                                         "with `python -m invert.train_hoggle`"):
        hoggle.load_dictionary(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="inverts 'hog', not 'hogb'"):
        hoggle.check("hogb", (31, 12, 12), dictionary_file)
    with pytest.raises(ValueError, match="at least 5x5 HOG cells, the image has 4x9"):
        hoggle.check("hog", (31, 4, 9), dictionary_file)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "invrep-weights"
    with pytest.raises(ValueError, match="not a HOGgle dictionary"):
        hoggle.load_dictionary(other)
    broken = tmp_path / "broken.h5"
    broken.write_bytes(open(dictionary_file, "rb").read()[:3000])
    with pytest.raises(ValueError, match="corrupted.*python -m invert.train_hoggle"):
        hoggle.load_dictionary(broken)


def test_the_api_returns_an_inversion_scored_like_the_others(dictionary_file):
    g = photo(96)
    r = invert.invert(g, "hog", method="hoggle", dictionary=dictionary_file)
    assert r.image.shape == (96, 96) and len(r.images) == 1 and r.best == 0
    assert r.phi.shape == (1, 31, 12, 12) and r.phi0.shape == (31, 12, 12)
    assert numpy.allclose(r.phi0, hog_of(g), atol=1e-6)
    assert numpy.allclose(r.phi[0], hog_of(r.image), atol=1e-6)  # the code of the picture
    err = numpy.linalg.norm(r.phi[0] - r.phi0) / numpy.linalg.norm(r.phi0)
    assert r.error[0] == pytest.approx(err, rel=1e-5) and 0 < err < 1
    assert r.settings["method"] == "hoggle" and r.settings["atoms"] == 36
    assert r.settings["dictionary"] == str(dictionary_file) and r.seconds > 0
    assert invert.invert(g, preset="hoggle", dictionary=dictionary_file).error == r.error


def test_the_api_refuses_what_hoggle_cannot_do(tmp_path, dictionary_file):
    g = photo(96)
    with pytest.raises(ValueError, match="python -m invert.train_hoggle"):
        invert.invert(g, "hog", method="hoggle", dictionary=tmp_path / "none.h5")
    with pytest.raises(ValueError, match="inverts 'hog', not 'dsift'"):
        invert.invert(g, "dsift", method="hoggle", dictionary=dictionary_file)
    with pytest.raises(ValueError, match="method must be one of descent, hoggle, got 'lbfgs'"):
        invert.invert(g, "hog", method="lbfgs")


def test_the_command_line_names_the_training_command(tmp_path, capsys, dictionary_file):
    out = tmp_path / "out"
    missing = tmp_path / "none.h5"
    assert run.main(["--method", "hoggle", "--dictionary", str(missing), "--out", str(out),
                     "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "python -m invert.train_hoggle" in err
    assert not out.exists()
    image = tmp_path / "photo.png"
    Image.fromarray((photo(96) * 255).astype(numpy.uint8)).save(image)
    assert run.main(["--method", "hoggle", "--dictionary", str(dictionary_file), "--image",
                     str(image), "--out", str(out), "--quiet"]) == 0
    assert (out / "hog-hoggle.png").is_file() and "hog-hoggle: error" in capsys.readouterr().out


@pytest.fixture
def folder(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for k, size in enumerate((96, 80)):
        g = photo(size + 40)[20:20 + size, 10:10 + size]
        Image.fromarray((g * 255).astype(numpy.uint8)).save(images / f"im{k}.png")
    return images


@pytest.mark.slow
def test_table1_has_a_hoggle_row(tmp_path, folder, dictionary_file, monkeypatch):
    monkeypatch.setenv("INVREP_WEIGHTS", str(dictionary_file.parent))
    rows = run_experiment("table1", folder, tmp_path / "out", only=["HOGgle"],
                          log=lambda *a: None)
    assert [r["run"] for r in rows] == ["HOGgle"] and rows[0]["images"] == 2
    assert rows[0]["reported_mean"] == 66.20 and rows[0]["error_mean"] > 0
    table = (tmp_path / "out" / "table.md").read_text()
    assert "| HOGgle | 2 |" in table and "66.20 +- 13.7" in table
    assert "* HOGgle: HOGgle on hog of 96x96 grayscale, dictionary" in table
    assert (tmp_path / "out" / "montage.png").is_file()
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path / "empty"))
    with pytest.raises(ValueError, match=r"train_hoggle.*leave run HOGgle out "
                                         r"\(--runs HOG,HOGb,DSIFT\)"):
        plan("table1", folder)
