"""Checkpoints carry a checksum; every broken one is refused in one line, by --resume and by
zoo.from_checkpoint; a failed save leaves the previous checkpoint whole (issue 13)."""

import io
import os
import shutil
from pathlib import Path

import pytest
import torch
from restore.checkpoint import CheckpointError
from restore.checkpoint import read as read_checkpoint
from test_trainer import trainer

from restore import checkpoint

OLD_RUN = Path(__file__).resolve().parents[2] / "zoo" / "training" / "mnist-blur"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    out = tmp_path_factory.mktemp("good")
    trainer(out, 3).train()
    return out / "checkpoint.pt"


def broken(tmp_path, good, how):
    path = tmp_path / "checkpoint.pt"
    data = bytearray(good.read_bytes())
    if how == "empty":
        data = b""
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":
        middle = len(data) // 2
        data[middle] ^= 0x01
    elif how == "junk":
        data = b"not a checkpoint at all" * 100
    path.write_bytes(bytes(data))
    if how == "foreign":
        torch.save({"weights": torch.zeros(3)}, path)
    return path


@pytest.mark.parametrize("how, message", [
    ("empty", "not a readable checkpoint"), ("truncated", "not a readable checkpoint"),
    ("flipped", "corrupt"), ("junk", "not a readable checkpoint"),
    ("foreign", "not a colddiff training checkpoint"),
])
def test_broken_checkpoints_are_refused_in_one_line(tmp_path, good, how, message):
    path = broken(tmp_path, good, how)
    with pytest.raises(CheckpointError, match=message) as error:
        checkpoint.read(path)
    assert "\n" not in str(error.value) and "weights_only" not in str(error.value)
    with pytest.raises(CheckpointError, match=message):
        trainer(tmp_path, 5).train(resume=True)


@pytest.mark.parametrize("how, message", [
    ("empty", "not a readable checkpoint"), ("flipped", "corrupt"),
    ("foreign", "not a colddiff training checkpoint"),
])
def test_zoo_refuses_them_too(tmp_path, good, how, message):
    zoo = pytest.importorskip("zoo", reason="zoo.from_checkpoint needs colddiff-zoo")
    with pytest.raises(ValueError, match=message):
        zoo.from_checkpoint(broken(tmp_path, good, how), "mnist-blur")


def test_a_flipped_byte_anywhere_in_the_payload_is_caught(tmp_path, good):
    data = good.read_bytes()
    for offset in (len(data) // 3, len(data) - 2000):
        altered = bytearray(data)
        altered[offset] ^= 0x10
        path = tmp_path / f"c{offset}.pt"
        path.write_bytes(bytes(altered))
        with pytest.raises(CheckpointError):
            checkpoint.read(path)


def test_a_checkpoint_of_another_network_is_refused(tmp_path, good):
    from restore import UNet

    with pytest.raises(CheckpointError, match="weights of another network"):
        checkpoint.load_model(good, UNet.preset("tiny", in_channels=3))


@pytest.mark.clone
def test_checkpoints_from_before_the_checksum_still_load():
    state = checkpoint.read(OLD_RUN / "checkpoint.pt")
    assert state["step"] == 4000


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path, good, monkeypatch):
    shutil.copy(good, tmp_path / "checkpoint.pt")
    before = (tmp_path / "checkpoint.pt").read_bytes()
    original = torch.save

    def full_disk(obj, f, *args, **kwargs):
        if not isinstance(f, io.BytesIO):               # the file, not the in-memory copy
            f.write(b"partial")
            raise OSError(28, "No space left on device")
        return original(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match=r"could not write the checkpoint .* \(No space left on "
                                      r"device\); the previous one, if any, is unchanged"):
        checkpoint.save({"step": 1}, tmp_path / "checkpoint.pt")
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_checkpoint_is_on_disk_before_it_replaces_the_old_one(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        events.append("fsync")
        real_fsync(descriptor)

    def replace(source, target):
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    checkpoint.save({"step": 1}, tmp_path / "checkpoint.pt")
    assert events[:2] == ["fsync", "replace"]       # the file's data, then the rename
    assert events[2:] == ["fsync"]                  # then the folder, so the rename is durable


def test_the_log_holds_each_step_once(tmp_path):
    import json

    run = trainer(tmp_path, 6, checkpoint_every=3, log_every=1, sample_every=0)
    run.train()
    state = read_checkpoint(tmp_path / "checkpoint.pt")
    assert state["step"] == 6
    # as if the run had been killed after step 4 with the checkpoint of step 3
    log = tmp_path / "log.jsonl"
    lines = log.read_text().splitlines()[:4]
    log.write_text("\n".join(lines) + "\n")
    early = trainer(tmp_path / "early", 3, log_every=1, sample_every=0)
    early.train()
    shutil.copy(tmp_path / "early" / "checkpoint.pt", tmp_path / "checkpoint.pt")
    trainer(tmp_path, 6, checkpoint_every=3, log_every=1, sample_every=0).train(resume=True)
    def steps(path):
        return [r["step"] for r in map(json.loads, path.read_text().splitlines()) if "loss" in r]

    assert steps(log) == [1, 2, 3, 4, 5, 6]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "log.jsonl").write_text('{"step": 99, "loss": 1.0}\n')
    trainer(fresh, 2, log_every=1, sample_every=0).train()
    assert steps(fresh / "log.jsonl") == [1, 2]
    assert (fresh / "log.jsonl.previous").exists()


