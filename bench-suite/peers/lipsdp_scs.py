"""LipSDP-Neuron in cvxpy solved by SCS (first-order splitting), tolerance from spec.json.

See `lipsdp_common.py` for the formulation.
"""

from lipsdp_common import answer, setup, solve  # noqa: F401


def run(state):
    tol = state["tol"]
    return solve(state, "SCS", eps_abs=tol, eps_rel=tol, max_iters=200000)
