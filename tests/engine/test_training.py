"""The trainer: it learns, it reports, it obeys pause/resume/stop from another thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from studio.engine import (
    BatchEnd,
    EpochEnd,
    Network,
    Snapshot,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    evaluate,
)
from studio.io import load_preset


def test_tiny_network_learns_synthetic_digits_in_one_epoch(synthetic):
    network = Network(load_preset("tiny"))
    before = evaluate(network, synthetic.test_images, synthetic.test_labels).accuracy
    trainer = Trainer(network, synthetic.train_images, synthetic.train_labels,
                      synthetic.test_images, synthetic.test_labels,
                      TrainConfig(epochs=1, snapshot_interval=0))
    result = trainer.run()
    assert before < 0.3
    assert result.epochs[0].test.accuracy > 0.85
    assert result.epochs[0].test.confusion.sum() == len(synthetic.test_labels)


def test_events_report_progress_and_snapshots(synthetic):
    network = Network(load_preset("lenet5"))
    trainer = Trainer(network, synthetic.train_images[:640], synthetic.train_labels[:640],
                      synthetic.test_images[:100], synthetic.test_labels[:100],
                      TrainConfig(epochs=1, batch_size=64, snapshot_interval=1e-9))
    events = list(trainer.events())
    batches = [e for e in events if isinstance(e, BatchEnd)]
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert [b.step for b in batches] == list(range(1, 11))
    assert isinstance(events[-1], EpochEnd)
    assert len(snapshots) == 10
    snap = snapshots[-1]
    assert set(snap.kernels) == {0, 3}
    assert snap.kernels[0].shape == (6, 1, 5, 5)
    np.testing.assert_array_equal(snap.kernels[0], network.state_dict()["0.weight"])
    assert snap.kernel_gradients[3].shape == (16, 6, 5, 5)
    assert [f.shape for f in snap.feature_maps][:3] == [(6, 28, 28)] * 2 + [(6, 14, 14)]
    assert snap.input_gradient.shape == (1, 28, 28)
    assert np.abs(snap.input_gradient).sum() > 0
    assert set(snap.gradient_norms) == {0, 3, 7, 9, 11}


def test_the_last_step_is_always_snapshotted(synthetic):
    trainer = Trainer(Network(load_preset("tiny")), synthetic.train_images[:640],
                      synthetic.train_labels[:640],
                      config=TrainConfig(epochs=2, batch_size=64, snapshot_interval=3600))
    steps = [e.step for e in trainer.events() if isinstance(e, Snapshot)]
    assert steps == [1, 20]  # the first batch, then nothing until the finished network


def test_snapshots_by_step_leave_a_timeline_even_when_time_would_not(synthetic):
    trainer = Trainer(Network(load_preset("tiny")), synthetic.train_images[:640],
                      synthetic.train_labels[:640],
                      config=TrainConfig(epochs=2, batch_size=16, snapshot_interval=3600,
                                         snapshot_steps=20))
    events = list(trainer.events())
    steps = [e.step for e in events if isinstance(e, Snapshot)]
    assert steps == [*range(1, 81, 4), 80]  # every 80 // 20 = 4 steps, and the last one
    after = [events[i + 1] for i, e in enumerate(events) if isinstance(e, Snapshot)]
    assert all(isinstance(e, BatchEnd) and e.step == s for e, s in zip(after, steps))


def test_a_requested_snapshot_is_taken_at_the_next_batch(synthetic):
    trainer = Trainer(Network(load_preset("tiny")), synthetic.train_images[:640],
                      synthetic.train_labels[:640],
                      config=TrainConfig(epochs=1, batch_size=64, snapshot_interval=3600))
    steps = []
    for event in trainer.events():
        if isinstance(event, BatchEnd) and event.step == 4:
            trainer.request_snapshot()
        elif isinstance(event, Snapshot):
            steps.append(event.step)
    assert steps == [1, 5, 10]


def test_same_seed_gives_the_same_weights(synthetic):
    def train():
        network = Network(load_preset("tiny"), seed=5)
        Trainer(network, synthetic.train_images[:512], synthetic.train_labels[:512],
                config=TrainConfig(epochs=1, seed=5, snapshot_interval=0)).run()
        return network.parameters.copy()

    np.testing.assert_array_equal(train(), train())


def test_pause_resume_and_stop_from_another_thread(synthetic):
    network = Network(load_preset("lenet5"))
    trainer = Trainer(network, synthetic.train_images, synthetic.train_labels,
                      config=TrainConfig(epochs=50, snapshot_interval=0))
    steps: list[int] = []
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(r=trainer.run(lambda e: steps.append(getattr(e, "step", 0)))))
    worker.start()
    while len(steps) < 5:
        time.sleep(0.01)
    trainer.pause()
    time.sleep(0.2)
    paused_at = len(steps)
    time.sleep(0.3)
    assert len(steps) == paused_at, "batches ran while paused"
    trainer.resume()
    time.sleep(0.3)
    assert len(steps) > paused_at
    asked = time.perf_counter()
    trainer.stop()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert time.perf_counter() - asked < 0.2
    assert result["r"].stopped


def test_divergence_is_reported_and_weights_are_the_last_good_ones(synthetic):
    network = Network(load_preset("tiny"))
    trainer = Trainer(network, synthetic.train_images, synthetic.train_labels,
                      config=TrainConfig(epochs=1, lr=1e6, schedule="constant",
                                         snapshot_interval=0))
    with pytest.raises(TrainingDiverged, match="lower learning rate"):
        trainer.run()
    assert np.all(np.isfinite(network.parameters))


@pytest.mark.parametrize(("settings", "message"), [
    ({"lr": -1.0}, "learning rate must be a positive number"),
    ({"lr": float("nan")}, "learning rate must be a positive number"),
    ({"batch_size": 0}, "batch size must be at least 1"),
    ({"batch_size": 10_000}, "larger than the 2000 training images"),
    ({"epochs": 0}, "epochs must be a whole number of at least 1"),
    ({"optimizer": "rmsprop"}, "unknown optimiser"),
])
def test_bad_settings_are_refused_with_a_sentence(synthetic, settings, message):
    with pytest.raises(ValueError, match=message):
        Trainer(Network(load_preset("tiny")), synthetic.train_images, synthetic.train_labels,
                config=TrainConfig(**settings))


@pytest.mark.slow
def test_lenet5_reaches_97_5_percent_on_mnist_in_5_epochs_with_defaults(mnist):
    network = Network(load_preset("lenet5"))
    result = Trainer(network, mnist.train_images, mnist.train_labels, mnist.test_images,
                     mnist.test_labels, TrainConfig(snapshot_interval=0)).run()
    accuracies = [epoch.test.accuracy for epoch in result.epochs]
    assert len(accuracies) == 5
    assert accuracies[-1] >= 0.975, accuracies


def test_a_network_too_big_for_memory_is_refused_with_the_numbers_before_allocating():
    from studio.engine import ArchitectureError

    arch = load_preset("mlp")
    arch["layers"][1]["units"] = 4096
    arch["layers"].insert(2, {"type": "dense", "units": 4096})
    arch["layers"].insert(3, {"type": "dense", "units": 4096})
    arch["input"] = {"channels": 3, "height": 4096, "width": 4096}
    with pytest.raises(ArchitectureError, match=r"needs about [\d.]+ GB .* only [\d.]+ GB"):
        Network(arch)


def test_a_batch_too_big_for_memory_is_refused(synthetic):
    big = {"format": "cnn-studio.architecture", "version": 1, "name": "wide",
           "input": {"channels": 1, "height": 28, "width": 28},
           "layers": [{"type": "conv2d", "filters": 4096, "kernel": 3, "padding": "same"},
                      {"type": "flatten"}, {"type": "dense", "units": 10}]}
    network = Network(big)
    with pytest.raises(ValueError, match="at batch size 2000 needs about"):
        Trainer(network, synthetic.train_images, synthetic.train_labels,
                config=TrainConfig(batch_size=2000))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("stop_after", [5, 10, 17])  # mid-epoch, at the epoch's end, later
def test_a_stopped_and_resumed_run_ends_bit_for_bit_like_an_uninterrupted_one(
        synthetic, optimizer, stop_after):
    """Weights, batch-norm statistics, optimiser state, data order and dropout masks all
    continue exactly (one process, same machine: the kernels are deterministic)."""
    images, labels = synthetic.train_images[:640], synthetic.train_labels[:640]
    config = TrainConfig(epochs=2, optimizer=optimizer, seed=4, snapshot_interval=0)
    architecture = load_preset("batchnorm")

    whole = Network(architecture, seed=4)
    Trainer(whole, images, labels, config=config).run()

    first = Network(architecture, seed=4)
    trainer = Trainer(first, images, labels, config=config)
    for event in trainer.events():
        if isinstance(event, BatchEnd) and event.step == stop_after:
            trainer.stop()
    checkpoint = trainer.checkpoint()
    weights = {k: v.copy() for k, v in first.state_dict().items()}

    second = Network(architecture, seed=99)  # nothing of its own initialisation may leak in
    second.load_state_dict(weights)
    result = Trainer(second, images, labels, config=config, resume=checkpoint).run()
    assert not result.stopped
    for name, array in whole.state_dict().items():
        np.testing.assert_array_equal(second.state_dict()[name], array, err_msg=name)


def test_the_reported_rate_leaves_out_the_first_batch_which_loads_the_kernels():
    from studio.engine.trainer import TrainResult

    assert TrainResult(train_seconds=2.0, images=640, first_batch=(0.5, 64)
                       ).images_per_second == pytest.approx(576 / 1.5)
    assert TrainResult(train_seconds=0.5, images=64, first_batch=(0.5, 64)
                       ).images_per_second == pytest.approx(128)  # one batch: all there is
    from studio.data import synthetic_digits

    images, labels = synthetic_digits(256, seed=3)
    trainer = Trainer(Network(load_preset("tiny")), images, labels,
                      config=TrainConfig(epochs=1, batch_size=64, snapshot_interval=0))
    result = trainer.run()
    seconds, first = result.first_batch
    assert first == 64 and 0 < seconds < result.train_seconds
    assert result.images_per_second == pytest.approx(192 / (result.train_seconds - seconds))
