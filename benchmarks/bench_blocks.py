"""Site blocks against one joint L-BFGS problem for the asymmetric fit.

python benchmarks/bench_blocks.py   (process CPU seconds, 1 thread, best of 2)
"""
import time
import numpy as np
import sklearn_plm._solvers as sol
from sklearn_plm import PseudoLikelihoodMemory
rng = np.random.default_rng(0)
orig = sol.site_blocks
for N, P in [(300, 600), (784, 392), (784, 1568)]:
    X = rng.choice([-1.0, 1.0], size=(P, N)).astype(np.float32)
    for label, fn in [("joint", lambda n: [(0, n)]), ("8 blocks", orig)]:
        sol.site_blocks = fn
        cpu = []; its = []
        for rep in range(2):
            c0 = time.process_time()
            m = PseudoLikelihoodMemory(alpha=1e-3, n_jobs=1).fit(X)
            cpu.append(time.process_time() - c0); its.append(m.n_iter_)
        print(N, P, label, "cpu s", round(min(cpu), 2), "n_iter", its[0], "loss", round(m.loss_, 6), flush=True)
sol.site_blocks = orig
