"""invert.images.load_image on every kind of file a researcher has: each
test writes its file and checks the [0, 1] values against the samples it
wrote, mapped by the file's own range; save_image by extension."""
import warnings

import numpy
import pytest
from PIL import Image

from image_files import write_png, write_tiff
from invert.images import ImageNote, load_image, save_image
from nets.preprocess import to_gray

RNG = numpy.random.default_rng(0)


def grey3(a):
    return numpy.repeat(numpy.asarray(a, numpy.float64)[..., None], 3, axis=2)


def no_notes(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImageNote)
        return load_image(path, **kw)


def test_8bit_rgb_png_and_jpeg_read_exactly_as_pillow_decodes_them(tmp_path):
    a = RNG.integers(0, 256, (20, 24, 3)).astype(numpy.uint8)
    for name in ("p.png", "p.jpg"):
        Image.fromarray(a).save(tmp_path / name)
        with Image.open(tmp_path / name) as im:
            expected = numpy.asarray(im.convert("RGB"), numpy.float64) / 255.0
        assert numpy.array_equal(no_notes(tmp_path / name), expected)
        assert numpy.array_equal(no_notes(tmp_path / name, gray=True), to_gray(expected))


def test_16bit_grey_png_and_tiff_keep_every_bit(tmp_path):
    a = RNG.integers(0, 65536, (20, 24)).astype(numpy.uint16)
    a[0, :3] = 0, 32768, 65535
    Image.fromarray(a).save(tmp_path / "g.png")  # Pillow's mode I;16
    Image.fromarray(a).save(tmp_path / "g.tif")
    Image.frombytes("I;16B", (24, 20), a.astype(">u2").tobytes()).save(tmp_path / "gb.tif")
    write_png(tmp_path / "f.png", a)  # every row filter
    for name in ("g.png", "g.tif", "gb.tif", "f.png"):
        x = no_notes(tmp_path / name)
        assert numpy.array_equal(x, grey3(a / 65535.0)), name
        assert x[0, 1, 0] == pytest.approx(0.5, abs=1e-4)  # mid-grey stays mid-grey


@pytest.mark.parametrize("kind", ["png", "tiff", "tiff-deflate"])
def test_16bit_colour_keeps_every_bit(tmp_path, kind):
    a = RNG.integers(0, 65536, (17, 23, 3)).astype(numpy.uint16)
    path = tmp_path / ("c.png" if kind == "png" else "c.tif")
    write_png(path, a) if kind == "png" else write_tiff(path, a, deflate=kind == "tiff-deflate")
    assert numpy.array_equal(no_notes(path), a / 65535.0)


def test_16bit_rgba_and_grey_alpha_are_composited_on_white(tmp_path):
    rgba = RNG.integers(0, 65536, (9, 11, 4)).astype(numpy.uint16)
    la = rgba[..., [0, 3]]
    write_png(tmp_path / "rgba.png", rgba)
    write_png(tmp_path / "la.png", la)
    write_tiff(tmp_path / "rgba.tif", rgba)
    f, g = rgba / 65535.0, la / 65535.0
    for name, expected in (("rgba.png", f[..., :3] * f[..., 3:] + 1 - f[..., 3:]),
                           ("la.png", grey3(g[..., 0] * g[..., 1] + 1 - g[..., 1])),
                           ("rgba.tif", f[..., :3] * f[..., 3:] + 1 - f[..., 3:])):
        with pytest.warns(ImageNote, match="composited on white"):
            x = load_image(tmp_path / name)
        numpy.testing.assert_allclose(x, expected, rtol=0, atol=1e-15, err_msg=name)


def test_8bit_alpha_is_composited_on_white_and_opaque_alpha_changes_nothing(tmp_path):
    rgba = RNG.integers(0, 256, (9, 11, 4)).astype(numpy.uint8)
    rgba[0, 0, 3] = 0  # a transparent pixel becomes white whatever its colour
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgba[..., [0, 3]], "LA").save(tmp_path / "la.png")
    f = rgba / 255.0
    with pytest.warns(ImageNote, match="rgba.png: transparent pixels composited on white"):
        x = load_image(tmp_path / "rgba.png")
    numpy.testing.assert_allclose(x, f[..., :3] * f[..., 3:] + 1 - f[..., 3:], atol=1e-15)
    assert (x[0, 0] == 1).all()
    with pytest.warns(ImageNote):
        y = load_image(tmp_path / "la.png")
    numpy.testing.assert_allclose(y, grey3(f[..., 0] * f[..., 3] + 1 - f[..., 3]), atol=1e-15)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    assert numpy.array_equal(no_notes(tmp_path / "opaque.png"), no_notes(tmp_path / "rgb.png"))


def test_integer_tiffs_map_the_range_they_declare(tmp_path):
    for dtype in (numpy.int32, numpy.uint32, numpy.int16):
        info = numpy.iinfo(dtype)
        a = RNG.integers(info.min, info.max, (8, 10), dtype=dtype, endpoint=True)
        a[0, :2] = info.min, info.max
        path = tmp_path / f"{numpy.dtype(dtype).name}.tif"
        if dtype is numpy.int32:
            Image.fromarray(a).save(path)  # Pillow's mode I (signed 32-bit)
        else:
            write_tiff(path, a)
        x = no_notes(path)
        expected = (a.astype(numpy.float64) - info.min) / (float(info.max) - info.min)
        numpy.testing.assert_allclose(x, grey3(expected), rtol=0, atol=1e-15, err_msg=path.name)
        assert (x[0, 0, 0], x[0, 1, 0]) == (0.0, 1.0)


