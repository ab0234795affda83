"""The project session: the file rules of Open, Save, recent files and checkpoints, no window."""

from __future__ import annotations

import json

import pytest

from studio.app.checkpoints import checkpoint_path
from studio.app.project_session import MAX_RECENT, ProjectSession
from studio.io import Project, load_preset, timeline_path


@pytest.fixture
def session(qapp, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the unsaved run's checkpoint
    return ProjectSession(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
                          snapshot=lambda: None)


PROJECT = Project(load_preset("tiny"), {"epochs": 3})


@pytest.mark.parametrize(("name", "written"), [
    ("p.cnnproj", "p.cnnproj"),
    ("p", "p.cnnproj"),  # a name without the project's ending gets it
    ("p.txt", "p.txt.cnnproj"),
    ("a.json", "a.json"),  # the architecture alone
])
def test_save_writes_a_project_or_the_architecture_alone(session, tmp_path, name, written):
    saved = session.save(tmp_path / name, PROJECT)
    assert saved.path == tmp_path / written and not saved.problems
    assert session.path == saved.path and session.recent_files() == [str(saved.path)]
    text = json.loads(saved.path.read_text())
    assert (text["name"] if name.endswith(".json") else text["architecture"]["name"]) == \
        "Tiny CNN"
    assert session.read(saved.path).architecture == PROJECT.architecture


def test_a_failed_save_says_which_file_and_changes_nothing(session, tmp_path):
    (tmp_path / "taken.cnnproj").mkdir()
    saved = session.save(tmp_path / "taken.cnnproj", PROJECT)
    assert saved.path is None and "taken.cnnproj: cannot be saved" in saved.problems[0]
    assert session.path is None and session.recent_files() == []


def test_the_unsaved_networks_checkpoint_moves_beside_its_first_save(session, tmp_path):
    checkpoint_path(None).parent.mkdir(parents=True)
    checkpoint_path(None).write_bytes(b"a run")
    session.save(tmp_path / "digits.cnnproj", PROJECT)
    assert session.checkpoint_path() == tmp_path / "digits.checkpoint.npz"
    assert session.checkpoint_path().read_bytes() == b"a run"
    assert not checkpoint_path(None).exists()


def test_recent_files_put_the_latest_first_without_repeats(session, tmp_path):
    for k in [*range(MAX_RECENT + 2), 3]:
        session.remember(tmp_path / f"{k}.cnnproj")
    recent = session.recent_files()
    assert recent[0].endswith("3.cnnproj") and len(recent) == MAX_RECENT
    assert len(set(recent)) == MAX_RECENT


def test_a_broken_timeline_is_a_sentence_not_a_failure(session, tmp_path):
    assert session.timeline(None) == (None, None)
    assert session.timeline(tmp_path / "p.cnnproj") == (None, None)  # none saved
    timeline_path(tmp_path / "p.cnnproj").write_bytes(b"not a zip")
    timeline, problem = session.timeline(tmp_path / "p.cnnproj")
    assert timeline is None and timeline_path(tmp_path / "p.cnnproj").name in problem
