"""Hostile inputs: huge thread counts, overflowing weights, out-of-range states.

Each case must end in a clear exception (type and message checked) or a
correct value, never a crash. The thread-count cases run in a subprocess
under an address-space limit, where thousands of OpenMP threads (8 MiB of
stack each) fail to start and libgomp would end the process.
"""

import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm import (HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodImputer,
                         PseudoLikelihoodMemory)
from sklearn_plm._threading import effective_n_threads, parallel_workers, usable_cpus
from sklearn_plm.datasets import sequence_weights

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ threads

@pytest.mark.parametrize("n_jobs", [1000, 100_000, 2**40, 2**70])
def test_huge_n_jobs_is_capped_at_the_usable_cpus(n_jobs):
    assert effective_n_threads(n_jobs) == usable_cpus()
    assert parallel_workers(n_jobs, 3) == 3


def test_n_jobs_keeps_joblib_meaning_below_the_cap():
    from joblib import parallel_config

    assert effective_n_threads(None) == 1
    assert effective_n_threads(1) == 1
    assert effective_n_threads(-1) == usable_cpus()
    assert effective_n_threads(-(2**40)) == 1
    with parallel_config(n_jobs=-1):
        assert effective_n_threads(None) == usable_cpus()


_THREADS_SCRIPT = """
import pickle, resource, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
# thread stacks are 8 MiB: a few hundred threads exhaust this limit
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from sklearn_plm import (HopfieldMemory, PottsPseudoLikelihoodMemory,
                         PseudoLikelihoodImputer, PseudoLikelihoodMemory)
from sklearn_plm.datasets import sequence_weights
n_jobs = int(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.choice([-1.0, 1.0], size=(60, 12))
codes = rng.integers(0, 4, size=(60, 8))
holes = np.where(rng.random(X.shape) < 0.2, np.nan, X)
w = sequence_weights(codes, n_jobs=n_jobs)
assert np.all((w > 0) & (w <= 1))
potts = PottsPseudoLikelihoodMemory(max_iter=5, n_jobs=n_jobs).fit(codes)
potts.sample(40, burn_in=2, n_sweeps=2, random_state=0)
potts.score_samples(codes)
pl = PseudoLikelihoodMemory(max_iter=5, n_jobs=n_jobs).fit(X)
pl.set_params(recall="async", random_state=0).transform(holes)
HopfieldMemory(rule="storkey", n_jobs=n_jobs).fit(X)
imp = PseudoLikelihoodImputer(method="gibbs", burn_in=2, n_sweeps=2, max_iter=5,
                              random_state=0, n_jobs=1).fit(holes)
# an n_jobs written into a file reaches the kernels only through the cap
state = imp.__getstate__()
state["memory_"].__dict__["n_jobs"] = n_jobs
state["n_jobs"] = n_jobs
loaded = pickle.loads(pickle.dumps(imp.__class__.__new__(imp.__class__)))
loaded.__setstate__(state)
loaded.transform(holes)
print("ok")
"""


@pytest.mark.parametrize("n_jobs", [1000, 100_000, 2**40])
def test_huge_n_jobs_neither_crashes_nor_overflows(n_jobs):
    proc = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT, str(n_jobs)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_n_jobs_of_2_to_the_40_from_a_pickle_loads_and_works():
    X = np.random.default_rng(1).choice([-1.0, 1.0], size=(30, 8))
    est = PseudoLikelihoodMemory(max_iter=5).fit(X)
    est.n_jobs = 2**40  # as an edited file would hold it
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded._n_threads() == usable_cpus()
    np.testing.assert_array_equal(loaded.transform(X), est.set_params(n_jobs=1).transform(X))


# ------------------------------------------------------------ sample weights

_TWO_HUGE = np.array([1e308, 1e308] + [1.0] * 18)


@pytest.mark.parametrize("est", [
    PseudoLikelihoodMemory(max_iter=5),
    PottsPseudoLikelihoodMemory(max_iter=5),
    HopfieldMemory(rule="hebb"),
    HopfieldMemory(rule="perceptron", max_iter=5),
], ids=lambda est: f"{type(est).__name__}-{est.get_params().get('rule', '')}")
def test_weights_whose_sum_overflows_are_refused(est):
    rng = np.random.default_rng(2)
    X = (rng.integers(0, 3, size=(20, 5)) if isinstance(est, PottsPseudoLikelihoodMemory)
         else rng.choice([-1.0, 1.0], size=(20, 5)))
    with pytest.raises(ValueError, match="sums to more than the largest float64"):
        est.fit(X, sample_weight=_TWO_HUGE)


def test_weights_just_below_overflow_fit_as_their_ratios():
    # the mean objective only sees w / sum(w): 1e307-scaled weights give the
    # couplings of the same weights at scale 1
    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, 1.0], size=(40, 6))
    w = rng.integers(1, 4, size=40).astype(float)
    small = PseudoLikelihoodMemory(max_iter=50).fit(X, sample_weight=w)
    huge = PseudoLikelihoodMemory(max_iter=50).fit(X, sample_weight=w * 1e306)
    np.testing.assert_allclose(huge.coupling_, small.coupling_, rtol=1e-10, atol=1e-12)
    assert np.any(small.coupling_ != 0)


