"""The exact LARS-lasso path with scikit-learn's `lars_path(method="lasso")`.

The design X (n x p) and response y are the ones the Rust side uses (for the diabetes data:
centred columns of unit Euclidean norm, centred response). No intercept is fitted (the data
are already centred). scikit-learn's alphas are the maximal correlation divided by
n_samples, the scaling of `Lasso(alpha)`: the same units as the Rust knots.
"""

import os

import numpy as np
from sklearn.linear_model import lars_path


def setup(input_dir, spec):
    x = np.load(os.path.join(input_dir, "x.npy"))
    y = np.load(os.path.join(input_dir, "y.npy"))
    return {"x": x, "y": y, "max_iter": int(spec["max_iter"])}


def run(state):
    alphas, _active, _coefs = lars_path(
        state["x"], state["y"], method="lasso", max_iter=state["max_iter"]
    )
    return alphas


def answer(alphas):
    return alphas.ravel()
