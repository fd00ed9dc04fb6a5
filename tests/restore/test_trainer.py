"""restore.Trainer: outputs, learning, exact resume, time budget and hooks."""

import json
import subprocess
import sys

import pytest
import restore.trainer as trainer_module
import torch
from restore.checkpoint import read as read_checkpoint
from restore.data import TensorImages

import degrade
from restore import TrainConfig, Trainer, UNet, load_model


def blobs(n=96, size=16, seed=0):
    """Smooth random images: easy to learn to deblur."""
    generator = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 1, 4, 4, generator=generator) * 2 - 1
    return torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear")


def trainer(out, steps, **settings):
    torch.manual_seed(0)
    options = dict(steps=steps, batch_size=8, accumulate=2, lr=3e-3, ema_start=2, ema_every=2,
                   checkpoint_every=3, log_every=2, sample_every=4, progress=False, device="cpu")
    options.update(settings)
    D = degrade.GaussianBlurSchedule.constant(3, 5, 1.0)
    return Trainer(UNet.preset("tiny", in_channels=1), D, TensorImages(blobs()), out,
                   TrainConfig(**options), val_images=blobs(4, seed=1))


def test_a_run_writes_checkpoint_log_and_grids(tmp_path):
    ema = trainer(tmp_path, 6).train()
    assert (tmp_path / "checkpoint.pt").exists()
    assert not list(tmp_path.glob(".*.tmp")), "a temporary checkpoint was left behind"
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [r for r in records if "loss" in r]
    assert [r["step"] for r in steps] == [2, 4, 6]
    assert all(set(r) == {"step", "loss", "lr", "images_per_second"} for r in steps)
    grids = sorted(p.name for p in (tmp_path / "samples").glob("*.png"))
    assert grids == ["step-0000004.png", "step-0000006.png"]
    assert any("val_l1" in r for r in records)
    loaded = load_model(tmp_path / "checkpoint.pt")
    for a, b in zip(loaded.state_dict().values(), ema.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_it_learns():
    """On smooth images the L1 loss falls well below its start in 60 steps."""
    run = trainer("/nonexistent-never-written", 60, checkpoint_every=1000, log_every=10,
                  sample_every=0)
    run._save = lambda path: None
    run._log = lambda record: records.append(record)
    records = []
    run.train()
    losses = [r["loss"] for r in records if "loss" in r]
    assert losses[-1] < 0.5 * losses[0], losses


def test_resume_continues_exactly(tmp_path):
    straight = trainer(tmp_path / "straight", 7)
    straight.train()
    first = trainer(tmp_path / "stopped", 3)
    first.train()
    resumed = trainer(tmp_path / "stopped", 7)
    resumed.train(resume=True)
    assert resumed.step == straight.step == 7
    for name in ("model", "ema", "optimizer", "generator", "torch_rng"):
        a = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")[name]
        b = read_checkpoint(tmp_path / "stopped" / "checkpoint.pt")[name]
        assert _equal(a, b), f"{name} differs after resuming"


def _equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


def test_an_existing_run_is_not_overwritten(tmp_path):
    trainer(tmp_path, 3).train()
    with pytest.raises(FileExistsError, match="resume"):
        trainer(tmp_path, 3).train()
    with pytest.raises(ValueError, match="batch_size"):
        trainer(tmp_path, 6, batch_size=4).train(resume=True)


def test_time_budget_stops_early_with_a_checkpoint(tmp_path):
    run = trainer(tmp_path, 10_000, max_seconds=0.5, sample_every=0)
    run.train()
    assert 0 < run.step < 10_000
    assert read_checkpoint(tmp_path / "checkpoint.pt")["step"] == run.step


def test_the_step_probe_times_the_steps_it_asks_for_and_writes_nothing(tmp_path, monkeypatch):
    run = trainer(tmp_path / "probe", 10)
    clock = iter(range(0, 1000, 7))
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: next(clock))
    assert run.seconds_per_step(steps=4, warmup=2) == 7 / 4
    state = run.optimizer.state[next(run.model.parameters())]
    assert int(state["step"]) == 6
    assert run.step == 0 and run._network is None and not (tmp_path / "probe").exists()
    with pytest.raises(ValueError, match="steps must be at least 1"):
        run.seconds_per_step(steps=0)


