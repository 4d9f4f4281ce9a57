"""Online SGD of Marion & Berthier's two-timescale network, one numpy step per sample.

f(x) = a0 + sum_j a_j sigma((x - u_j) / eta) with the smoothed step
sigma(z) = 4 (z + 1/2)^3 on [-1/2, 0], 1 - 4 (1/2 - z)^3 on [0, 1/2] (0 and 1 outside), the
target f*(x) = base + sum_k Delta_k 1[x > v_k], labels y = f*(x) + noise (2 xi - 1). With
r = y - f(x), both layers are updated from the pre-step parameters:
a0 += 2 h r, a += 2 h r sigma, u -= 2 h eps r a sigma' / eta (exact derivative of sigma).
The points x and noise variables xi are read from samples.npy (one row per step), so the
samples are those of the Rust side. Outer weights start at zero.
"""

import os

import numpy as np


def sigma(z):
    t = np.clip(z, -0.5, 0.5)
    return np.where(t < 0, 4 * (t + 0.5) ** 3, 1 - 4 * (0.5 - t) ** 3)


def sigma_prime(z):
    t = np.clip(z, -0.5, 0.5)
    return np.where(t < 0, 12 * (t + 0.5) ** 2, 12 * (0.5 - t) ** 2)


def setup(input_dir, spec):
    return {
        "samples": np.load(os.path.join(input_dir, "samples.npy")),
        "u0": np.load(os.path.join(input_dir, "u0.npy")),
        "eta": float(spec["eta"]),
        "h": float(spec["h"]),
        "eps": float(spec["eps"]),
        "noise": float(spec["noise"]),
        "base": float(spec["base"]),
        "jumps": np.array(spec["jumps"], dtype=float),
        "heights": np.array(spec["heights"], dtype=float),
    }


def run(state):
    eta, h, eps, noise = state["eta"], state["h"], state["eps"], state["noise"]
    base, jumps, heights = state["base"], state["jumps"], state["heights"]
    u = state["u0"].copy()
    a = np.zeros_like(u)
    a0 = 0.0
    for x, xi in state["samples"]:
        y = base + np.dot(heights, x > jumps) + noise * (2 * xi - 1)
        z = (x - u) / eta
        s = sigma(z)
        r = y - (a0 + np.dot(a, s))
        a0 += 2 * h * r
        u_new = u - 2 * h * eps * r * a * sigma_prime(z) / eta
        a = a + 2 * h * r * s
        u = u_new
    return u, a, a0


def answer(result):
    u, a, a0 = result
    return np.concatenate([u, a, [a0]])
