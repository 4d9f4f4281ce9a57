"""PIKL (physics-informed kernel learning) assembly and solve in numpy/scipy, d = 2.

Basis exp(-i omega <k, x>), k in {-m..m}^2, omega = pi / (2 L), the domain [-L, L]^2. The
normal equations are (A^H A + n lambda D + n mu P^H G P) theta = A^H y with
(A^H A)_{kl} = T[k - l], T[delta] = sum_j exp(i omega <delta, x_j>) (one sum per mode
difference, from products of 1D powers z^p, z = exp(i omega x)), D the Sobolev weights 1 + |k|^{2s} / (2L)^{2s},
P the operator's symbol and G the Gram matrix of the basis on the domain (divided by the
torus volume (4L)^2). Solved by a Hermitian Cholesky factorisation.
"""

import os

import numpy as np
import scipy.linalg


def setup(input_dir, spec):
    x = np.load(os.path.join(input_dir, "x.npy"))
    y = np.load(os.path.join(input_dir, "y.npy"))
    return {"x": x, "y": y, **spec}


def interval_gram(delta, omega, half):
    # (1 / 4L) * integral over [-L, L] of exp(i omega delta t) dt.
    w = omega * delta
    safe = np.where(delta == 0, 1.0, w)
    return np.where(delta == 0, 2.0 * half / (4.0 * half), 2.0 * np.sin(safe * half) / (4.0 * half * safe))


def run(s):
    x, y, m, half = s["x"], s["y"], s["m"], s["half_width"]
    n = y.shape[0]
    omega = np.pi / (2.0 * half)
    two_m = 2 * m
    # 1D powers z^p of z = exp(i omega x) by repeated products, one row per power p >= 0;
    # negative powers are conjugates.
    pw = []
    for axis in range(2):
        z = np.exp(1j * omega * x[axis])
        rows = np.empty((two_m + 1, n), dtype=complex)
        rows[0] = 1.0
        for p in range(1, two_m + 1):
            np.multiply(rows[p - 1], z, out=rows[p])
        pw.append(rows)
    p0 = pw[0]  # powers 0..2m of the first axis
    p1 = np.concatenate([np.conj(pw[1][:0:-1]), pw[1]])  # powers -2m..2m of the second
    half_table = p0 @ p1.T  # T[delta] for delta_0 >= 0
    # T[-delta] = conj(T[delta]) fills delta_0 < 0.
    t = np.empty((4 * m + 1, 4 * m + 1), dtype=complex)
    t[two_m:] = half_table
    t[:two_m] = np.conj(half_table[:0:-1, ::-1])
    # Right-hand side A^H y = sum_j y_j z^k for k in {-m..m}^2, k_0 >= 0 then conjugates.
    b_half = (p0[: m + 1] * y) @ p1[m : 3 * m + 1].T
    b = np.empty((2 * m + 1, 2 * m + 1), dtype=complex)
    b[m:] = b_half
    b[:m] = np.conj(b_half[:0:-1, ::-1])
    b = b.ravel()

    ks = np.arange(-m, m + 1)
    k0, k1 = np.meshgrid(ks, ks, indexing="ij")
    k0, k1 = k0.ravel(), k1.ravel()
    d0 = k0[:, None] - k0[None, :]
    d1 = k1[:, None] - k1[None, :]
    mat = t[d0 + two_m, d1 + two_m]
    # Physics: symbol of sum_c c d^a, d/dx_j acting as -i omega k_j on exp(-i omega <k, x>).
    sym = np.zeros(k0.shape, dtype=complex)
    for c, a0, a1 in s["operator"]:
        sym += c * (-1j * omega * k0) ** int(a0) * (-1j * omega * k1) ** int(a1)
    sym *= np.sqrt(n * s["mu"])
    gram = interval_gram(d0, omega, half) * interval_gram(d1, omega, half)
    mat += np.conj(sym)[:, None] * gram * sym[None, :]
    order = s["sobolev_order"]
    weight = 1.0 + (k0**2 + k1**2).astype(float) ** order / (2.0 * half) ** (2.0 * order)
    mat[np.diag_indices_from(mat)] += n * s["lambda"] * weight
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(mat, lower=True), b)


def answer(theta):
    return np.concatenate([theta.real, theta.imag])