def test_a_log_line_torn_by_a_full_disk_is_dropped_and_the_run_resumes(tmp_path):
    import json

    trainer(tmp_path, 4, checkpoint_every=2, log_every=1, sample_every=0).train()
    log = tmp_path / "log.jsonl"
    log.write_text(log.read_text() + '{"step": 5, "loss": 0.1, "images_per')  # torn write
    trainer(tmp_path, 6, checkpoint_every=2, log_every=1, sample_every=0).train(resume=True)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4, 5, 6]
    assert not list(tmp_path.glob(".*.tmp"))


def test_resuming_a_finished_run_does_nothing_and_says_so(tmp_path, capsys):
    trainer(tmp_path, 2, log_every=1, sample_every=1).train()
    before = (tmp_path / "log.jsonl").read_text()
    checkpoint_bytes = (tmp_path / "checkpoint.pt").read_bytes()
    for _ in range(3):
        trainer(tmp_path, 2, log_every=1, sample_every=1).train(resume=True)
    assert (tmp_path / "log.jsonl").read_text() == before  # no duplicate val_l1 lines
    assert (tmp_path / "checkpoint.pt").read_bytes() == checkpoint_bytes
    assert "already trained to step 2 of 2" in capsys.readouterr().out


def test_max_seconds_says_that_it_stopped(tmp_path, capsys):
    run = trainer(tmp_path, 1000, log_every=1, sample_every=0, max_seconds=1e-9)
    run.train()
    assert run.step < 1000
    assert f"stopped after --max-seconds 1e-09 at step {run.step} of 1000" in \
        capsys.readouterr().out


def test_a_run_without_configuration_refuses_another_batch_on_resume(tmp_path):
    trainer(tmp_path, 2, sample_every=0).train()
    with pytest.raises(ValueError, match=r"train.batch_size \(8 to 4\)"):
        trainer(tmp_path, 4, batch_size=4, sample_every=0).train(resume=True)
    trainer(tmp_path, 4, sample_every=0).train(resume=True)  # more steps: fine


class _Pickled:
    """A global that a forged payload pickles (never run: weights_only refuses it)."""


def _forged(tmp_path, good_path, change):
    """A checkpoint whose content ``change`` altered, with a checksum that matches it."""
    import hashlib
    import io

    state = read_checkpoint(good_path)
    change(state)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    path = tmp_path / "forged" / "checkpoint.pt"
    path.parent.mkdir()
    torch.save({"format": checkpoint.FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
                "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}, path)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(step=-5), "not a whole number >= 0"),
    (lambda s: s.update(step=2.5), "not a whole number >= 0"),
    (lambda s: s.update(generator=torch.zeros(7, dtype=torch.uint8)), "random generator"),
    (lambda s: s.update(torch_rng=torch.zeros(3)), "random generator"),
    (lambda s: s.update(model={"w": 3}), "not tensors"),
    (lambda s: s.update(optimizer=[]), "no optimiser state"),
    (lambda s: s.update(extra=_Pickled()), "not plain tensors and data"),
])
def test_a_forged_checkpoint_with_a_valid_checksum_is_refused_in_one_line(
        tmp_path, change, message):
    trainer(tmp_path / "good", 2, sample_every=0).train()
    path = _forged(tmp_path, tmp_path / "good" / "checkpoint.pt", change)
    with pytest.raises(CheckpointError, match=message) as caught:
        read_checkpoint(path)
    assert len(str(caught.value).splitlines()) == 1


def test_an_optimiser_of_the_wrong_shape_is_refused_on_resume(tmp_path):
    trainer(tmp_path / "good", 2, sample_every=0).train()

    def swap(state):
        moments = state["optimizer"]["state"][0]
        moments["exp_avg"] = torch.zeros(*moments["exp_avg"].shape, 2)

    path = _forged(tmp_path, tmp_path / "good" / "checkpoint.pt", swap)
    with pytest.raises(CheckpointError, match="optimiser state of another network"):
        trainer(path.parent, 4, sample_every=0).train(resume=True)


def test_a_checkpoint_from_before_a_field_was_added_resumes_with_its_default():
    """A field added to RunConfig since a checkpoint was written (``init``,
    ``train.final_share``) takes its default there: resuming with the default changes
    nothing, resuming with another value is refused."""
    from restore import RunConfig

    run = RunConfig(out="runs/x").to_dict()
    older = {**run, "train": {k: v for k, v in run["train"].items() if k != "final_share"}}
    del older["init"]
    state = {"run": older}
    assert checkpoint.resume_changes("old.pt", state, run["train"], run) == {}
    changed = RunConfig(out="runs/x")
    changed.train.final_share = 0.5
    with pytest.raises(ValueError, match=r"train.final_share \(0.0 to 0.5\)"):
        checkpoint.resume_changes("old.pt", state, changed.to_dict()["train"],
                                  changed.to_dict())
