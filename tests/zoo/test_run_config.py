"""A training run is data: RunConfig round-trips through JSON, every field is an option, the
options change only what they name, and the degradation spec builds the known factories."""

import argparse
import dataclasses
import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from restore.config import SECTIONS
from restore.options import add_run_options, run_config
from restore.recipes import with_recipe

import zoo
from restore import DegradationSpec, RunConfig, TrainConfig


def parser(**options):
    p = argparse.ArgumentParser()
    add_run_options(p, **options)
    return p


def every_field():
    top = [(None, f) for f in dataclasses.fields(RunConfig) if f.name not in SECTIONS]
    return top + [(s, f) for s, kind in SECTIONS.items() for f in dataclasses.fields(kind)]


runs = st.builds(
    RunConfig,
    out=st.one_of(st.none(), st.text(min_size=1, max_size=10)),
    objective=st.sampled_from(["x0", "x0-walk", "noise"]),
    walk_share=st.floats(0, 1),
    degradation=st.builds(DegradationSpec, factory=st.sampled_from(["zoo:schedule", None]),
                          arguments=st.dictionaries(st.sampled_from(["name", "num_steps"]),
                                                    st.integers(1, 50) | st.text(max_size=5))),
    train=st.builds(TrainConfig, steps=st.integers(1, 10**6), lr=st.floats(1e-6, 1.0),
                    batch_size=st.integers(1, 512), seed=st.integers(0, 2**31),
                    channels_last=st.sampled_from([True, False, "auto"]),
                    max_seconds=st.one_of(st.none(), st.floats(1, 1e5))),
)


@given(runs)
def test_property_json_round_trip(config):
    assert RunConfig.from_json(config.to_json()) == config


def test_every_field_is_an_option_and_none_is_defined_twice():
    p = parser()
    flags = [a.option_strings[0] for a in p._actions if a.option_strings and a.dest != "help"]
    assert len(flags) == len(set(flags))
    dests = {a.dest for a in p._actions}
    for section, field in every_field():
        assert (field.name if section is None else f"{section}.{field.name}") in dests


def test_defaults_live_in_the_dataclasses_alone():
    assert run_config(parser().parse_args([])) == RunConfig()
    assert TrainConfig().steps == 700_000 and TrainConfig().lr == 2e-5


def test_options_change_only_what_they_name():
    base = RunConfig(out="a", train=TrainConfig(steps=10, lr=1e-3))
    args = parser().parse_args(["--lr", "0.5", "--ema-decay", "0.9", "--no-progress",
                                "--channels-last", "no", "--width", "16", "--hflip",
                                "--degradation-arg", "name=\"x\"", "--degradation-arg", "n=3"])
    config = run_config(args, base)
    assert config.train.steps == 10 and config.out == "a"
    assert (config.train.lr, config.train.ema_decay, config.train.progress) == (0.5, 0.9, False)
    assert config.train.channels_last is False and config.network.width == 16
    assert config.data.hflip and config.degradation.arguments == {"name": "x", "n": 3}


def test_the_noise_objective_brings_its_loss_unless_one_is_given():
    assert run_config(parser().parse_args(["--objective", "noise"])).train.loss == "l2"
    args = parser().parse_args(["--objective", "noise", "--loss", "l1"])
    assert run_config(args).train.loss == "l1"


def test_skipped_sections_have_no_options():
    dests = {a.dest for a in parser(skip=("degradation",))._actions}
    assert "degradation.factory" not in dests and "train.lr" in dests


@pytest.mark.parametrize("data, message", [
    ({"trian": {}}, "unknown key(s) ['trian']"),
    ({"train": {"steps": 0}}, "steps must be at least 1"),
    ({"train": {"loss": "huber"}}, 'loss must be "l1" or "l2"'),
    ({"train": {"ema_decay": 1.0}}, "ema_decay must be in [0, 1)"),
    ({"objective": "eps"}, "objective must be one of"),
    ({"walk_share": 1.5}, "walk_share must be in [0, 1]"),
    ({"walk_share": float("nan")}, "walk_share must be a finite float, got nan"),
    ({"data": {"name": "mnist", "folder": "x"}}, "not both"),
    ({"network": {"width": 0}}, "width must be at least 1"),
    ([], "JSON object"),
])
def test_bad_configurations_are_refused_by_name(data, message):
    with pytest.raises(ValueError) as error:
        RunConfig.from_dict(data)
    assert message in str(error.value)


