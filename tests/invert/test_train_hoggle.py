"""python -m invert.train_hoggle: seeded training from a folder of photos to
a dictionary file that ``invert`` reads, and a clear refusal of the
evaluation photos."""
import numpy
import pytest
from PIL import Image

from invert import hoggle, train_hoggle
from invert.images import DEFAULT_IMAGE

pytestmark = pytest.mark.slow  # learns a (small) dictionary


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    with Image.open(DEFAULT_IMAGE) as im:
        im.crop((0, 0, 160, 144)).save(folder / "a.png")
        im.crop((200, 100, 344, 260)).save(folder / "b.png")
        im.crop((0, 300, 150, 450)).save(folder / "hubble_deep_field.png")  # left out
    return folder


def train(photos, out, seed=0):
    lines = []
    train_hoggle.train(photos, out, atoms=24, lambda_=0.1, windows=300, epochs=1, batch=100,
                       seed=seed, log=lines.append)
    return lines


def test_training_writes_a_seeded_dictionary(tmp_path, photos):
    lines = train(photos, tmp_path / "d1.h5")
    assert lines[0].startswith("training pairs from 2 photos")
    d = hoggle.load_dictionary(tmp_path / "d1.h5")
    assert d.atoms == 24 and d.lambda_ == 0.1 and (d.cells, d.cell_size) == (5, 8)
    assert d.attrs["photos"] == "a.png,b.png" and d.attrs["seed"] == 0
    assert d.attrs["windows"] == 300 and d.attrs["objective_last"] < d.attrs["objective_first"]
    train(photos, tmp_path / "d2.h5")
    again = hoggle.load_dictionary(tmp_path / "d2.h5")
    assert (again.patches == d.patches).all() and (again.hog == d.hog).all()
    train(photos, tmp_path / "d3.h5", seed=1)
    assert not numpy.allclose(hoggle.load_dictionary(tmp_path / "d3.h5").hog, d.hog)


def test_the_evaluation_photos_are_refused(tmp_path, capsys):
    folder = tmp_path / "imagenet"
    folder.mkdir()
    Image.new("RGB", (64, 64)).save(folder / "imagenet_00_243.png")
    assert train_hoggle.main(["--photos", str(folder), "-o", str(tmp_path / "d.h5")]) == 1
    assert "evaluation photos of Table 1" in capsys.readouterr().err
    assert not (tmp_path / "d.h5").exists()
