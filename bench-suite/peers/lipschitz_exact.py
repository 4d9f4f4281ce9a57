"""Exact global Lipschitz constant (l2) of a small ReLU network by enumerating the activation
regions with interior; interior checks by Chebyshev-ball linear programs (scipy HiGHS).

The pattern tree is walked layer by layer and unit by unit. On a partial region the unit's
pre-activation is a x + c; its two sides are kept only if the largest ball (radius capped at 1)
inside the region and the side has radius > interior_tol. The side that holds the parent's
ball centre with margin > interior_tol needs no program. At a leaf the Jacobian
W_m D_{m-1} ... W_1 of the region is known and its spectral norm is a candidate; the constant
is the largest candidate.
"""

import os

import numpy as np
from scipy.optimize import linprog


def setup(input_dir, spec):
    depth = int(spec["depth"])
    ws = [np.load(os.path.join(input_dir, f"w{l}.npy")) for l in range(depth)]
    bs = [np.load(os.path.join(input_dir, f"b{l}.npy")) for l in range(depth)]
    return {"w": ws, "b": bs, "tol": float(spec["interior_tol"])}


def chebyshev(G, h):
    """Largest t <= 1 with a ball of radius t in {G x + h >= 0} (rows of G unit), and its centre."""
    n, d = G.shape
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A = np.hstack([-G, np.ones((n, 1))])
    bounds = [(None, None)] * d + [(None, 1.0)]
    res = linprog(c, A_ub=A, b_ub=h, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.x[-1], res.x[:d]


def run(state):
    ws, bs, tol = state["w"], state["b"], state["tol"]
    depth = len(ws)
    d = ws[0].shape[1]
    best = [0.0]
    stats = {"regions": 0, "lps": 0}

    def walk(l, i, a, c, G, h, center, radius):
        if l + 1 == depth:
            stats["regions"] += 1
            best[0] = max(best[0], np.linalg.norm(a, 2))
            return
        if i == a.shape[0]:
            on = mask[l]
            na = ws[l + 1] @ (a * on[:, None])
            nc = bs[l + 1] + ws[l + 1] @ (c * on)
            walk(l + 1, 0, na, nc, G, h, center, radius)
            return
        row = a[i]
        norm = np.sqrt(row @ row)
        if norm <= 1e-14 * (1.0 + abs(c[i])):
            mask[l][i] = 1.0 if c[i] > 0.0 else 0.0
            walk(l, i + 1, a, c, G, h, center, radius)
            return
        g = row / norm
        hi = c[i] / norm
        at_center = g @ center + hi
        for s in (1.0, -1.0):
            G2 = np.vstack([G, s * g])
            h2 = np.append(h, s * hi)
            margin = s * at_center
            if margin > tol:
                ok, ctr, rad = True, center, min(radius, margin)
            else:
                stats["lps"] += 1
                t, x = chebyshev(G2, h2)
                ok, ctr, rad = t > tol, x, t
            if ok:
                mask[l][i] = 1.0 if s > 0 else 0.0
                walk(l, i + 1, a, c, G2, h2, ctr, rad)

    mask = [np.zeros(w.shape[0]) for w in ws[:-1]]
    walk(0, 0, ws[0].copy(), bs[0].copy(), np.zeros((0, d)), np.zeros(0), np.zeros(d), 1.0)
    state["stats"] = stats
    return best[0]


def answer(value):
    return [float(value)]
