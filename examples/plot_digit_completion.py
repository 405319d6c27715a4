"""
==============================================
Completing corrupted and half-masked digits
==============================================

A memory is a transformer: ``fit`` stores images, and ``transform`` repairs a damaged image by
letting it flow to the nearest stored one. Here a :class:`~sklearn.preprocessing.Binarizer`
and a :class:`~sklearn_plm.PseudoLikelihoodMemory` form one
:class:`~sklearn.pipeline.Pipeline` that takes raw 8x8 digit images (intensities 0 to 16),
stores 20 of them, and then

- removes noise: 10 % of the pixels flipped;
- completes images: the bottom half unknown (NaN), the top half kept fixed (``clamp=True``).

The Hebb rule, :class:`~sklearn_plm.HopfieldMemory`, is shown for comparison. On 20 similar
images it is far beyond its capacity.
"""

# %%
# Store 20 digits
# ---------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory

X, y = load_digits(return_X_y=True)
X = X[:20]
pl = make_pipeline(Binarizer(threshold=7), PseudoLikelihoodMemory(alpha=1e-2)).fit(X)
hebb = make_pipeline(Binarizer(threshold=7), HopfieldMemory(rule="hebb")).fit(X)

# The binary images the memories store; the output is in the same {0, 1} encoding.
X_bin = (X > 7).astype(float)
print("stored digits that are fixed points:",
      "PL", np.mean(np.all(pl.transform(X) == X_bin, axis=1)),
      "| Hebb", np.mean(np.all(hebb.transform(X) == X_bin, axis=1)))

# %%
# Remove noise
# ------------
# Flip 10 % of the pixels of every stored image, in raw intensity space (a dark pixel becomes
# 16, a bright one 0), and let both memories repair them.
rng = np.random.default_rng(0)
flipped = rng.random(X.shape) < 0.1
noisy = np.where(flipped, 16.0 * (1 - X_bin), 16.0 * X_bin)
denoised_pl = pl.transform(noisy)
denoised_hebb = hebb.transform(noisy)


def exact(completed):
    return np.mean(np.all(completed == X_bin, axis=1))


print(f"exactly restored: PL {exact(denoised_pl):.0%}, Hebb {exact(denoised_hebb):.0%}")

# %%
# Complete the bottom half
# ------------------------
# NaN marks unknown pixels. With ``clamp=True`` the known top half stays fixed and only the
# bottom half is inferred. The memory is the last step of the pipeline; the NaN rows are
# already binary, so they go to it directly.
masked = X_bin.copy()
masked[:, 32:] = np.nan
completed_pl = pl[-1].set_params(clamp=True).transform(masked)
completed_hebb = hebb[-1].set_params(clamp=True).transform(masked)
print(f"exactly completed: PL {exact(completed_pl):.0%}, Hebb {exact(completed_hebb):.0%}")

# %%
# Look at the results
# -------------------
# Unknown pixels are drawn in grey.
rows = [
    ("stored", X_bin),
    ("10% flipped", (noisy > 7).astype(float)),
    ("PL", denoised_pl),
    ("Hebb", denoised_hebb),
    ("bottom unknown", np.nan_to_num(masked, nan=0.5)),
    ("PL", completed_pl),
    ("Hebb", completed_hebb),
]
shown = np.arange(0, 20, 2)
fig, axes = plt.subplots(len(rows), len(shown), figsize=(8, 6.4))
for r, (label, images) in enumerate(rows):
    for c, k in enumerate(shown):
        ax = axes[r, c]
        ax.imshow(images[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11)
fig.suptitle("Denoising (rows 2-4) and completion (rows 5-7) of stored digits")
fig.tight_layout()
plt.show()

# %%
# The pseudo-likelihood memory stores the 20 similar images as fixed points and repairs
# almost all of them. The Hebb rule mixes them into spurious states that do not match any
# stored digit. :doc:`plot_basins` measures how far the basins of attraction reach.
