"""fetch_protein_family: download, checksum, cache, local copy and offline paths.

The downloads go to an HTTP server on the loopback address that serves the
shared copies of the files (``<repo>/../shared/data/families``); the tests
skip when that folder is absent.
"""

import functools
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm.datasets import PROTEIN_ALPHABET, fetch_protein_family
from sklearn_plm.datasets._families import FAMILIES_DIR_ENV

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "families"
pytestmark = pytest.mark.skipif(
    not (SHARED / "PF00014").is_dir(),
    reason=f"the shared copies of the protein families are not at {SHARED} (they come "
           "with the project's shared data folder next to the checkout)")


class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate = False  # serve half of each file after announcing its full length
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        if not self.truncate:
            return super().do_GET()
        path = Path(self.translate_path(self.path))
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def server(request):
    """Base URL of a loopback server of SHARED; ``request.param`` truncates the bodies."""
    handler = type("Handler", (_Handler,), {"truncate": getattr(request, "param", False),
                                             "requests": []})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(SHARED)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_local_folder(monkeypatch):
    monkeypatch.delenv(FAMILIES_DIR_ENV, raising=False)


def _cache(data_home):
    return Path(data_home) / "sklearn_plm_families" / "PF00014"


def test_download_from_server_then_cache_hit(tmp_path, server):
    url, handler = server
    family = fetch_protein_family("PF00014", data_home=tmp_path, base_url=url, delay=0)
    assert family.data.shape == (13600, 53)
    assert family.data.dtype == np.int8 and family.alphabet == PROTEIN_ALPHABET
    assert family.data.min() == 0 and family.data.max() == 20
    assert family.names[0].startswith("A0A0V1MAN1_9BILA")
    assert family.distances.shape == (53, 53)
    np.testing.assert_allclose(family.distances, family.distances.T, equal_nan=True)
    # the distances are the file's: check one line of it against the matrix
    i, j, _, d = (SHARED / "PF00014" / "PF00014_struct.dat").read_text().split("\n")[0].split()
    assert family.distances[int(float(i)) - 1, int(float(j)) - 1] == pytest.approx(float(d))
    assert family.source["alignment"] == f"{url}/PF00014/PF00014_mgap6.fasta.gz"
    assert family.alignment_path.parent == _cache(tmp_path)
    assert "Kunitz" in family.DESCR
    assert sorted(handler.requests) == ["/PF00014/PF00014_mgap6.fasta.gz",
                                        "/PF00014/PF00014_struct.dat"]
    # second call: from the cache, no request, even without the server
    again = fetch_protein_family("PF00014", data_home=tmp_path, base_url="http://127.0.0.1:9",
                                 download_if_missing=False)
    assert len(handler.requests) == 2
    np.testing.assert_array_equal(again.data, family.data)


def test_gaps_missing(tmp_path, server):
    family = fetch_protein_family("PF00014", data_home=tmp_path, base_url=server[0],
                                  gaps="missing", delay=0)
    assert len(family.alphabet) == 20 and np.isnan(family.data).any()


@pytest.mark.parametrize("server", [True], indirect=True)
def test_interrupted_download_leaves_no_file(tmp_path, server):
    with pytest.raises(FileNotFoundError, match="Could not download PF00014_mgap6"):
        fetch_protein_family("PF00014", data_home=tmp_path, base_url=server[0], n_retries=0)
    assert list(_cache(tmp_path).iterdir()) == []


def test_checksum_mismatch(tmp_path, server, monkeypatch):
    # a server whose file differs from the published one
    wrong = tmp_path / "wrong"
    (wrong / "PF00014").mkdir(parents=True)
    for name in ("PF00014_mgap6.fasta.gz", "PF00014_struct.dat"):
        data = (SHARED / "PF00014" / name).read_bytes()
        (wrong / "PF00014" / name).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    monkeypatch.setenv(FAMILIES_DIR_ENV, str(wrong))
    home = tmp_path / "home"
    with pytest.raises(OSError, match="SHA-256 .* differs"):
        fetch_protein_family("PF00014", data_home=home, base_url=server[0])
    assert list(_cache(home).iterdir()) == []
    # over the network: scikit-learn's fetcher checks the hash the same way
    monkeypatch.delenv(FAMILIES_DIR_ENV)
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(wrong)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(FileNotFoundError, match="checksum"):
            fetch_protein_family("PF00014", data_home=home, n_retries=0,
                                 base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert list(_cache(home).iterdir()) == []


def test_corrupted_cache_is_replaced(tmp_path, server):
    fetch_protein_family("PF00014", data_home=tmp_path, base_url=server[0])
    path = _cache(tmp_path) / "PF00014_struct.dat"
    path.write_text("1 2 0 3.0\n")
    with pytest.warns(UserWarning, match="checksum"):
        family = fetch_protein_family("PF00014", data_home=tmp_path, base_url=server[0])
    assert np.isfinite(family.distances).sum() > 1000


def test_offline_clear_error(tmp_path):
    # nothing listens on port 9 of the loopback address: the connection is refused
    with pytest.raises(FileNotFoundError, match=f"no checked copy in the cache.*{FAMILIES_DIR_ENV}"
                       ) as info:
        fetch_protein_family("PF00014", data_home=tmp_path, base_url="http://127.0.0.1:9",
                             n_retries=0)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_protein_family("PF00014", data_home=tmp_path, download_if_missing=False)
    assert list(_cache(tmp_path).iterdir()) == []


def test_local_folder_fills_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(FAMILIES_DIR_ENV, str(SHARED))
    family = fetch_protein_family("PF00014", data_home=tmp_path, download_if_missing=False)
    assert family.data.shape == (13600, 53)
    assert sorted(p.name for p in _cache(tmp_path).iterdir()) == [
        "PF00014_mgap6.fasta.gz", "PF00014_struct.dat"]
    monkeypatch.delenv(FAMILIES_DIR_ENV)
    cached = fetch_protein_family("PF00014", data_home=tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(cached.data, family.data)


def test_scikit_learn_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    monkeypatch.setenv(FAMILIES_DIR_ENV, str(SHARED))
    family = fetch_protein_family("PF13354")
    assert family.data.shape == (7515, 202) and family.distances.shape == (202, 202)
    assert Path(family.alignment_path).is_relative_to(tmp_path)


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "PF99999"}, "name"), ({"name": "PF00014", "gaps": "x"}, "gaps"),
    ({"name": "PF00014", "n_retries": -1}, "n_retries")])
def test_invalid_parameters(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fetch_protein_family(data_home=tmp_path, **kwargs)
    assert not os.path.exists(_cache(tmp_path))
