"""One full-batch Adam step of a heat-equation PINN in JAX (jit, float64).

u_theta(t, x): a tanh network 2-10-10-10-1 with a linear output layer. The loss is
mean over collocation points of (u_t - u_xx)^2 + mean over initial points of
(u - sin(pi x))^2 + mean over boundary points of u^2; the step is Adam (beta1 = 0.9,
beta2 = 0.999, eps = 1e-8, bias-corrected) from zero moments. The parameters are one flat
vector, layer by layer: W^T (fan_in x fan_out, row-major) then the bias.
"""

import os

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def make_step(sizes):
    shapes = []
    off = 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes.append((off, fan_in, fan_out))
        off += fan_in * fan_out + fan_out

    def u(p, t, x):
        a = jnp.stack([t, x])
        for layer, (o, fi, fo) in enumerate(shapes):
            w = p[o : o + fi * fo].reshape(fi, fo)
            b = p[o + fi * fo : o + fi * fo + fo]
            a = a @ w + b
            if layer + 1 < len(shapes):
                a = jnp.tanh(a)
        return a[0]

    u_t = jax.grad(u, argnums=1)
    u_xx = jax.grad(jax.grad(u, argnums=2), argnums=2)
    batch = lambda f: jax.vmap(f, in_axes=(None, 0, 0))

    def loss(p, colloc, x_init, y_init, x_bnd, y_bnd):
        r = batch(u_t)(p, colloc[:, 0], colloc[:, 1]) - batch(u_xx)(p, colloc[:, 0], colloc[:, 1])
        e_i = batch(u)(p, x_init[:, 0], x_init[:, 1]) - y_init
        e_b = batch(u)(p, x_bnd[:, 0], x_bnd[:, 1]) - y_bnd
        return jnp.mean(r * r) + jnp.mean(e_i * e_i) + jnp.mean(e_b * e_b)

    @jax.jit
    def step(p, m, v, t, lr, *data):
        value, g = jax.value_and_grad(loss)(p, *data)
        b1, b2, eps = 0.9, 0.999, 1e-8
        t = t + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        return value, p - lr * mhat / (jnp.sqrt(vhat) + eps), m, v, t

    return step


def setup(input_dir, spec):
    load = lambda name: jnp.asarray(np.load(os.path.join(input_dir, name + ".npy")))
    p = load("params")
    data = tuple(load(n) for n in ("colloc", "x_init", "y_init", "x_bnd", "y_bnd"))
    return {"step": make_step(spec["sizes"]), "p": p, "lr": float(spec["lr"]), "data": data}


def run(s):
    p = s["p"]
    zeros = jnp.zeros_like(p)
    out = s["step"](p, zeros, zeros, 0, s["lr"], *s["data"])
    jax.block_until_ready(out)
    return out


def answer(out):
    value, p = out[0], out[1]
    return np.concatenate([[float(value)], np.asarray(p)])
