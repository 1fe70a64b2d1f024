"""HOG glyph rendering against VLFeat's stored glyphs and renders."""
import numpy
import pytest
from PIL import Image

import invert
from _vlfeat import case_id, cases, constants_file, load
from nets.hogrender import glyphs


def test_glyphs_generated_from_the_rule_equal_vlfeat():
    z = load(constants_file())
    assert int(z["glyph_size"]) == 21
    numpy.testing.assert_array_equal(glyphs(9, 21), z["glyphs"])


@pytest.mark.parametrize("case", cases(["hog_render_uoctti_cs8"]), ids=case_id)
def test_render_matches_vlfeat(case):
    path, key = case
    z = load(path)
    got = invert.hog_render(z["hog_uoctti_cs8"])
    assert got.shape == z[key].shape
    numpy.testing.assert_allclose(got, z[key], atol=1e-6)


def test_render_variants_and_errors():
    h = numpy.random.default_rng(0).random((2, 3, 36)).astype(numpy.float32)
    assert invert.hog_render(h).shape == (42, 63)  # DalalTriggs: 4 blocks summed
    numpy.testing.assert_allclose(invert.hog_render(h[..., :27]),
                                  invert.hog_render(numpy.concatenate(
                                      [h[..., :27], numpy.zeros((2, 3, 4))], 2)))
    with pytest.raises(ValueError, match="shape"):
        invert.hog_render(h[0])
    with pytest.raises(ValueError, match="D = 30"):
        invert.hog_render(h[..., :30])


def test_save_png(tmp_path):
    img = numpy.tile(numpy.linspace(0, 1, 64, dtype=numpy.float32), (48, 1))
    h = invert.hog(img)
    picture = invert.save_hog_png(h, tmp_path / "hog.png")
    saved = numpy.asarray(Image.open(tmp_path / "hog.png"))
    assert saved.shape == picture.shape == (21 * 6, 21 * 8) and saved.dtype == numpy.uint8
    assert saved.max() == 255 and saved[:, 10].min() == 255  # vertical bars, column 10
