from __future__ import annotations

import json

import numpy as np
import pytest

from studio.io import FileFormatError, Project, load_preset, read_project, write_project


def test_project_round_trip(tmp_path):
    project = Project(load_preset("tiny"), {"dataset": "mnist", "folder": "", "epochs": 2,
                                            "batch_size": 32, "optimizer": "adam", "lr": 0.001,
                                            "schedule": "cosine", "weight_decay": 0.0,
                                            "seed": 3, "engine": "textbook",
                                            "frozen_filters": [[0, 1]]})
    write_project(tmp_path / "p.cnnproj", project)
    assert read_project(tmp_path / "p.cnnproj") == project


def test_an_architecture_json_opens_as_a_project_with_default_settings(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(load_preset("mlp")))
    project = read_project(tmp_path / "a.json")
    assert project.architecture == load_preset("mlp")
    assert project.training["epochs"] == 5


@pytest.mark.parametrize(("content", "expected"), [
    ({"format": "something-else"}, "not a CNN Studio project"),
    ({"format": "cnn-studio.project", "version": 7}, "project version 7 is not supported"),
    ({"format": "cnn-studio.project", "version": 1}, "has no 'architecture' object"),
    ({"format": "cnn-studio.project", "version": 1, "architecture": {},
      "training": {"epochz": 3}}, "unknown training setting 'epochz'"),
    ({"format": "cnn-studio.project", "version": 1, "architecture": {},
      "training": {"epochs": "many"}}, "'epochs' has the wrong type"),
    ([1, 2], "not a CNN Studio project"),
])
def test_bad_projects_say_what_is_wrong(tmp_path, content, expected):
    path = tmp_path / "p.cnnproj"
    path.write_text(json.dumps(content))
    with pytest.raises(FileFormatError, match=expected):
        read_project(path)


def test_a_malformed_frozen_filter_is_refused(tmp_path):
    path = tmp_path / "p.cnnproj"
    path.write_text(json.dumps({"format": "cnn-studio.project", "version": 1,
                                "architecture": load_preset("tiny"),
                                "training": {"frozen_filters": [[0, "a"]]}}))
    with pytest.raises(FileFormatError, match=r"each frozen filter must be \[layer, filter\]"):
        read_project(path)


def test_runs_round_trip_with_their_final_weights(tmp_path):
    from studio.engine import Network
    from studio.io import Run

    network = Network(load_preset("tiny"))
    weights = {k: v.copy() for k, v in network.state_dict().items()}
    runs = [Run(1, "2026-11-26T04:00:00", load_preset("tiny"), {"epochs": 2}, "finished",
                [1, 2, 3], [2.3, 1.9, 1.5],
                [{"epoch": 1, "loss": 2.0, "train_accuracy": 0.4, "test_accuracy": 0.5}],
                weights),
            Run(2, "2026-11-26T04:05:00", load_preset("tiny"), {"epochs": 1}, "stopped",
                [1], [2.2], [], None, continued_from=1)]
    write_project(tmp_path / "p.cnnproj", Project(load_preset("tiny"), runs=runs))
    loaded = read_project(tmp_path / "p.cnnproj").runs
    assert [(r.number, r.status, r.losses, r.epochs) for r in loaded] == \
        [(r.number, r.status, r.losses, r.epochs) for r in runs]
    assert loaded[0].test_accuracy == 0.5 and loaded[1].weights is None
    assert [r.lineage for r in loaded] == ["new", "continued from run 1"]
    for name, array in weights.items():
        np.testing.assert_array_equal(loaded[0].weights[name], array)


def test_a_long_loss_curve_is_thinned_when_saved():
    from studio.io import Run
    from studio.io.runs import MAX_CURVE_POINTS

    run = Run(1, "t", {}, {}, "finished", list(range(20000)), [1.0] * 20000)
    saved = run.to_json()
    assert len(saved["steps"]) == MAX_CURVE_POINTS
    assert saved["steps"][0] == 0 and saved["steps"][-1] == 19999


def test_a_malformed_run_is_refused(tmp_path):
    path = tmp_path / "p.cnnproj"
    path.write_text(json.dumps({"format": "cnn-studio.project", "version": 1,
                                "architecture": load_preset("tiny"),
                                "runs": [{"number": 1, "status": "exploded"}]}))
    with pytest.raises(FileFormatError, match="run 1 has no valid 'started'"):
        read_project(path)


@pytest.mark.parametrize("parent", ["run 1", -1, True, 1.5])
def test_a_run_with_a_malformed_lineage_is_refused(tmp_path, parent):
    from studio.io import Run

    raw = {**Run(2, "t", load_preset("tiny"), {}, "finished").to_json(), "continued_from": parent}
    path = tmp_path / "p.cnnproj"
    path.write_text(json.dumps({"format": "cnn-studio.project", "version": 1,
                                "architecture": load_preset("tiny"), "runs": [raw]}))
    with pytest.raises(FileFormatError, match="run 2 has an invalid 'continued_from'"):
        read_project(path)


def test_runs_saved_before_lineage_was_kept_open_as_new_runs(tmp_path):
    from studio.io import Run

    raw = Run(1, "t", load_preset("tiny"), {}, "finished").to_json()
    del raw["continued_from"]
    path = tmp_path / "p.cnnproj"
    path.write_text(json.dumps({"format": "cnn-studio.project", "version": 1,
                                "architecture": load_preset("tiny"), "runs": [raw]}))
    assert read_project(path).runs[0].lineage == "new"
