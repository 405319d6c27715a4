import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm.datasets import read_contact_distances

FAMILIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "families"


def test_reads_three_and_four_columns_symmetric():
    text = b"# comment\n1 3 0.5 4.2\n\n2 4 12.0\n"
    D = read_contact_distances(io.BytesIO(text))
    assert D.shape == (4, 4)
    assert D[0, 2] == D[2, 0] == 4.2
    assert D[1, 3] == D[3, 1] == 12.0
    assert np.isnan(D[0, 1]) and np.isnan(np.diag(D)).all()
    assert np.array_equal(np.isnan(D), np.isnan(D.T))


def test_gzip_and_n_columns(tmp_path):
    path = tmp_path / "pairs.dat.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"1 2 3.5\n")
    D = read_contact_distances(path, n_columns=5)
    assert D.shape == (5, 5) and D[0, 1] == 3.5
    with pytest.raises(ValueError, match="beyond n_columns=1"):
        read_contact_distances(path, n_columns=1)


@pytest.mark.parametrize("text, match", [
    (b"1 2\n", "2 fields"),
    (b"1 2 a 3\n", "not a number"),
    (b"0 2 3\n", "1-based"),
    (b"1.5 2 3\n", "1-based"),
    (b"1 2 nan\n", "finite"),
    (b"1 2 -1\n", "non-negative"),
    (b"2 2 1\n", "itself"),
    (b"1 2 3\n2 1 4\n", "two different"),
    (b"1 2 3\n1 2 4\n", "two different"),
    (b"", "no pair"),
])
def test_bad_files_are_refused(text, match):
    with pytest.raises(ValueError, match=match):
        read_contact_distances(io.BytesIO(text))


def test_repeated_pair_with_same_distance_is_fine():
    D = read_contact_distances(io.BytesIO(b"1 2 3\n2 1 3\n"))
    assert D[0, 1] == 3


@pytest.mark.skipif(not FAMILIES.is_dir(), reason="benchmark families not available")
@pytest.mark.parametrize("name, path, n_columns, n_pairs", [
    ("PF00014", "PF00014/PF00014_struct.dat", 53, 1378),
    ("PF13354", "PF13354/PF13354_struct.dat", 202, 20301),
])
def test_benchmark_pair_files(name, path, n_columns, n_pairs):
    D = read_contact_distances(FAMILIES / path)
    assert D.shape == (n_columns, n_columns)
    listed = np.count_nonzero(~np.isnan(np.triu(D, 1)) & np.triu(np.ones_like(D, bool), 1))
    assert listed == n_pairs
    # a folded chain: neighbours along it are closer than 8 A far more often than not
    near = np.diag(D, 1)
    assert np.nanmean(near < 8) > 0.9
