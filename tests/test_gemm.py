import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_plm._gemm import _PANEL_ROWS, _panels, panel_matmul


def test_panels_cover_the_rows_evenly_and_ignore_threads():
    for n_rows in (1, 127, 128, 129, 300, 511, 512, 513, 2000, 5000):
        panels = _panels(n_rows)
        assert panels[0].start == 0 and panels[-1].stop == n_rows
        assert all(a.stop == b.start for a, b in zip(panels[:-1], panels[1:]))
        assert len(panels) == 1 or len(panels) % 2 == 0
        assert max(p.stop - p.start for p in panels) <= _PANEL_ROWS


def test_panel_matmul_is_the_product_and_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(700, 300))
    B = rng.normal(size=(300, 260))
    outs = [panel_matmul(A, B, np.empty((700, 260)), n) for n in (1, 2, 3)]
    assert_allclose(outs[0], A @ B, rtol=1e-12, atol=1e-12)
    assert_array_equal(outs[0], outs[1])
    assert_array_equal(outs[0], outs[2])
    # transposed views, as the datafit passes them
    G = panel_matmul(A.T, A[:, :50], np.empty((300, 50)), 2)
    assert_allclose(G, A.T @ A[:, :50], rtol=1e-12, atol=1e-10)
