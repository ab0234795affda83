"""The bench names each conv's paths as the plan chose them, says which target LLVM compiles
for, and compares with onnxruntime only on logits that agree."""

from __future__ import annotations

import numpy as np
import pytest

from studio import bench
from studio.bench import BenchError, conv_paths, llvm_target, onnxruntime_comparison, target_line
from studio.io import load_preset


def test_the_bench_reads_each_convs_paths_from_its_plan():
    assert conv_paths(load_preset("lenet5")) == {
        0: "shifted rows + max-pool / shifted rows", 3: "shifted rows + max-pool / pooled scatter"}
    assert conv_paths(load_preset("wide")) == {0: "pooled phases / pooled phases",
                                               3: "Winograd + max-pool / pooled scatter"}


def test_the_header_names_the_llvm_target_and_its_vector_width(monkeypatch):
    import llvmlite.binding as llvm
    import numba

    monkeypatch.setattr(numba.config, "CPU_NAME", None)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", None)
    name, _ = llvm_target()
    assert name == llvm.get_host_cpu_name()
    line = target_line()
    assert line.startswith(f"LLVM target: {name} (the host;")
    assert line.split(" at ")[-1] in ("128 bits", "256 bits", "512 bits")
    monkeypatch.setattr(numba.config, "CPU_NAME", "haswell")  # as NUMBA_CPU_NAME=haswell
    assert llvm_target()[0] == "haswell"
    assert "(NUMBA_CPU_NAME;" in target_line()


def test_the_onnxruntime_comparison_times_agreeing_logits(capsys):
    pytest.importorskip("onnxruntime")
    rows = onnxruntime_comparison({"tiny": "tiny"}, batches=(1, 8), quick=True)
    assert [(row["batch"], row["engine"] > 0, row["onnxruntime"] > 0) for row in rows] == [
        (1, True, True), (8, True, True)]
    lines = capsys.readouterr().out.splitlines()
    batch_one = next(line for line in lines if line.split()[:2] == ["tiny", "1"])
    ratio, engine_ms, theirs_ms = batch_one.split()[4:]
    assert float(ratio.rstrip("×")) == pytest.approx(float(theirs_ms) / float(engine_ms),
                                                     rel=0.02, abs=0.01)


class _OffByOne:
    """An onnxruntime session whose logits are one more than the export's."""

    def __init__(self, network, threads):
        self.session = bench_session(network, threads)

    def run(self, names, feeds):
        return [self.session.run(names, feeds)[0] + np.float32(1)]


bench_session = bench.onnxruntime_session


def test_logits_that_disagree_are_an_error_not_a_figure(monkeypatch, capsys):
    pytest.importorskip("onnxruntime")
    monkeypatch.setattr(bench, "onnxruntime_session", _OffByOne)
    with pytest.raises(BenchError, match="tiny at batch 1: .* differ by up to 1"):
        onnxruntime_comparison({"tiny": "tiny"}, batches=(1,), quick=True)
    assert "×" not in capsys.readouterr().out


def test_without_onnxruntime_the_cli_says_what_to_install(monkeypatch, capsys):
    import sys

    from studio import cli

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime → ImportError
    assert cli.main(["bench", "--vs-onnxruntime", "--quick"]) == cli.EXIT_ERROR
    assert capsys.readouterr().err.strip() == (
        "error: --vs-onnxruntime needs onnxruntime: pip install onnxruntime")
