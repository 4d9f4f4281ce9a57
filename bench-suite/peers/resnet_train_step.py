"""One full-batch gradient-descent step of a depth-scaled ResNet, in JAX (jit, float64).

h_0 = A x, h_{k+1} = h_k + scale * V_k gelu(W_k h_k) (tanh form of GELU), output B h_L;
samples are the columns of x. The loss is the mean of the squared residuals over all output
entries; every parameter (W, V, A, B) moves by -lr times its gradient.
"""

import os

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def loss_fn(params, x, y, scale):
    w, v, a, b = params
    h = a @ x

    def block(h, wv):
        wk, vk = wv
        return h + scale * (vk @ jax.nn.gelu(wk @ h, approximate=True)), None

    h, _ = jax.lax.scan(block, h, (w, v))
    r = b @ h - y
    return jnp.mean(r * r)


@jax.jit
def step(params, x, y, scale, lr):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y, scale)
    gnorm = jnp.sqrt(sum(jnp.sum(g * g) for g in grads))
    new = tuple(p - lr * g for p, g in zip(params, grads))
    return loss, gnorm, new


def setup(input_dir, spec):
    load = lambda name: jnp.asarray(np.load(os.path.join(input_dir, name + ".npy")))
    params = (load("w"), load("v"), load("a"), load("b"))
    return {
        "params": params,
        "x": load("x"),
        "y": load("y"),
        "scale": float(spec["scale"]),
        "lr": float(spec["lr"]),
    }


def run(state):
    out = step(state["params"], state["x"], state["y"], state["scale"], state["lr"])
    jax.block_until_ready(out)
    return out


def answer(out):
    loss, gnorm, new = out
    parts = [np.array([float(loss), float(gnorm)])]
    parts += [np.asarray(p).ravel() for p in new]
    return np.concatenate(parts)
