"""A minimal Protocol Buffers reader: the wire format (binary) and the text
format (prototxt), enough for Caffe's NetParameter without generated code.

Wire format: a message is a sequence of (key, value) with key = varint
(field_number << 3 | wire_type):
    0 varint   (int32/64, uint, bool, enum; 7 bits per byte, low first,
               high bit = "more")
    1 64-bit   (double, fixed64), little-endian
    2 length-delimited: varint length + bytes (string, bytes, sub-message,
               packed repeated scalars)
    5 32-bit   (float, fixed32), little-endian
A repeated scalar may come packed (one wire-type-2 field holding the
concatenated values) or unpacked (one field per value); readers accept both.

Text format: ``name: value`` and ``name { ... }`` pairs, ``#`` comments,
quoted strings, enum identifiers; parsed to ``{name: [values]}`` dicts.
"""
import re

import numpy


class ProtobufError(ValueError):
    pass


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ProtobufError("varint longer than 10 bytes")


def parse(buf):
    """``{field_number: [values]}``: int for varints, bytes for the others."""
    buf, pos, out = memoryview(buf), 0, {}
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ProtobufError(f"unsupported wire type {wire} (field {number})")
        if pos > len(buf):
            raise ProtobufError(f"field {number} runs past the end of the message "
                                f"(truncated file?)")
        out.setdefault(number, []).append(value)
    return out


def string(message, number, default=""):
    values = message.get(number)
    return bytes(values[-1]).decode() if values else default


def floats(values, dtype="<f4"):
    """A repeated float (``<f4``) or double (``<f8``) field, packed or not."""
    return numpy.frombuffer(b"".join(bytes(v) for v in values or []), dtype=dtype)


def varints(values):
    """A repeated integer field, packed (bytes) or not (ints)."""
    out = []
    for v in values or []:
        if isinstance(v, int):
            out.append(v)
        else:
            pos, v = 0, memoryview(v)
            while pos < len(v):
                x, pos = _varint(v, pos)
                out.append(x)
    return out


_TOKEN = re.compile(r'\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|([{}:])|([^\s{}:#"\']+)')


def parse_text(text):
    """Text-format protobuf -> nested ``{name: [values]}`` (numbers as
    int/float, enums and strings as str)."""
    tokens = []
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None or m.group(2) is not None:
            tokens.append(("str", m.group(1) if m.group(1) is not None else m.group(2)))
        elif m.group(3):
            tokens.append((m.group(3), None))
        elif m.group(4):
            tokens.append(("word", m.group(4)))
    root, stack, i = {}, [], 0
    current = root
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "}":
            if not stack:
                raise ProtobufError("unbalanced '}' in text format")
            current = stack.pop()
            i += 1
            continue
        if kind != "word":
            raise ProtobufError(f"expected a field name, got {kind} {value!r}")
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if nxt == ":" and i + 2 < len(tokens) and tokens[i + 2][0] != "{":
            current.setdefault(value, []).append(_scalar(*tokens[i + 2]))
            i += 3
        elif nxt == "{" or (nxt == ":" and tokens[i + 2][0] == "{"):
            child = {}
            current.setdefault(value, []).append(child)
            stack.append(current)
            current = child
            i += 2 if nxt == "{" else 3
        else:
            raise ProtobufError(f"field '{value}' has no value")
    if stack:
        raise ProtobufError("unbalanced '{' in text format")
    return root


def _scalar(kind, value):
    if kind == "str":
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value, value)
