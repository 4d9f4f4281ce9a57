"""LipSDP-Neuron (Fazlyab et al., NeurIPS 2019, Theorem 2) written in cvxpy, shared by the
peers `lipsdp_scs` and `lipsdp_clarabel`.

For a ReLU network x_k = relu(W_k x_{k-1} + b_k), k = 1..l, f(x) = W_{l+1} x_l + b_{l+1}
(activations slope-restricted in [alpha, beta] = [0, 1]) and T = diag(lambda), lambda >= 0,
one multiplier per hidden unit, the l2 Lipschitz constant is at most sqrt(rho) whenever

    M(rho, T) = [A; B]^T [[-2 alpha beta T, (alpha + beta) T], [(alpha + beta) T, -2 T]] [A; B]
                + diag(-rho I, 0, ..., 0, W_{l+1}^T W_{l+1})  <=  0,

with A = [blkdiag(W_1, ..., W_l), 0] and B = [0, I]. The peer minimises rho over (rho, lambda)
and answers sqrt(rho).
"""

import os

import cvxpy as cp
import numpy as np


def load(input_dir, spec):
    depth = int(spec["depth"])
    ws = [np.load(os.path.join(input_dir, f"w{l}.npy")) for l in range(depth)]
    return ws, float(spec["tol"])


def problem(ws):
    """The cvxpy problem and its variable rho, built once (the solve is what is timed)."""
    hidden = [w.shape[0] for w in ws[:-1]]
    n0 = ws[0].shape[1]
    n_units = sum(hidden)
    n = n0 + n_units
    a = np.zeros((n_units, n))
    row, col = 0, 0
    for w in ws[:-1]:
        a[row : row + w.shape[0], col : col + w.shape[1]] = w
        row += w.shape[0]
        col += w.shape[1]
    b = np.hstack([np.zeros((n_units, n0)), np.eye(n_units)])
    rho = cp.Variable(nonneg=True)
    lam = cp.Variable(n_units, nonneg=True)
    t = cp.diag(lam)
    # alpha = 0, beta = 1: the middle matrix is [[0, T], [T, -2 T]].
    m = a.T @ t @ b + b.T @ t @ a - 2 * (b.T @ t @ b)
    e_in = np.zeros((n, n))
    e_in[:n0, :n0] = np.eye(n0)
    w_last = ws[-1]
    g = np.zeros((n, n))
    g[n - hidden[-1] :, n - hidden[-1] :] = w_last.T @ w_last
    lmi = m - rho * e_in + g
    lmi = (lmi + lmi.T) / 2
    prob = cp.Problem(cp.Minimize(rho), [lmi << 0])
    return prob, rho


def setup(input_dir, spec):
    ws, tol = load(input_dir, spec)
    prob, rho = problem(ws)
    return {"problem": prob, "rho": rho, "tol": tol}


def solve(state, solver, **options):
    state["problem"].solve(solver=solver, **options)
    if state["problem"].status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"{solver}: status {state['problem'].status}")
    return float(np.sqrt(max(state["rho"].value, 0.0)))


def answer(value):
    return [float(value)]
