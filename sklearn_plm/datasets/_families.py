"""Benchmark protein families of the DCA literature, fetched into scikit-learn's data home."""

import hashlib
import os
import shutil
import tempfile
from numbers import Integral, Real
from http.client import HTTPException
from pathlib import Path
from urllib.error import URLError

from sklearn.utils import Bunch

from .. import _sklearn_compat
from .._sklearn_compat import Interval, StrOptions, validate_params
from ._alignment import PROTEIN_ALPHABET, read_alignment
from ._structure import read_contact_distances

#: Where the files are published: the ArDCA companion repository (MIT license).
BASE_URL = "https://raw.githubusercontent.com/pagnani/ArDCAData/master/data"

#: Environment variable naming a local folder laid out as ``<folder>/<family>/<file>``
#: (e.g. a copy of the source repository's ``data`` folder); files found there
#: are checked and copied into the cache instead of being downloaded.
FAMILIES_DIR_ENV = "SKLEARN_PLM_FAMILIES_DIR"

_CACHE_SUBDIR = "sklearn_plm_families"

# name -> (alignment file, its SHA-256, distance file, its SHA-256, description)
_FAMILIES = {
    "PF13354": (
        "PF13354_wo_ref_seqs.fasta.gz",
        "6e0550fab311c6bebc0a5dde34cdf67ebd3a384c7346e88662c5097961f2ab35",
        "PF13354_struct.dat",
        "a15826d298990f234b1ca8c9df06bd3dac5885c70e8b3bf40f4ed314df240524",
        "Pfam PF13354 (Beta-lactamase2, class-A beta-lactamase): 7515 aligned sequences x "
        "202 columns, reference sequences removed",
    ),
    "PF00014": (
        "PF00014_mgap6.fasta.gz",
        "771fce05d3c69bdc775a6f4f24f7a7a0853c217d8d2f29bfd5d168dfe51de831",
        "PF00014_struct.dat",
        "6589d02d940525334fcf25d5e0c2972cbf97b0f126cc89626d157a231a26a469",
        "Pfam PF00014 (Kunitz/BPTI domain): 13600 aligned sequences x 53 columns",
    ),
}

#: The families :func:`fetch_protein_family` knows.
PROTEIN_FAMILIES = tuple(_FAMILIES)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_checked(source, target, checksum):
    """Copy ``source`` to ``target`` via a temporary file, renamed once its hash is right."""
    fd, temp = tempfile.mkstemp(prefix=target.name + ".part_", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, temp)
        found = _sha256(temp)
        if found != checksum:
            raise OSError(
                f"The SHA-256 of {source} ({found}) differs from the expected {checksum}; "
                f"it is not the published file. Remove it or point {FAMILIES_DIR_ENV} "
                "elsewhere.")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def _local_copy(name, filename):
    folder = os.environ.get(FAMILIES_DIR_ENV)
    if not folder:
        return None
    path = Path(folder).expanduser() / name / filename
    return path if path.is_file() else None