@pytest.mark.parametrize("rule", ["hebb", "perceptron"])
@pytest.mark.parametrize("dtype, weight", [(np.float64, 1e308), (np.float64, 5e307),
                                           (np.float32, 1e38)])
def test_hopfield_weights_that_make_energies_overflow_are_refused(rule, dtype, weight):
    import warnings

    X = np.random.default_rng(4).choice([-1.0, 1.0], size=(20, 6)).astype(dtype)
    w = np.ones(20)
    w[0] = weight
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow warning either
        with pytest.raises(ValueError, match="overflow .*Divide sample_weight"):
            HopfieldMemory(rule=rule, max_iter=20).fit(X, sample_weight=w)
    # a large but representable scale fits, with finite energies
    est = HopfieldMemory(rule=rule, max_iter=20).fit(X, sample_weight=w / 1e3)
    assert np.all(np.isfinite(est.energy(X)))


@pytest.mark.parametrize("weight", [1e308, 2.0**63, 2.0**31])
def test_storkey_weights_beyond_its_repeat_count_are_refused_clearly(weight):
    X = np.random.default_rng(4).choice([-1.0, 1.0], size=(3, 5))
    with pytest.raises(ValueError, match="pattern updates in all"):
        HopfieldMemory(rule="storkey").fit(X, sample_weight=[weight, 1.0, 1.0])


# ------------------------------------------------------------ Potts values

@pytest.mark.parametrize("value", [1e308, 1e300, 2.0**31, 2.0**16])
def test_potts_codes_beyond_the_largest_state_are_refused(value):
    X = np.random.default_rng(5).integers(0, 3, size=(10, 4)).astype(float)
    X[0, 0] = value
    est = PottsPseudoLikelihoodMemory(max_iter=5)
    message = re.escape(f"state code {value:g},") + ".* q at most 65535"
    with pytest.raises(ValueError, match=message):
        est.fit(X)
    fitted = est.fit(X[1:])
    with pytest.raises(ValueError, match="state code"):
        fitted.score_samples(X)


@pytest.mark.parametrize("states, message", [
    ([99], "holds state 99, but this model has 3 states"),
    ([-1], "holds state -1"),
    ([0.5], "integer state codes"),
    ([np.nan], "integer state codes"),
    (["a"], "integer state codes"),
    ([0, 1, 2], "leaves out all 3 states"),
])
def test_contact_map_refuses_states_the_model_does_not_have(states, message):
    X = np.random.default_rng(6).integers(0, 3, size=(30, 4))
    est = PottsPseudoLikelihoodMemory(max_iter=5).fit(X)
    with pytest.raises(ValueError, match=message):
        est.contact_map(ignore_states=states)
    # a valid list still works, and leaving out a state changes the scores
    assert est.contact_map(ignore_states=[0]).shape == (4, 4)


def test_command_line_with_a_huge_thread_count_runs(tmp_path):
    rng = np.random.default_rng(7)
    alphabet = np.array(list("ACDEFGHIKLMNPQRSTVWY-"))
    fasta = tmp_path / "small.fa"
    fasta.write_text("".join(f">s{k}\n{''.join(rng.choice(alphabet, 20))}\n" for k in range(40)))
    code = ("import resource, runpy, sys; "
            "resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30)); "
            "sys.argv = ['plmc', sys.argv[1], '-n', '100000', '-m', '5', '-q', "
            "'-c', sys.argv[2]]; runpy.run_module('sklearn_plm.plmc', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code, str(fasta), str(tmp_path / "c.txt")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "c.txt").stat().st_size > 0


_OOM_SCRIPT = """
import resource, sys
import numpy as np
from sklearn_plm._potts_objective import sparse_tiles
from sklearn_plm import _potts_fast
N, q, P = 40000, 21, 2
codes = np.random.default_rng(0).integers(0, q, size=(P, N)).astype(np.int32)
ref, colptr, ent = sparse_tiles(codes, q, 2)
XT = np.ascontiguousarray(codes.T)
W = np.zeros((1, N * q + 1, q))
G = np.zeros_like(W)
def vm():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize"):
            return int(line.split()[1]) * 1024
# each thread's D and Gt need 2 * N * (q + 1) * 24 * 8 = 338 MB; leave 150 MB free
limit = vm() + 150 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    _potts_fast.potts_gather_value_grad(XT, ref, colptr, ent, 2, W, G, np.full(P, 0.5), 1.0, 0,
                                        True, np.zeros(1), 1)
except MemoryError as exc:
    print("MemoryError:", exc)
else:
    print("no error")
"""


def test_a_kernel_whose_work_buffer_cannot_be_allocated_raises_memory_error():
    # the Potts gradient kernel mallocs per-thread buffers; under an
    # address-space limit that leaves no room for them it used to write
    # through NULL and segfault
    proc = subprocess.run([sys.executable, "-c", _OOM_SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ("MemoryError: potts_gather_value_grad: a thread could not "
                                   "allocate its work buffer")
