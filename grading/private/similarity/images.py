"""Perceptual hashes of images, with imagehash, and their distances.

A confusion matrix copied from someone else is often the same file, but a
copier may also re-save, re-encode or scale it; the DCT hash of imagehash
(``phash``) stays within a few bits for those, while two independently drawn
matrices of the same lab differ by dozens of bits at 32 x 32 (measured in
docs/similarity.md). Cropping moves the hash far; that is not caught.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

#: Name of the hashing recipe, recorded with stored hashes (change it with the recipe).
HASH_RECIPE = "imagehash.phash of the grey image, Lanczos with reducing_gap 3"
#: Formats read; anything else (SVG, PDF) is not hashed.
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
#: Pixels decoded at most (a decompression bomb is refused, not decoded).
MAX_PIXELS = 40_000_000


def phash_bits(data: bytes, hash_size: int) -> np.ndarray | None:
    """Return the perceptual hash of an image as a flat boolean array.

    Returns None when the bytes are not an image Pillow can read, or the
    image is larger than :data:`MAX_PIXELS`.
    """
    import imagehash
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.draft("L", (hash_size * 8, hash_size * 8))  # JPEG only
                gray = image.convert("L")
                # phash shrinks to (4 * hash_size)^2 with Lanczos; a box reduction
                # first (reducing_gap 3: indistinguishable, Pillow says) is cheaper
                side = 4 * hash_size
                if min(gray.size) > 3 * side:
                    gray = gray.resize(
                        (side, side), Image.Resampling.LANCZOS, reducing_gap=3.0
                    )
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        return None
    return np.asarray(
        imagehash.phash(gray, hash_size=hash_size).hash, dtype=bool
    ).ravel()


def to_hex(bits: np.ndarray) -> str:
    """Return the hash as hexadecimal text (for stored data)."""
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def from_hex(text: str, hash_size: int) -> np.ndarray | None:
    """Return the boolean array of a hash written by :func:`to_hex`."""
    try:
        raw = np.frombuffer(bytes.fromhex(text), dtype=np.uint8)
    except ValueError:
        return None
    bits = np.unpackbits(raw).astype(bool)
    return bits if len(bits) == hash_size * hash_size else None


def distances(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return the Hamming distance of every row of ``left`` to every row of ``right``.

    Both are ``(n, bits)`` boolean arrays; packed to bytes and compared with
    a popcount table, so thousands of images compare in milliseconds.
    """
    if len(left) == 0 or len(right) == 0:
        return np.zeros((len(left), len(right)), dtype=np.int32)
    a = np.packbits(left, axis=1)
    b = np.packbits(right, axis=1)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    out = np.empty((len(a), len(b)), dtype=np.int32)
    step = max(1, 4_000_000 // max(1, len(b) * a.shape[1]))
    for start in range(0, len(a), step):
        xor = np.bitwise_xor(a[start : start + step, None, :], b[None, :, :])
        out[start : start + step] = table[xor].sum(axis=2, dtype=np.int32)
    return out
