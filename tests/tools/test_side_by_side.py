"""tools.side_by_side: two experiment outputs, run by run, one row per image."""
import json

import numpy
import pytest
from PIL import Image

from invert.images import save_npz
from tools.side_by_side import main, side_by_side


def fake_output(folder, photo, runs, value):
    for run in runs:
        info = dict(image=str(photo), run=run, settings=dict(height=32, width=32))
        sub = folder / run.replace("=", "_")  # as the runner names the folders
        sub.mkdir(parents=True, exist_ok=True)
        save_npz(sub / f"{photo.stem}.npz", info=json.dumps(info),
                 recon=numpy.full((32, 32), value, numpy.float32) + numpy.eye(32, dtype=numpy.float32))


def test_columns_alternate_the_two_folders_and_rows_are_images(tmp_path):
    photos = []
    for k in range(3):
        photos.append(tmp_path / f"im{k}.png")
        Image.fromarray(numpy.full((40, 40), 60 * k, numpy.uint8)).save(photos[-1])
    for p in photos:
        fake_output(tmp_path / "a", p, ["HOG", "b=5"], 0.2)
        fake_output(tmp_path / "b", p, ["HOG", "b=5"], 0.7)
    picture, heads = side_by_side([tmp_path / "a", tmp_path / "b"], ["paper", "best"],
                                  ["HOG", "b=5"], picks=[0, 2], cell=32)
    assert heads == ["original", "HOG paper", "HOG best", "b=5 paper", "b=5 best"]
    assert picture.shape == (16 + 2 * 36 + 4, 5 * 36 + 4, 3)  # a header, 32-pixel cells
    # the second row's original is im2.png (grey 120); a reconstruction is
    # its eye min-max stretched: a white diagonal on black
    assert abs(picture[16 + 36 + 4:16 + 36 + 36, 4:36].mean() - 120) <= 1
    recon = picture[16 + 4:16 + 36, 36 + 4:36 + 36, 0]
    assert (recon == 255 * numpy.eye(32)).all()
    out = tmp_path / "sbs.png"
    assert main([str(tmp_path / "a"), str(tmp_path / "b"), "--runs", "HOG", "-o", str(out)]) == 0
    assert Image.open(out).size[0] == 3 * 116 + 4
    assert main([str(tmp_path / "a"), "--runs", "HOG,b=5", "-o", str(out)]) == 0  # one folder
    assert Image.open(out).size[0] == 3 * 116 + 4


def test_a_run_missing_from_either_folder_is_named(tmp_path, capsys):
    photo = tmp_path / "im.png"
    Image.fromarray(numpy.zeros((8, 8), numpy.uint8)).save(photo)
    fake_output(tmp_path / "a", photo, ["HOG"], 0.1)
    assert main([str(tmp_path / "a"), str(tmp_path / "b"), "--runs", "HOG",
                 "-o", str(tmp_path / "x.png")]) == 1
    assert "no image has a result for every run ['HOG']" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(ValueError):
        side_by_side([tmp_path / "a", tmp_path / "a"], ["x", "y"], ["DSIFT"])
