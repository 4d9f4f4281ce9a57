"""The LARS-lasso path of a seeded sparse regression with p > n, by scikit-learn's
`lars_path(method="lasso")` with the same event budget as the Rust side (see
`lars_diabetes.py`; the design is used as generated, without centring)."""

from lars_diabetes import answer, run, setup

__all__ = ["setup", "run", "answer"]
