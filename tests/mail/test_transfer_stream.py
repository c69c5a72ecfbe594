"""Decoding an attachment chunk by chunk gives what decoding it whole gives,
and never holds more than about a chunk, even of a part with no line ends."""

from __future__ import annotations

import base64
import quopri
import random
from collections.abc import Iterator

import pytest

from teaminbox.mail.transfer_stream import LONGEST_LINE, decode_stream

# Pieces of valid quoted-printable: text, escapes, soft and hard line breaks.
QP_PIECES = [b"a", b"Z", b"3", b"=", b" ", b"\t", b"\r\n", b"=\r\n", b"=3D", b"=C3=A9"]


def chunked(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 6))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("seed", range(5))
def test_quoted_printable_in_chunks_decodes_as_whole(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - repeatable cases, not a secret
    for _ in range(2000):
        data = b"".join(rng.choice(QP_PIECES) for _ in range(rng.randint(0, 40)))
        decoded = b"".join(decode_stream(chunked(data, rng), "quoted-printable"))
        assert decoded == quopri.decodestring(data), data


def test_base64_in_chunks_decodes_as_whole() -> None:
    rng = random.Random(1)  # noqa: S311 - repeatable cases, not a secret
    blob = rng.randbytes(5000)
    encoded = base64.encodebytes(blob)
    assert b"".join(decode_stream(chunked(encoded, rng), "base64")) == blob


def test_a_part_without_line_ends_is_decoded_as_it_comes() -> None:
    # Hostile quoted-printable with no line end at all: every chunk must come
    # out as it is read, not pile up until the end (it also took time
    # quadratic in the part's size).
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(64):
            read.append(index)
            yield b"=41" * 10_000

    decoded = decode_stream(chunks(), "quoted-printable")
    first = next(decoded)
    assert read == [0] and first.startswith(b"AAA")
    assert len(first) + sum(len(rest) for rest in decoded) == 64 * 10_000


@pytest.mark.parametrize("unit", [b" ", b"=", b"= "], ids=["spaces", "equal-signs", "both"])
def test_a_part_of_bytes_that_await_a_line_end_is_not_held_whole(unit: bytes) -> None:
    # Spaces and "=" may span a line end, so they are held back until it
    # comes; one that never comes held the whole part (and rescanned it at
    # every chunk: 2 MB took 3 s). No line is longer than 998 bytes.
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(64):
            read.append(index)
            yield unit * (30_000 // len(unit))

    decoded = decode_stream(chunks(), "quoted-printable")
    assert next(decoded) and read == [0]
    assert all(len(piece) <= 30_000 + LONGEST_LINE for piece in decoded)
