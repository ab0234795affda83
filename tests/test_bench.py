"""The bench names each conv's paths as the plan chose them, not by working them out."""

from __future__ import annotations

from studio.bench import conv_paths
from studio.io import load_preset


def test_the_bench_reads_each_convs_paths_from_its_plan():
    assert conv_paths(load_preset("lenet5")) == {
        0: "shifted rows + max-pool / shifted rows", 3: "shifted rows + max-pool / pooled scatter"}
    assert conv_paths(load_preset("wide")) == {0: "pooled phases / pooled phases",
                                               3: "Winograd / pooled scatter"}
