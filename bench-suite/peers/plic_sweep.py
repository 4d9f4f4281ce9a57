"""One x sweep of directionally split PLIC advection (Youngs normals), vectorised in numpy.

The volume fractions a[j, i] (i along x, j along y) live on a periodic grid; every face has the
same Courant number beta > 0 (uniform velocity along +x). Interface cells (PURE_TOL < a <
1 - PURE_TOL) get Youngs' normal n = -grad a with (1, 2, 1) smoothing and the line constant
of {n . x <= alpha} in the unit cell (Scardovelli & Zaleski 2000, closed-form 2D inversion);
the material fraction leaving through the right face is the cut-cell fraction of the slab
1 - beta <= x <= 1, i.e. V([beta n_x, n_y], alpha - n_x (1 - beta)). Pure cells and cells
without a normal give the donor-cell fraction. The update is the conservative one with the
Weymouth & Yue (2010) term c (beta_{i+1} - beta_i) (zero here) and the outflow / inflow
limiting of the upwind cell.
"""

import os

import numpy as np


def setup(input_dir, spec):
    a = np.load(os.path.join(input_dir, "alpha0.npy"))
    return {"a": a, "beta": float(spec["beta"]), "tol": float(spec["pure_tol"])}


def youngs(a):
    """Youngs normals of every cell of the periodic field a[j, i]; returns (nx, ny)."""
    p = np.pad(a, 1, mode="wrap")
    # c[i][j] with i the x offset, j the y offset (both -1, 0, 1).
    def c(di, dj):
        return p[1 + dj : p.shape[0] - 1 + dj, 1 + di : p.shape[1] - 1 + di]

    nx = -((c(1, -1) + 2.0 * c(1, 0) + c(1, 1)) - (c(-1, -1) + 2.0 * c(-1, 0) + c(-1, 1)))
    ny = -((c(-1, 1) + 2.0 * c(0, 1) + c(1, 1)) - (c(-1, -1) + 2.0 * c(0, -1) + c(1, -1)))
    return nx, ny


def line_alpha(mx, my, v):
    """Line constant with V([mx, my], alpha) = v (closed form; normals non-zero)."""
    ax, ay = np.abs(mx), np.abs(my)
    s = np.maximum(ax, ay)
    ux, uy = ax / s, ay / s
    m1, m2 = np.minimum(ux, uy), np.maximum(ux, uy)
    c = np.clip(v, 0.0, 1.0)
    ch = np.minimum(c, 1.0 - c)
    a = np.where(
        ch <= 0.5 * m1 / m2, np.sqrt(2.0 * m1 * m2 * ch), m2 * ch + 0.5 * m1
    )
    a = np.where(c > 0.5, (m1 + m2) - a, a)
    shift = np.minimum(mx, 0.0) + np.minimum(my, 0.0)
    return a * s + shift


def line_volume(mx, my, alpha):
    """Area fraction of the unit square below mx x + my y = alpha (m not zero)."""
    a = alpha - np.minimum(mx, 0.0) - np.minimum(my, 0.0)
    ax, ay = np.abs(mx), np.abs(my)
    s = np.maximum(ax, ay)
    ax, ay, a = ax / s, ay / s, a / s
    m1, m2 = np.minimum(ax, ay), np.maximum(ax, ay)
    big = m1 + m2
    flip = a > 0.5 * big
    ah = np.where(flip, big - a, a)
    v = np.where(ah <= m1, ah * ah / (2.0 * m1 * m2), (2.0 * ah - m1) / (2.0 * m2))
    v = np.where(flip, 1.0 - v, v)
    return np.where(a <= 0.0, 0.0, np.where(a >= big, 1.0, v))


def run(state):
    a, beta, tol = state["a"], state["beta"], state["tol"]
    c = (a > 0.5).astype(float)
    # Material fraction of the slab leaving each cell through its right face.
    f = np.clip(a, 0.0, 1.0)
    mixed = (a > tol) & (a < 1.0 - tol)
    nx, ny = youngs(a)
    recon = mixed & ((nx != 0.0) | (ny != 0.0))
    mx, my, v = nx[recon], ny[recon], a[recon]
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = line_alpha(mx, my, v)
        f[recon] = line_volume(beta * mx, my, alpha - mx * (1.0 - beta))
    out = beta * f  # material flux through the right face of each cell
    # Outflow limiting by the upwind (own) cell: material <= content, second phase <= room.
    ac = np.clip(a, 0.0, 1.0)
    over = out > ac
    second = beta - out
    room = 1.0 - ac
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(second > 0.0, room / second, 0.0)
    lim2 = (~over) & (second > room)
    out = np.where(over, ac, np.where(lim2, beta - (beta - out) * s, out))
    # Inflow limiting (inactive unless rounding pushes a cell out of [0, 1]); the face
    # k = i is the left face of cell i, its flux `inflow` comes from cell i - 1.
    for _ in range(16):
        inflow = np.roll(out, 1, axis=1)
        new = a - out + inflow  # + c * (beta - beta) = 0
        hi = (new > 1.0) & (inflow > 0.0)
        pin = beta - inflow
        lo = (new < 0.0) & (pin > 0.0)
        if not (hi.any() or lo.any()):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            s_hi = np.maximum((inflow - (new - 1.0)) / inflow, 0.0)
            s_lo = np.maximum((pin + new) / pin, 0.0)
        inflow = np.where(hi, inflow * s_hi, np.where(lo, beta - pin * s_lo, inflow))
        out = np.roll(inflow, -1, axis=1)
    inflow = np.roll(out, 1, axis=1)
    return a - out + inflow + c * (beta - beta)


def answer(a):
    return a.ravel()
