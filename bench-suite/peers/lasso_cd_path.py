"""The lasso path by coordinate descent with scikit-learn's `lasso_path`.

Same data (diabetes, unit-norm centred columns, centred response), the same alpha grid, the
same duality-gap tolerance (scikit-learn stops when the gap is below tol * |y|^2, i.e.
tol * |y|^2 / n in the 1/(2n) scaling) and the same iteration budget as the Rust side.
Returns the coefficients at a few grid points.
"""

import os

import numpy as np
from sklearn.linear_model import lasso_path


def setup(input_dir, spec):
    return {
        "x": np.load(os.path.join(input_dir, "x.npy")),
        "y": np.load(os.path.join(input_dir, "y.npy")),
        "alphas": np.load(os.path.join(input_dir, "alphas.npy")),
        "tol": float(spec["tol"]),
        "max_iter": int(spec["max_iter"]),
        "checkpoints": [int(k) for k in spec["checkpoints"]],
    }


def run(state):
    _alphas, coefs, _gaps = lasso_path(
        state["x"],
        state["y"],
        alphas=state["alphas"],
        tol=state["tol"],
        max_iter=state["max_iter"],
    )
    return coefs[:, state["checkpoints"]]


def answer(coefs):
    # One block of p coefficients per checkpoint, as on the Rust side.
    return coefs.T.ravel()