def _get_file(name, filename, checksum, folder, download_if_missing, base_url, n_retries,
              delay):
    """Path of a checked copy of ``filename`` in ``folder``: cached, copied or downloaded."""
    target = folder / filename
    if target.is_file() and _sha256(target) == checksum:
        return target
    local = _local_copy(name, filename)
    if local is not None:
        return _copy_checked(local, target, checksum)
    url = f"{base_url.rstrip('/')}/{name}/{filename}"
    if not download_if_missing:
        raise FileNotFoundError(
            f"{filename} of family {name} is not in the cache {folder} and "
            f"download_if_missing=False. Allow the download (from {url}) or set "
            f"{FAMILIES_DIR_ENV} to a folder holding {name}/{filename}.")
    try:
        # scikit-learn's fetcher: a temporary file in the same folder, removed on any
        # error (an interrupted transfer included), renamed only after its SHA-256 matched
        remote = _sklearn_compat.RemoteFileMetadata(filename, url, checksum)
        return Path(_sklearn_compat._fetch_remote(remote, dirname=folder, n_retries=n_retries,
                                                  delay=delay))
    except (URLError, HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FileNotFoundError(
            f"Could not download {filename} of family {name} from {url} ({reason}) and there "
            f"is no checked copy in the cache {folder}. Connect to the internet, or set "
            f"{FAMILIES_DIR_ENV} to a folder holding {name}/{filename} (in a source "
            "checkout: ../shared/data/families).") from None


@validate_params(
    {"name": [StrOptions(set(_FAMILIES))],
     "data_home": [str, os.PathLike, None],
     "download_if_missing": ["boolean"],
     "gaps": [StrOptions({"state", "missing"})],
     "base_url": [str, None],
     "n_retries": [Interval(Integral, 0, None, closed="left")],
     "delay": [Interval(Real, 0, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def fetch_protein_family(name, *, data_home=None, download_if_missing=True, gaps="state",
                         base_url=None, n_retries=3, delay=1.0):
    """Load a benchmark protein family with reference distances (download if needed).

    The alignments and the residue distances of the direct-coupling-analysis
    benchmark set of Trinquier et al. (ArDCA, Nat. Commun. 2021; files of the
    ``pagnani/ArDCAData`` repository, MIT license) are downloaded once into
    ``<data_home>/sklearn_plm_families/<name>/``, checked against their
    SHA-256 and read from there afterwards. A download is written to a
    temporary file that is renamed only when complete and checked, so an
    interrupted transfer leaves nothing in the cache.

    Without network access, set the environment variable
    ``SKLEARN_PLM_FAMILIES_DIR`` to a folder that holds ``<name>/<file>``
    (for example a copy of the source repository's ``data`` folder): the
    files are checked and copied from there into the cache.

    Parameters
    ----------
    name : {"PF13354", "PF00014"}
        Pfam accession: ``"PF13354"`` (class-A beta-lactamase, 7515
        sequences x 202 columns) or ``"PF00014"`` (Kunitz domain, 13600 x
        53).
    data_home : str or path-like, default=None
        scikit-learn's data folder (:func:`sklearn.datasets.get_data_home`:
        ``$SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``).
    download_if_missing : bool, default=True
        Download the files when they are not cached (and no local folder is
        set); otherwise raise a FileNotFoundError.
    gaps : {"state", "missing"}, default="state"
        How :func:`read_alignment` codes the gap ``-``: as state 0 of
        :data:`PROTEIN_ALPHABET` (q = 21), or as NaN (q = 20).
    base_url : str, default=None
        Where the ``<name>/<file>`` paths are downloaded from; None uses
        :data:`BASE_URL`, the public source.
    n_retries : int, default=3
        Retries of a failed download.
    delay : float, default=1.0
        Seconds between retries.

    Returns
    -------
    family : Bunch
        Dictionary-like object with attributes

        data : ndarray of shape (n_sequences, n_columns)
            State codes (int8; float64 with NaN at the gaps when
            ``gaps="missing"``).
        alphabet : str
            ``alphabet[code]`` decodes a state.
        names : list of str
            Sequence names (accession and residue range).
        distances : ndarray of shape (n_columns, n_columns)
            Residue distances between columns in Angstrom from a crystal
            structure of the family (NaN where unknown); see
            :func:`read_contact_distances`.
        alignment_path, distances_path : Path
            The cached files.
        source : dict
            ``{"alignment": url, "distances": url}``.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        When a file is neither cached nor obtainable (no network, or
        ``download_if_missing=False``); the message says how to fill the cache.
    OSError
        When a downloaded or copied file does not have the expected SHA-256.

    See Also
    --------
    read_alignment : Read any alignment file.
    sklearn_plm.metrics.contact_precision : Score contact predictions against
        ``distances``.

    Examples
    --------
    >>> from sklearn_plm.datasets import fetch_protein_family
    >>> family = fetch_protein_family("PF13354")  # doctest: +SKIP
    >>> family.data.shape, len(family.alphabet)  # doctest: +SKIP
    ((7515, 202), 21)
    """
    ali_file, ali_sha, dist_file, dist_sha, description = _FAMILIES[name]
    base_url = BASE_URL if base_url is None else base_url
    from sklearn.datasets import get_data_home  # on use: sklearn.datasets is large

    folder = Path(get_data_home(data_home)) / _CACHE_SUBDIR / name
    folder.mkdir(parents=True, exist_ok=True)
    paths = [_get_file(name, f, sha, folder, download_if_missing, base_url, n_retries, delay)
             for f, sha in ((ali_file, ali_sha), (dist_file, dist_sha))]
    X, alphabet, names = read_alignment(paths[0], alphabet=PROTEIN_ALPHABET, gaps=gaps,
                                        return_names=True)
    distances = read_contact_distances(paths[1], n_columns=X.shape[1])
    source = {"alignment": f"{base_url.rstrip('/')}/{name}/{ali_file}",
              "distances": f"{base_url.rstrip('/')}/{name}/{dist_file}"}
    return Bunch(
        data=X, alphabet=alphabet, names=names, distances=distances,
        alignment_path=paths[0], distances_path=paths[1], source=source,
        DESCR=(f"{description}. Codes: {alphabet!r} -> 0..{len(alphabet) - 1} (gaps: "
               f"{gaps!r}). Distances: residue pairs of a crystal structure of the family, "
               "in Angstrom, between 1-based alignment columns. Source: the ArDCA benchmark "
               f"data (github.com/pagnani/ArDCAData, MIT license), {source['alignment']}; "
               "J. Trinquier, G. Uguzzoni, A. Pagnani, F. Zamponi, M. Weigt, Nat. Commun. 12, "
               "5800 (2021)."),
    )
