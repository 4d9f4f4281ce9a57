"""LipSDP-Neuron in cvxpy solved by Clarabel (interior point), tolerance from spec.json.

See `lipsdp_common.py` for the formulation.
"""

from lipsdp_common import answer, setup, solve  # noqa: F401


def run(state):
    tol = state["tol"]
    return solve(state, "CLARABEL", tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
