"""The BLAS that Numba's np.dot calls is loaded without `scipy.linalg`'s package import, and
is the one the engine keeps to one thread while its own threads run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import numpy as np
from threadpoolctl import threadpool_info
from studio.engine import Network, single_threaded_blas
from studio.engine.threads import SCIPY_BLAS
from studio.io import load_preset

network = Network(load_preset("lenet5"))
network.forward(np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32))
scipy_blas = sys.modules[SCIPY_BLAS].__file__
with single_threaded_blas():
    limited = {info["filepath"]: info["num_threads"] for info in threadpool_info()
               if info["user_api"] == "blas"}
package = "scipy.linalg" in sys.modules
import scipy.linalg  # the plain import, for the libraries it would have loaded
blas = [info["filepath"] for info in threadpool_info() if info["user_api"] == "blas"]
print(json.dumps({"package": package, "module": scipy_blas, "limited": limited,
                  "blas": blas}))
"""


def test_the_engine_runs_on_scipys_blas_without_importing_scipy_linalg():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, timeout=600)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["package"]:
        pytest.skip(f"SciPy's BLAS module is not beside its package here ({report['module']})")
    assert "cython_blas" in report["module"]
    assert sorted(report["limited"]) == sorted(report["blas"])  # every BLAS scipy.linalg has
    assert set(report["limited"].values()) == {1}