def test_float_tiffs_are_taken_as_they_are_within_0_1_and_refused_outside(tmp_path):
    a = RNG.random((8, 10)).astype(numpy.float32)
    a[0, :2] = 0, 1
    Image.fromarray(a).save(tmp_path / "unit.tif")  # Pillow's mode F
    assert numpy.array_equal(no_notes(tmp_path / "unit.tif"), grey3(a))
    Image.fromarray(a * 2.5 - 0.5).save(tmp_path / "wide.tif")
    with pytest.raises(ValueError, match=r"wide.tif: float samples span \[-0\.5, 2\], "
                       r"outside \[0, 1\]"):
        load_image(tmp_path / "wide.tif")
    a[3, 3] = numpy.nan
    write_tiff(tmp_path / "nan.tif", a)
    with pytest.raises(ValueError, match="NaN or infinite"):
        load_image(tmp_path / "nan.tif")


def test_1bit_palette_and_cmyk(tmp_path):
    bits = RNG.random((8, 10)) > 0.5
    Image.fromarray(bits).save(tmp_path / "b.png")
    assert numpy.array_equal(no_notes(tmp_path / "b.png"), grey3(bits))

    index = RNG.integers(0, 4, (8, 10)).astype(numpy.uint8)
    palette = numpy.array([[250, 0, 0], [0, 250, 0], [0, 0, 250], [10, 20, 30]])
    im = Image.fromarray(index, "P")
    im.putpalette(palette.astype(numpy.uint8).ravel().tolist())
    im.save(tmp_path / "p.png")
    assert numpy.array_equal(no_notes(tmp_path / "p.png"), palette[index] / 255.0)
    im.save(tmp_path / "pt.png", transparency=3)  # colour 3 transparent: white
    with pytest.warns(ImageNote, match="composited on white"):
        x = load_image(tmp_path / "pt.png")
    assert numpy.array_equal(x, numpy.where((index == 3)[..., None], 1.0, palette[index] / 255.0))

    cmyk = RNG.integers(0, 256, (8, 10, 4)).astype(numpy.uint8)
    Image.fromarray(cmyk, "CMYK").save(tmp_path / "k.tif")
    f = cmyk / 255.0
    with pytest.warns(ImageNote, match="CMYK converted"):
        x = load_image(tmp_path / "k.tif")
    numpy.testing.assert_allclose(x, (1 - f[..., :3]) * (1 - f[..., 3:]), atol=1e-15)


@pytest.mark.parametrize("orientation, turn", [(3, lambda a: numpy.rot90(a, 2)),
                                               (6, lambda a: numpy.rot90(a, -1)),  # clockwise
                                               (8, lambda a: numpy.rot90(a, 1)),
                                               (2, lambda a: a[:, ::-1])])
def test_the_exif_orientation_is_applied(tmp_path, orientation, turn):
    a = RNG.integers(0, 256, (6, 9, 3)).astype(numpy.uint8)
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(tmp_path / "o.png", exif=exif)
    assert numpy.array_equal(no_notes(tmp_path / "o.png"), turn(a) / 255.0)
    g = RNG.integers(0, 65536, (6, 9)).astype(numpy.uint16)  # a 16-bit file too
    Image.fromarray(g).save(tmp_path / "g.png", exif=exif)
    assert numpy.array_equal(no_notes(tmp_path / "g.png"), grey3(turn(g) / 65535.0))


def test_a_phone_jpeg_is_read_upright(tmp_path):
    a = RNG.integers(0, 256, (30, 40, 3)).astype(numpy.uint8)  # stored landscape
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise, portrait
    im.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    with Image.open(tmp_path / "phone.jpg") as stored:
        stored = numpy.asarray(stored.convert("RGB")) / 255.0
    x = no_notes(tmp_path / "phone.jpg")
    assert x.shape == (40, 30, 3)
    assert numpy.array_equal(x, numpy.rot90(stored, -1))


def test_the_first_frame_of_an_animation_with_a_note(tmp_path):
    frames = [Image.new("RGB", (8, 6), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    with pytest.warns(ImageNote, match="2 frames"):
        x = load_image(tmp_path / "a.gif")
    assert numpy.array_equal(x[0, 0], [1.0, 0.0, 0.0])


def test_unreadable_files_are_one_line_errors(tmp_path):
    a = RNG.integers(0, 256, (40, 40, 3)).astype(numpy.uint8)
    Image.fromarray(a).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    (tmp_path / "text.png").write_text("not an image")
    for name, message in (("cut.png", "cannot read image"), ("text.png", "not an image format"),
                          ("none.png", "not found")):
        with pytest.raises(ValueError, match=message) as err:
            load_image(tmp_path / name)
        assert "\n" not in str(err.value) and name in str(err.value)


def test_save_image_writes_the_format_its_extension_names(tmp_path):
    a = RNG.random((12, 14, 3))
    for name, fmt in (("r.png", "PNG"), ("r.jpg", "JPEG"), ("r.tif", "TIFF"), ("R.JPEG", "JPEG")):
        save_image(tmp_path / name, a)
        with Image.open(tmp_path / name) as im:
            assert (im.format, im.size) == (fmt, (14, 12))
    assert numpy.array_equal(load_image(tmp_path / "r.png"),
                             numpy.round(a * 255) / 255.0)  # lossless: 8 bits per channel
    with pytest.raises(ValueError, match="no image format for '.xyz'"):
        save_image(tmp_path / "r.xyz", a)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R.JPEG", "r.jpg", "r.png", "r.tif"]