def test_the_probe_waits_for_a_gpu_before_reading_the_clock(monkeypatch):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", waited.append)
    trainer_module._synchronize(torch.device("cpu"))
    trainer_module._synchronize(torch.device("cuda", 1))
    assert waited == [torch.device("cuda", 1)]


def test_objective_hook_and_l2_loss(tmp_path):
    calls = []

    def predict_the_blur(R, D, x0, t):
        calls.append(t.shape)
        x_t = D(x0, t)
        return R(x_t, t), x_t

    run = trainer(tmp_path, 2, loss="l2", sample_every=0)
    run.objective = predict_the_blur
    run.train()
    # two steps of two micro-batches of 8, then the validation loss of the last grid (4 images)
    assert calls == [(8,)] * 4 + [(4,)]
    val = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()
           if "val_l1" in line]
    assert len(val) == 1 and val[0]["val_l1"] > 0


def test_bad_settings():
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="huber")
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(TypeError, match="num_steps"):
        Trainer(UNet.preset("tiny", in_channels=1), lambda x, t: x, TensorImages(blobs()), "/x")
    with pytest.raises(ValueError, match="fewer than one batch"):
        Trainer(UNet.preset("tiny", in_channels=1), lambda x, t: x, TensorImages(blobs(4)), "/x",
                TrainConfig(device="cpu"), num_steps=5)


def test_restore_needs_no_degrade():
    code = (
        "import sys; sys.modules['degrade'] = None\n"
        "import torch, restore\n"
        "from restore.data import TensorImages\n"
        "D = lambda x, t: x * (1 - t.view(-1, 1, 1, 1) / 10)\n"
        "config = restore.TrainConfig(steps=2, batch_size=4, progress=False, sample_every=0,"
        " device='cpu')\n"
        "import tempfile\n"
        "run = restore.Trainer(restore.UNet.preset('tiny', in_channels=1), D,"
        " TensorImages(torch.rand(8, 1, 16, 16)), tempfile.mkdtemp(), config, num_steps=10)\n"
        "run.train()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("precision, dtype", [("bf16", torch.bfloat16),
                                              ("fp16", torch.float16)])
def test_mixed_precision_trains_and_resumes_exactly(tmp_path, precision, dtype):
    """bf16 and fp16 autocast run where the device supports them (here the CPU); fp16 scales
    its gradients, and the scaler's state resumes with the run."""
    # channels-last: where this CPU emulates 16-bit arithmetic it does so fastest there
    settings = dict(precision=precision, sample_every=0, channels_last=True)
    straight = trainer(tmp_path / "straight", 5, **settings)
    assert straight.autocast_dtype == dtype
    assert straight.scaler.is_enabled() == (precision == "fp16")
    straight.train()
    trainer(tmp_path / "stopped", 3, **settings).train()
    trainer(tmp_path / "stopped", 5, **settings).train(resume=True)
    a = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    b = read_checkpoint(tmp_path / "stopped" / "checkpoint.pt")
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in a["model"].values())
    for name in ("model", "optimizer", "scaler"):
        assert _equal(a[name], b[name]), f"{name} differs after resuming"
    if precision == "fp16":
        assert a["scaler"]["scale"] == 65536.0 and a["scaler"]["_growth_tracker"] == 5


def test_precision_and_layout_are_chosen_together_and_logged_at_each_start(tmp_path,
                                                                          monkeypatch):
    import restore.precision as precision

    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    native = trainer(tmp_path / "native", 2, sample_every=0)
    assert native.autocast_dtype is None, "auto trains in bf16 on GPUs only"
    assert native.memory_format == torch.channels_last
    asked = trainer(tmp_path / "asked", 2, sample_every=0, precision="bf16")
    assert asked.autocast_dtype is torch.bfloat16 and not asked.numerics.emulated
    assert asked.memory_format == torch.contiguous_format
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert precision.for_training("auto", "auto", torch.device("cuda", 0)).precision == "bf16"
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    run = trainer(tmp_path / "run", 2, sample_every=0)
    assert run.autocast_dtype is None and run.memory_format == torch.channels_last
    run.train()
    trainer(tmp_path / "run", 4, sample_every=0).train(resume=True)
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text()
               .splitlines()]
    starts = [r for r in records if "precision" in r]
    assert [r["step"] for r in starts] == [0, 2]
    assert starts[0]["precision"] == "fp32" and starts[0]["channels_last"] is True
    assert starts[0]["compile"] is False and "no native bf16" in starts[0]["why"]
    assert "CPU" in starts[0]["hardware"]


