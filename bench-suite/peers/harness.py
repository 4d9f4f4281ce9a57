"""Times one peer workload for `megavolt compare`.

Usage: python3 harness.py WORKLOAD INPUT_DIR REPS

Imports the module `WORKLOAD` from this folder, calls its `setup(input_dir)` once (loading
the inputs that the Rust side wrote as .npy files and a spec.json), then its `run(state)`
REPS times after one warm-up call, and prints one JSON object on stdout:
{"times": [seconds per call], "answer": [floats checked against the Rust answer]}.
"""

import importlib
import json
import os
import sys
import time


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit("usage: harness.py WORKLOAD INPUT_DIR REPS")
    name, input_dir, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    module = importlib.import_module(name)
    with open(os.path.join(input_dir, "spec.json")) as f:
        spec = json.load(f)
    state = module.setup(input_dir, spec)
    answer = module.run(state)  # warm-up (and JIT compilation for JAX)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        answer = module.run(state)
        times.append(time.perf_counter() - t0)
    flat = [float(v) for v in module.answer(answer)]
    json.dump({"times": times, "answer": flat}, sys.stdout)


if __name__ == "__main__":
    main()
