"""Image files decoded robustly with Pillow (no TensorFlow): regular files only, EXIF
orientation applied, any mode converted to 1, 3 or 4 channels, class-per-folder listings."""

from __future__ import annotations

import math
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps

from keras_resnet.vocabulary import check_choice

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MODES = {1: "L", 3: "RGB", 4: "RGBA"}
#: The most one side of an image may exceed the other: a view of a model (its input, or the
#: paper's shorter-side resize) is taken from the shorter side, so a 100000x1 image would
#: become a 25.6-gigapixel tensor before its centre is cropped.
MAX_ASPECT = 50


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit integer images (PNG "I;16", "I") to 8-bit grey, scaled by range."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        return Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    return image


def open_image(path: str) -> Image.Image:
    """``PIL.Image.open`` for regular files only: a FIFO would block the read forever, and a
    device or socket is no image (``OSError`` naming what it is).

    Example:
        >>> open_image("/dev/null")
        Traceback (most recent call last):
        ...
        OSError: not a regular file (a FIFO, device or socket): skipped
    """
    if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
        raise OSError("not a regular file (a FIFO, device or socket): skipped")
    return Image.open(path)


def view_pixel_bound(height: int | None, width: int | None) -> int:
    """The most pixels an image is decoded to for a model with inputs of ``height`` x
    ``width``: 256 times its input, at least 4096x4096 (16.8 megapixels, which covers the
    inputs up to 256x256).

    Example:
        >>> view_pixel_bound(448, 448)
        51380224
    """
    return max(4096 * 4096, 256 * (height or 224) * (width or 224))


def _bounded(image: Image.Image, max_pixels: int) -> Image.Image:
    """``image`` reduced by a whole factor to at most ``max_pixels`` (a JPEG is decoded at
    that size with ``draft``, other formats are reduced once decoded); refused when one side
    is over ``MAX_ASPECT`` times the other."""
    width, height = image.size
    if max(width, height) > MAX_ASPECT * max(1, min(width, height)):
        raise ValueError(
            f"an image of {width}x{height} pixels: one side is over {MAX_ASPECT} times the "
            "other, no view of a model can be taken from it"
        )
    factor = math.ceil(math.sqrt(width * height / max_pixels))
    if factor <= 1:
        return image
    image.draft(image.mode, (width // factor, height // factor))
    factor = math.ceil(math.sqrt(image.size[0] * image.size[1] / max_pixels))
    return image.reduce(factor) if factor > 1 else image


def decode_image(
    path: str,
    channels: int = 3,
    size: tuple[int, int] | None = None,
    *,
    max_pixels: int | None = None,
    draft: bool = False,
) -> np.ndarray:
    """Read any Pillow-readable image as uint8 (H, W, channels), upright, optionally resized.

    EXIF orientation is applied; CMYK, palette, grey, RGBA and 16-bit images are converted to
    ``channels`` (1, 3 or 4). With ``max_pixels`` (``view_pixel_bound``), a larger image is
    decoded or reduced by a whole factor to at most that many pixels, and one whose sides
    differ over ``MAX_ASPECT``-fold is refused. With ``draft`` and a ``size``, a JPEG is
    decoded at the smallest scale (1/2, 1/4, 1/8) still at least ``size`` before the resize:
    about twice as fast, and the pixels differ slightly from a full decode. Raises
    ``OSError``/``ValueError`` for files that are not images.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> Image.new("CMYK", (5, 4)).save(path.replace(".png", ".jpg"))
        >>> decode_image(path.replace(".png", ".jpg"), 3, (8, 8)).shape
        (8, 8, 3)
    """
    check_choice("channels", channels, MODES)
    with open_image(path) as image:
        if max_pixels is not None:
            image = _bounded(image, max_pixels)
        if draft and size is not None:
            image.draft(image.mode, (size[1], size[0]))  # a no-op for other formats
        image = ImageOps.exif_transpose(image)
        image = _to_8bit(image)
        if image.mode == "P":
            image = image.convert("RGBA")
        image = image.convert(MODES[channels])
        if size is not None:
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8).reshape(image.size[1], image.size[0], channels)


#: What a file that cannot be decoded raises: Pillow's OSError ("image file is truncated"),
#: UnidentifiedImageError, a ValueError or SyntaxError from a broken header, and
#: DecompressionBombError for images over Pillow's pixel limit (which stays on).
DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def describe_decode_error(error: Exception) -> str:
    """What one of ``DECODE_ERRORS`` says about a file, in words for a user.

    Example:
        >>> describe_decode_error(OSError("image file is truncated"))
        'not a readable image (image file is truncated)'
    """
    if str(error).startswith(("not a regular file", "an image of")):
        return str(error)
    if isinstance(error, Image.DecompressionBombError):
        return f"over Pillow's decompression-bomb limit ({error})"
    return f"not a readable image ({error})"


def unreadable_reason(path: str) -> str | None:
    """Why ``path`` cannot be decoded, or None: the whole image is decoded (``verify``
    passes a truncated JPEG that then fails mid-epoch).

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> Image.new("RGB", (4, 4)).save(path)
        >>> unreadable_reason(path) is None
        True
    """
    try:
        with open_image(path) as image:
            image.load()
        return None
    except DECODE_ERRORS as error:
        return describe_decode_error(error)


def readable_files(files: list[str], labels: list[int], where: str, *, caller: str):
    """``files`` and ``labels`` less the files Pillow cannot decode in full, which are named,
    with their count, in one warning (``caller`` says who skipped them); refused when none is
    left.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> good, bad = os.path.join(folder, "a.png"), os.path.join(folder, "b.png")
        >>> Image.new("RGB", (4, 4)).save(good)
        >>> _ = open(bad, "w").write("not an image")
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     readable_files([good, bad], [0, 1], folder, caller="example")
        (['...a.png'], [0])
        >>> "skipped 1 of 2 files" in str(caught[0].message)
        True
    """
    reasons = [unreadable_reason(file) for file in files]
    good = [i for i, reason in enumerate(reasons) if reason is None]
    if len(good) < len(files):
        bad = [f"{file}: {reason}" for file, reason in zip(files, reasons, strict=True) if reason]
        bombs = sum("decompression-bomb" in reason for reason in reasons if reason)
        warnings.warn(
            f"{caller}: skipped {len(bad)} of {len(files)} files in {where!r} that cannot be "
            f"decoded ({bombs} over the decompression-bomb limit): "
            + "; ".join(bad[:10])
            + ("; ..." if len(bad) > 10 else ""),
            stacklevel=3,
        )
    if not good:
        raise ValueError(
            f"No readable images under {where!r} (looked for {', '.join(IMAGE_EXTENSIONS)})"
        )
    return [files[i] for i in good], [labels[i] for i in good]


def list_images(path: str) -> tuple[list[str], list[int], list[str]]:
    """(files, labels, class_names) of a class-per-folder tree; class names sorted.

    Example:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(root, "cats"))
        >>> Image.new("RGB", (4, 4)).save(os.path.join(root, "cats", "a.png"))
        >>> list_images(root)[1:]
        ([0], ['cats'])
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"The `path` argument should be a directory. Received: path={path!r}"
        )
    class_names = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    if not class_names:
        raise ValueError(
            "The `path` argument should contain one sub-directory per class. "
            f"Received: path={path!r}"
        )
    files, labels = [], []
    for label, name in enumerate(class_names):
        for root, _, names in sorted(os.walk(os.path.join(path, name))):
            for file in sorted(names):
                if file.lower().endswith(IMAGE_EXTENSIONS):
                    files.append(os.path.join(root, file))
                    labels.append(label)
    return files, labels, class_names
