"""G.711 properties (the codec itself is verified against audioop elsewhere)."""

from __future__ import annotations

import numpy as np

from ringcast.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode


def test_decode_encode_is_identity_on_code_points() -> None:
    codes = bytes(range(256))
    # µ-law has two zeros (0x7F, 0xFF); both decode to 0, which encodes to 0xFF
    ulaw_back = ulaw_encode(ulaw_decode(codes))
    assert [i for i in range(256) if ulaw_back[i] != i] == [0x7F]
    assert alaw_encode(alaw_decode(codes)) == codes


def test_quantisation_error_is_bounded() -> None:
    pcm = np.arange(-32768, 32768, 7, dtype=np.int32).astype(np.int16)
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        back = decode(encode(pcm)).astype(np.int32)
        error = np.abs(back - pcm.astype(np.int32))
        # logarithmic: the step grows with the magnitude, at most ~1/16 of it (+ a floor)
        assert np.all(error <= np.abs(pcm.astype(np.int32)) // 16 + 64)