def test_the_spec_builds_degrades_operators_and_installed_factories():
    D = DegradationSpec("degrade:GaussianBlurSchedule.constant",
                        {"kernel_size": 3, "num_steps": 4, "sigma": 1.0}).build()
    assert D.num_steps == 4
    assert DegradationSpec("zoo:schedule", {"name": "mnist-blur"}).build().num_steps == 20
    with pytest.raises(ValueError, match="missing 1 required positional argument"):
        DegradationSpec("zoo:schedule", {"nam": "mnist-blur"}).build()
    with pytest.raises(ValueError, match="no degradation"):
        DegradationSpec().build()


def _train_config(*argv):
    """The run ``colddiff train ARGV`` would start, without training."""
    from restore.options import run_config
    from zoo.cli import parser
    from zoo.commands import train

    args = parser().parse_args(["train", *argv])
    return run_config(args, train._base(args))


def test_colddiff_train_uses_the_cpu_recipe_on_a_cpu_and_the_papers_on_request(monkeypatch):
    from restore.recipes import RECIPES

    cpu = _train_config("mnist-blur", "--out", "r")
    for field, value in RECIPES["cpu"]["train"].items():
        assert getattr(cpu.train, field) == value, field
    assert _train_config("mnist-blur", "--recipe", "paper", "--out", "r").train == \
        zoo.named_schedule("mnist-blur").run_config().train
    assert _train_config("mnist-blur", "--lr", "3e-4").train.lr == 3e-4  # options win
    assert cpu.network.width == RECIPES["cpu"]["network"]["width"]
    assert _train_config("mnist-blur", "--width", "24").network.width == 24
    assert _train_config("mnist-blur", "--recipe", "paper").train.loss == "l1"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert _train_config("mnist-blur").train.lr == TrainConfig().lr  # a GPU: the paper's
    assert _train_config("mnist-blur", "--device", "cpu").train.lr == RECIPES["cpu"]["train"]["lr"]
    with pytest.raises(ValueError, match="not both"):
        _train_config("--config", "mnist-blur", "--recipe", "cpu")
    with pytest.raises(ValueError, match="recipe must be one of"):
        with_recipe(RunConfig(), "fast")


def test_colddiff_train_inpaints_on_the_walk_on_a_cpu_unless_told_otherwise():
    run = _train_config("cifar10-inpaint", "--out", "r")
    assert (run.objective, run.walk_share, run.train.loss) == ("x0-walk", 1.0, "l2")
    plain = _train_config("cifar10-inpaint", "--objective", "x0", "--loss", "l2")
    assert (plain.objective, plain.train.loss) == ("x0", "l2")
    assert _train_config("cifar10-inpaint", "--walk-share", "0.5").walk_share == 0.5
    assert _train_config("cifar10-inpaint", "--recipe", "paper").objective == "x0"


@pytest.mark.parametrize("values, message", [
    ({"train": {"steps": float("inf")}}, "train': steps must be a finite int, got inf"),
    ({"train": {"steps": 2.5}}, "steps must be int, got 2.5"),
    ({"train": {"batch_size": 4.0}}, "batch_size must be int"),
    ({"train": {"lr": float("nan")}}, "lr must be a finite float"),
    ({"train": {"seed": True}}, "seed must be int"),
    ({"data": {"hflip": "no"}}, "hflip must be bool, got 'no'"),
    ({"degradation": {"factory": 3}}, "factory must be str or None"),
    ({"degradation": {"arguments": "num_steps=3"}}, "arguments must be dict"),
    ({"walk_share": "half"}, "walk_share must be float"),
])
def test_every_field_is_checked_by_name_and_type_when_read(values, message):
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        RunConfig.from_dict(values)
    assert len(str(caught.value).splitlines()) == 1


def test_colddiff_train_config_takes_a_model_folder_or_its_record(tmp_path):
    """A kept stage of a zoo model, or a user's RUN/model, is a model folder: --config reads
    the run it records, as it does for a zoo name."""
    shipped = zoo.load("mnist-blur")
    folder = shipped.save_pretrained(tmp_path / "stage")
    expected = _train_config("--config", "mnist-blur")
    assert _train_config("--config", str(folder)) == expected
    assert _train_config("--config", str(folder / "config.json")) == expected
    assert _train_config("--config", str(folder), "--steps", "7").train.steps == 7
    run = tmp_path / "run.json"
    expected.save(run)  # a run's own config.json is still read as itself
    assert _train_config("--config", str(run)) == expected
    bare = zoo.load("mnist-blur").entry
    shipped.entry = {key: value for key, value in bare.items() if key != "run"}
    shipped.save_pretrained(tmp_path / "no-run")
    with pytest.raises(ValueError, match="records no run configuration"):
        _train_config("--config", str(tmp_path / "no-run"))