def test_the_learning_rate_follows_its_schedule_and_resumes_exactly(tmp_path, monkeypatch):
    settings = dict(lr_schedule="cosine", warmup=2, lr=1e-2, log_every=1, sample_every=0)
    straight = trainer(tmp_path / "straight", 7, **settings)
    straight.train()
    records = [json.loads(line) for line in (tmp_path / "straight" / "log.jsonl").open()]
    expected = [straight.config.learning_rate(step) for step in range(7)]
    assert [r["lr"] for r in records if "lr" in r] == pytest.approx(expected)
    assert expected[0] == pytest.approx(5e-3) and expected[1] == expected[2] == 1e-2
    assert expected[-1] == 0.0

    calls = iter(range(1, 100))
    monkeypatch.setattr(trainer_module.distributed, "all_past", lambda *a: next(calls) == 3)
    trainer(tmp_path / "stopped", 7, **settings).train()  # out of time after step 3
    assert read_checkpoint(tmp_path / "stopped" / "checkpoint.pt")["step"] == 3
    monkeypatch.undo()
    trainer(tmp_path / "stopped", 7, **settings).train(resume=True)
    a = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    b = read_checkpoint(tmp_path / "stopped" / "checkpoint.pt")
    for name in ("model", "optimizer"):
        assert _equal(a[name], b[name]), f"{name} differs after resuming"


def test_the_moving_average_keeps_decay_of_the_old_weights():
    """After the start, one update is ``ema = decay * ema + (1 - decay) * model``, exactly."""
    from restore import EMA

    model = torch.nn.Linear(3, 2)
    ema = EMA(model, decay=0.9, start=0)
    before = {k: v.clone() for k, v in ema.model.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update(model, step=1)
    for name, value in ema.model.state_dict().items():
        expected = 0.9 * before[name] + 0.1 * model.state_dict()[name]
        assert torch.allclose(value, expected, atol=1e-6), name
    early = EMA(model, decay=0.9, start=5)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    early.update(model, step=4)       # before the start: the average is the model
    assert all(torch.equal(a, b) for a, b in zip(early.model.parameters(), model.parameters(),
                                                 strict=True))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    early.update(model, step=5)       # from the start on: an average
    assert not any(torch.equal(a, b) for a, b in zip(early.model.parameters(),
                                                     model.parameters(), strict=True))


def test_training_draws_every_step_from_1_to_T_and_never_0(tmp_path):
    seen = []

    def objective(R, D, x0, t):
        if R.training:                    # not the validation loss of the grids
            seen.append(t.clone())
        return R(D(x0, t), t), x0

    run = trainer(tmp_path, 40, sample_every=0, checkpoint_every=1000)
    run.objective = objective
    run.train()
    steps = torch.cat(seen)
    assert int(steps.min()) == 1 and int(steps.max()) == 5
    assert set(steps.tolist()) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("share, at_T", [(0.5, 4), (0.25, 2), (1.0, 8)])
def test_a_final_share_of_each_batch_trains_at_T(tmp_path, share, at_T):
    """Issue 29: the colouriser learns R(x_T, T), the grey image, far more often."""
    seen = []

    def objective(R, D, x0, t):
        if R.training:
            seen.append(t.clone())
        return R(D(x0, t), t), x0

    run = trainer(tmp_path, 8, sample_every=0, checkpoint_every=1000, final_share=share)
    run.objective = objective
    run.train()
    assert all(int((t == 5).sum()) >= at_T for t in seen)
    assert all(torch.equal(t[:at_T], torch.full((at_T,), 5)) for t in seen)
    if share < 1:
        assert set(torch.cat([t[at_T:] for t in seen]).tolist()) == {1, 2, 3, 4, 5}
    with pytest.raises(ValueError, match="final_share must be in"):
        TrainConfig(final_share=1.5)


def test_the_grids_use_the_fixed_draw_given_explicitly(tmp_path):
    calls = []
    D = degrade.GaussianMaskSchedule.linear(5, center="random")
    fixed = D.draw(blobs(4, seed=1), generator=torch.Generator().manual_seed(0))

    def sample_D(x, t):
        calls.append(len(x))
        return fixed(x, t)

    torch.manual_seed(0)
    run = Trainer(UNet.preset("tiny", in_channels=1), D.resampled(), TensorImages(blobs()),
                  tmp_path, TrainConfig(steps=2, batch_size=8, sample_every=2, progress=False,
                                        device="cpu"),
                  val_images=blobs(4, seed=1), sample_D=sample_D)
    run.train()
    assert calls and set(calls) == {4}


def test_the_walk_objective_trains_on_a_random_degradation(tmp_path):
    from restore.objectives import restore_x0_on_walk

    D = degrade.GaussianMaskSchedule.paper_code(5, bits=8)
    torch.manual_seed(0)
    run = Trainer(UNet.preset("tiny", in_channels=1), D.resampled(), TensorImages(blobs()),
                  tmp_path, TrainConfig(steps=3, batch_size=8, sample_every=0, progress=False,
                                        device="cpu", log_every=1),
                  val_images=blobs(4, seed=1), objective=restore_x0_on_walk)
    run.train()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3]


