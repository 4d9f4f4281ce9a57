"""One RK4 step of self-attention dynamics on the unit sphere (SA model), in numpy.

Tokens are the rows of X (n x d). The velocity of token i is the projection on the tangent
space at x_i of sum_j softmax_j(beta <x_i, x_j>) x_j; after the step, tokens are renormalised.
"""

import os

import numpy as np


def setup(input_dir, spec):
    x = np.load(os.path.join(input_dir, "x0.npy"))
    return {"x": x, "beta": float(spec["beta"]), "h": float(spec["h"])}


def velocity(x, beta):
    s = beta * (x @ x.T)
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    a = s @ x
    return a - np.sum(a * x, axis=1, keepdims=True) * x


def run(state):
    x, beta, h = state["x"], state["beta"], state["h"]
    k1 = velocity(x, beta)
    k2 = velocity(x + 0.5 * h * k1, beta)
    k3 = velocity(x + 0.5 * h * k2, beta)
    k4 = velocity(x + h * k3, beta)
    y = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def answer(y):
    return y.ravel()
