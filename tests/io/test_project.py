from __future__ import annotations

import json

import pytest

from studio.io import FileFormatError, Project, load_preset, read_project, write_project


def test_project_round_trip(tmp_path):
    project = Project(load_preset("tiny"), {"dataset": "mnist", "folder": "", "epochs": 2,
                                            "batch_size": 32, "optimizer": "adam", "lr": 0.001,
                                            "schedule": "cosine", "weight_decay": 0.0,
                                            "seed": 3, "frozen_filters": [[0, 1]]})
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
