"""Configurations are data: a degradation factory that is neither one of degrade's operators nor
a registered or installed factory is refused before anything is imported, wherever a
configuration is read (a run's config.json through both commands, the diffusers scheduler's
config, a model folder's config.json)."""

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restore import DegradationSpec, RunConfig, degradations, register_degradation

CANARY = "colddiff_canary_module"

HOSTILE = [
    "subprocess:run", "os:system", "builtins:exec", "builtins:eval", "importlib:import_module",
    f"{CANARY}:anything", "degrade.testing:check_degradation", "degrade:__init__",
    "degrade:GaussianBlurSchedule.__init__", "degrade:GaussianBlurSchedule.__call__",
    "degrade:GaussianBlurSchedule.__class__", "degrade:GaussianBlurSchedule.forward",
    "degrade:GaussianBlurSchedule._sample", "degrade:testing", "degrade:torch",
    "degrade:GaussianBlurSchedule.constant.__globals__", "zoo.maintain.export:main",
    "restore.run:train", "zoo:load", "zoo", "schedule ", " zoo:schedule", "degrade:",
    "restore.degradations:register", "", "pickle:loads",
]


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A module that leaves a file behind if anything imports it."""
    witness = tmp_path / "imported"
    (tmp_path / f"{CANARY}.py").write_text(
        f"open({str(witness)!r}, 'w').close()\ndef anything(**kw):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return witness


@pytest.mark.parametrize("factory", HOSTILE)
def test_a_hostile_factory_is_refused_before_any_import(factory, canary):
    before = set(sys.modules)
    with pytest.raises(ValueError) as caught:
        DegradationSpec(factory, {"args": ["touch", str(canary)]}).build()
    assert len(str(caught.value).splitlines()) == 1
    assert not canary.exists()
    assert not {name for name in set(sys.modules) - before if not name.startswith("degrade")}


@pytest.mark.parametrize("factory", ["subprocess:run", f"{CANARY}:anything"])
def test_loading_a_run_configuration_refuses_it(factory, tmp_path, canary):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"degradation": {"factory": factory,
                                                "arguments": {"args": ["touch", str(canary)]}}}))
    with pytest.raises(ValueError, match="not a known operator"):
        RunConfig.load(path)
    assert not canary.exists()


@pytest.mark.parametrize("command", [["-m", "restore.train"], ["-m", "zoo.cli", "train"]])
def test_both_training_commands_refuse_it_in_a_real_process(command, tmp_path):
    witness = tmp_path / "ran"
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"degradation": {"factory": "subprocess:run", "arguments": {
        "args": ["touch", str(witness)]}}, "data": {"folder": str(tmp_path)}}))
    result = subprocess.run([sys.executable, *command, "--config", str(path), "--out",
                             str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "not a known operator" in result.stderr and "Traceback" not in result.stderr
    assert "register_degradation" in result.stderr
    assert not witness.exists()


def test_the_diffusers_scheduler_config_refuses_it(tmp_path, canary):
    pytest.importorskip("diffusers")
    from zoo.diffusers_scheduler import ColdDiffusionScheduler

    (tmp_path / "scheduler_config.json").write_text(json.dumps({
        "_class_name": "ColdDiffusionScheduler", "degradation": f"{CANARY}:anything",
        "degradation_arguments": {}, "sampler": "tacos"}))
    with pytest.raises(ValueError, match="not a known operator"):
        ColdDiffusionScheduler.from_pretrained(tmp_path)
    assert not canary.exists()


@given(st.text(max_size=40))
def test_property_a_name_is_known_or_refused_in_one_line(name):
    try:
        degradations.check(name)
    except ValueError as error:
        assert len(str(error).splitlines()) == 1
    else:
        assert name in degradations.known() or name.startswith("degrade:")


def test_degrades_operators_and_constructors_build():
    D = DegradationSpec("degrade:GaussianBlurSchedule.constant",
                        {"kernel_size": 3, "num_steps": 4, "sigma": 1.0}).build()
    assert D.num_steps == 4
    assert DegradationSpec("degrade:NoiseSchedule.linear", {"num_steps": 3}).build().T == 3
    with pytest.raises(ValueError, match="no operator 'Degradation'"):
        DegradationSpec("degrade:Degradation", {"num_steps": 3}).build()
    with pytest.raises(ValueError, match="no constructor 'nothing'"):
        DegradationSpec("degrade:GaussianBlurSchedule.nothing", {}).build()
    assert "zoo:schedule" in degradations.known()  # zoo's entry point


def test_a_registered_factory_builds_and_cannot_be_replaced():
    from degrade import GaussianBlurSchedule

    def mine(num_steps):
        return GaussianBlurSchedule.constant(3, num_steps=num_steps, sigma=1.0)

    register_degradation("tests:mine", mine)
    register_degradation("tests:mine", mine)  # the same again is fine
    assert DegradationSpec("tests:mine", {"num_steps": 2}).build().num_steps == 2
    with pytest.raises(ValueError, match="already registered"):
        register_degradation("tests:mine", lambda: None)
    with pytest.raises(ValueError, match="outside 'degrade:'"):
        register_degradation("degrade:Mine", mine)


def test_an_entry_point_is_named_by_its_value_not_its_short_name():
    """zoo declares ``schedule = "zoo:schedule"``: the short name is refused, as ``known()``
    does not list it (hypothesis found ``check`` accepting it)."""
    degradations.check("zoo:schedule")
    with pytest.raises(ValueError, match="not a known operator"):
        degradations.check("schedule")
    assert "schedule" not in degradations.known()
