"""Train pl-training (the paper authors' PyTorch package) on random +-1 patterns.

Run by ``run.py`` in a *separate process*, usually with another interpreter
(a virtual environment holding torch and pl-training): PyTorch's OpenMP
threads and NumPy's OpenBLAS threads spin against each other when both live
in one process.

The loop is the one of pl-training's training script, driven through its
public model class: ``TwoBodiesModel(N, 1, device="cpu", spin_type="vector")``,
Hebb initialization, full-batch cross-entropy (pseudo-likelihood) loss with
``lambd=1``, gradient-norm clipping at 20 and SGD with ``lr = N / 8``.
Only the training steps are timed; the stability check after each epoch
(are all training patterns fixed points of ``sign(J x)``?) is not.

usage: python torch_worker.py N P EPOCHS THREADS SEED [J_OUT.npy]
Prints one JSON object on the last line of stdout.
"""

import json
import os
import sys
import time

N, P, EPOCHS, THREADS, SEED = (int(v) for v in sys.argv[1:6])
J_OUT = sys.argv[6] if len(sys.argv) > 6 else None
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PL.model.model import TwoBodiesModel  # noqa: E402

from _harness import random_patterns  # noqa: E402


def all_stable(model, xi):
    with torch.no_grad():
        return bool(torch.equal(model.dyn_step(xi), xi))


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    X = random_patterns(P, N, seed=SEED, dtype=np.float32)
    xi = torch.from_numpy(X).unsqueeze(-1).contiguous()  # [P, N, 1]
    model = TwoBodiesModel(N, 1, device="cpu", spin_type="vector")

    c0, w0 = time.process_time(), time.perf_counter()
    model.Hebb(xi, "Tensorial")
    hebb_cpu, hebb_wall = time.process_time() - c0, time.perf_counter() - w0

    opt = torch.optim.SGD(model.parameters(), lr=N / 8.0)
    epoch_cpu, epoch_wall, losses = [], [], []
    stable_epoch = 0 if all_stable(model, xi) else None
    for epoch in range(1, EPOCHS + 1):
        c0, w0 = time.process_time(), time.perf_counter()
        loss = model.loss(xi, loss_type="CE", lambd=1.0, l2=False)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 20.0)
        opt.step()
        epoch_cpu.append(time.process_time() - c0)
        epoch_wall.append(time.perf_counter() - w0)
        losses.append(loss.item())
        if stable_epoch is None and all_stable(model, xi):
            stable_epoch = epoch
    with torch.no_grad():
        final_loss = model.loss(xi, loss_type="CE", lambd=1.0, l2=False).item()
    if J_OUT:
        with torch.no_grad():
            np.save(J_OUT, (model.J * model.mask)[:, :, 0, 0].numpy().astype(np.float64))
    try:
        from importlib.metadata import version
        pl_version = version("pl-training")
    except Exception:  # pragma: no cover - metadata missing
        pl_version = "?"
    print(json.dumps({
        "N": N, "P": P, "epochs": EPOCHS, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "pl_training": pl_version,
        "hebb_cpu": hebb_cpu, "hebb_wall": hebb_wall,
        "train_cpu": float(np.sum(epoch_cpu)), "train_wall": float(np.sum(epoch_wall)),
        "epoch_cpu": epoch_cpu, "losses": losses, "final_loss": final_loss,
        "stable_epoch": stable_epoch,
        "stable_cpu": None if stable_epoch is None else float(np.sum(epoch_cpu[:stable_epoch])),
        "stable_wall": None if stable_epoch is None else float(np.sum(epoch_wall[:stable_epoch])),
    }))


if __name__ == "__main__":
    main()