@pytest.mark.parametrize("loss, expected", [("l1", 2.0), ("l2", 4.0)])
def test_the_configured_loss_is_the_one_minimised(tmp_path, loss, expected):
    records = []

    def objective(R, D, x0, t):      # an error of exactly 2 everywhere
        prediction = R(D(x0, t), t)
        return prediction * 0 + 3, torch.ones_like(prediction)

    run = trainer(tmp_path, 4, loss=loss, log_every=2, sample_every=0)
    run.objective = objective
    run._log = records.append
    run.train()
    assert [r["loss"] for r in records if "loss" in r] == [expected, expected]  # window means


def test_each_epoch_visits_every_image_once_in_a_new_random_order(tmp_path):
    count = 96
    images = torch.arange(count, dtype=torch.float32).view(count, 1, 1, 1).expand(count, 1, 16, 16)
    run = Trainer(UNet.preset("tiny", in_channels=1), degrade.GaussianBlurSchedule.constant(
        3, 5, 1.0), TensorImages(images.clone()), tmp_path,
        TrainConfig(batch_size=8, progress=False, device="cpu"))
    batches = run._batches()
    epochs = [torch.cat([next(batches)[:, 0, 0, 0] for _ in range(count // 8)]).long()
              for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(count))
        assert order.tolist() != list(range(count))
    assert epochs[0].tolist() != epochs[1].tolist()


def test_the_average_is_updated_every_ema_every_steps(tmp_path, monkeypatch):
    from restore.ema import EMA

    steps = []
    original = EMA.update
    monkeypatch.setattr(EMA, "update", lambda self, model, step: (steps.append(step),
                                                                   original(self, model, step)))
    trainer(tmp_path, 7, ema_every=3, sample_every=0).train()
    assert steps == [3, 6]


def test_settings_by_name_memory_format_and_the_run_written_beside(tmp_path):
    config = TrainConfig(steps=1, batch_size=8, progress=False, device="cpu", sample_every=0,
                         channels_last=False)
    run = Trainer(model=UNet.preset("tiny", in_channels=1),
                  D=degrade.GaussianBlurSchedule.constant(3, 5, 1.0),
                  dataset=TensorImages(blobs()), out_dir=tmp_path / "a" / "b", config=config,
                  run={"note": "a run"})
    assert run.memory_format == torch.contiguous_format
    run.train()
    assert json.loads((tmp_path / "a" / "b" / "config.json").read_text()) == {"note": "a run"}
    for setting in (True, "auto"):
        made = trainer(tmp_path / str(setting), 1, channels_last=setting)
        assert made.memory_format == torch.channels_last


def test_a_signal_logs_the_step_it_stopped_at(tmp_path):
    import os
    import signal

    from restore.signals import Interrupted

    records, calls = [], []

    def objective(R, D, x0, t):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return R(D(x0, t), t), x0

    run = trainer(tmp_path, 10, log_every=100, sample_every=0)
    run.objective = objective
    run._log = records.append
    with pytest.raises(Interrupted):
        run.train()
    assert [r["step"] for r in records if "loss" in r] == [2]


def test_the_average_is_frozen_copies_buffers_and_refuses_a_decay_of_one():
    from restore import EMA

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    with pytest.raises(ValueError, match="decay"):
        EMA(model, decay=1.0)
    ema = EMA(model, decay=0.5, start=0)
    assert not any(p.requires_grad for p in ema.model.parameters())
    model.train()
    model(torch.randn(8, 2))                  # moves the batch-norm running statistics
    ema.update(model, step=1)
    for a, b in zip(ema.model.buffers(), model.buffers(), strict=True):
        assert torch.equal(a, b)
