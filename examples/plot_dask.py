"""
=====================================
Fitting on a Dask cluster
=====================================

An asymmetric :class:`~sklearn_plm.PseudoLikelihoodMemory` fit is one logistic regression per
spin. They are solved in blocks of sites, dispatched through joblib. Inside a
``joblib.parallel_config(backend="dask")`` context, with ``n_jobs=-1``, the blocks run on the
workers of a Dask cluster. The training data are scattered to the workers once per fit, and
the result equals the local fit.

This example starts a local cluster with two workers. On a real cluster, connect with
``Client("tcp://scheduler-address:8786")`` instead. It needs ``dask[distributed]``
(``pip install -e ".[dask]"``).
"""

# %%
# Start a local cluster
# ---------------------
# The workers are threads of this process (``processes=False``), so the script runs as is,
# without a ``if __name__ == "__main__":`` guard. Worker processes behave the same way.
import importlib.util

if importlib.util.find_spec("distributed") is None:
    raise SystemExit("This example needs dask[distributed]: pip install 'dask[distributed]'")

import time

import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster, get_task_stream
from joblib import parallel_config

from sklearn_plm import PseudoLikelihoodMemory
from sklearn_plm.datasets import make_random_patterns

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=None)
client = Client(cluster)
print(client)

# %%
# Fit locally and on the cluster
# ------------------------------
X = make_random_patterns(300, 400, random_state=0)

t0 = time.perf_counter()
local = PseudoLikelihoodMemory(alpha=1e-2).fit(X)
t_local = time.perf_counter() - t0

t0 = time.perf_counter()
with get_task_stream(client) as stream, parallel_config(backend="dask"):
    remote = PseudoLikelihoodMemory(alpha=1e-2, n_jobs=-1).fit(X)
t_dask = time.perf_counter() - t0

print(f"local fit {t_local:.2f} s, Dask fit {t_dask:.2f} s")
print("largest difference between the couplings:",
      np.abs(remote.coupling_ - local.coupling_).max())

# %%
# Where the site blocks ran
# -------------------------
# Each bar is one task of the fit, on the worker that ran it.
tasks = [t for t in stream.data if t.get("startstops")]
workers = sorted({t["worker"] for t in tasks})
t_start = min(s["start"] for t in tasks for s in t["startstops"])
fig, ax = plt.subplots(figsize=(7, 2.2))
for t in tasks:
    row = workers.index(t["worker"])
    for s in t["startstops"]:
        if s["action"] == "compute":
            ax.barh(row, s["stop"] - s["start"], left=s["start"] - t_start, color=f"C{row}",
                    edgecolor="k", lw=0.5)
ax.set_yticks(range(len(workers)), [f"worker {k + 1}" for k in range(len(workers))])
ax.set_xlabel("seconds since the first task")
ax.set_title(f"{len(tasks)} tasks on {len(workers)} workers")
fig.tight_layout()
plt.show()

# %%
# The same context distributes model selection, for example a
# :class:`~sklearn.model_selection.GridSearchCV` with ``n_jobs=-1``. Ray works the same way
# through ``ray.util.joblib.register_ray()`` and ``parallel_config(backend="ray")``. See
# :ref:`parallel`.

client.close()
cluster.close()
