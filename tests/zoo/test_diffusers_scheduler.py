"""zoo.diffusers_scheduler: cold diffusion in diffusers' loop equals samplers.tacos (issue 15)."""

import pytest
import torch

diffusers = pytest.importorskip("diffusers")

from tiny_diffusers import tiny_unet  # noqa: E402
from zoo.diffusers_scheduler import ColdDiffusionScheduler, pipeline_parts  # noqa: E402

import samplers  # noqa: E402
import zoo  # noqa: E402


def diffusers_loop(unet, scheduler, sample, num_inference_steps):
    """diffusers' usual sampling loop."""
    scheduler.set_timesteps(num_inference_steps)
    with torch.no_grad():
        for t in scheduler.timesteps:
            model_output = unet(sample, t).sample
            sample = scheduler.step(model_output, t, sample).prev_sample
    return sample


@pytest.mark.parametrize("name", ["mnist-blur", "mnist-inpaint"])
@pytest.mark.parametrize("sampler", ["tacos", "naive"])
@pytest.mark.parametrize("count", [None, 7])
def test_diffusers_loop_equals_the_samplers(name, sampler, count):
    unet = tiny_unet(diffusers)
    scheduler = ColdDiffusionScheduler(degradation_arguments={"name": name}, sampler=sampler)
    T = scheduler.num_train_timesteps
    x0 = zoo.sample_images("mnist", 3)
    x_T = scheduler.add_noise(x0, generator=torch.Generator().manual_seed(0))
    ours = diffusers_loop(unet, scheduler, x_T, count or T)

    def R(x, s):
        return unet(x, s).sample

    D = zoo.schedule(name).draw(x0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(D(x0, T), x_T)
    run = {"tacos": samplers.tacos, "naive": samplers.naive}[sampler]
    steps = samplers.spaced_steps(T, count) if count else None
    expected = run(R, D.stepping(), x_T, T, steps=steps)  # quantised masks step plainly
    assert torch.allclose(ours, expected, atol=1e-6)


def test_the_config_saves_and_loads_from_a_local_folder(tmp_path):
    scheduler = ColdDiffusionScheduler(degradation_arguments={"name": "mnist-sr"},
                                       sampler="naive")
    scheduler.save_pretrained(tmp_path)
    loaded = ColdDiffusionScheduler.from_pretrained(tmp_path)
    assert loaded.config.degradation_arguments == {"name": "mnist-sr"}
    assert loaded.config.sampler == "naive" and loaded.num_train_timesteps == 3
    x0 = zoo.sample_images("mnist", 2)
    unet = tiny_unet(diffusers)
    a = diffusers_loop(unet, scheduler, scheduler.add_noise(x0), 3)
    b = diffusers_loop(unet, loaded, loaded.add_noise(x0), 3)
    assert torch.equal(a, b)


def test_a_zoo_model_loads_as_a_model_and_scheduler_pair():
    model, scheduler = pipeline_parts("mnist-blur")
    x0 = zoo.sample_images("mnist", 2)
    x_T = scheduler.add_noise(x0)
    out = diffusers_loop(model, scheduler, x_T, scheduler.num_train_timesteps)
    assert torch.allclose(out, zoo.load("mnist-blur").restore(x_T, sampler="tacos"), atol=1e-5)
    # a model's scheduler builds the degradation its run recorded, and steps as the model does
    model, scheduler = pipeline_parts("mnist-inpaint")
    recorded = zoo.load("mnist-inpaint").entry["run"]["degradation"]["arguments"]
    assert scheduler.config.degradation_arguments == recorded
    x0 = zoo.sample_images("mnist", 2)
    x_T = scheduler.add_noise(x0, generator=torch.Generator().manual_seed(0))
    out = diffusers_loop(model, scheduler, x_T, scheduler.num_train_timesteps)
    expected = zoo.load("mnist-inpaint").restore(x_T, sampler="tacos", D=scheduler.bound)
    assert torch.allclose(out, expected, atol=1e-5)


def test_misuse_is_refused_in_one_line():
    scheduler = ColdDiffusionScheduler(degradation_arguments={"name": "mnist-inpaint"})
    x = torch.zeros(1, 1, 32, 32)
    with pytest.raises(ValueError, match="add_noise"):
        scheduler.step(x, 50, x)
    scheduler.add_noise(x)
    with pytest.raises(ValueError, match="not one of the scheduler's timesteps"):
        scheduler.step(x, 51, x)
    for bad in (0, 51, 2.5):
        with pytest.raises(ValueError, match="num_inference_steps"):
            scheduler.set_timesteps(bad)
    with pytest.raises(ValueError, match="sampler must be"):
        ColdDiffusionScheduler(sampler="ddim")


def test_the_former_module_name_still_imports_with_a_warning():
    import importlib
    import sys

    sys.modules.pop("zoo.schedulers", None)
    with pytest.warns(DeprecationWarning, match="zoo.diffusers_scheduler"):
        former = importlib.import_module("zoo.schedulers")
    from zoo.diffusers_scheduler import ColdDiffusionScheduler

    assert former.ColdDiffusionScheduler is ColdDiffusionScheduler


def test_step_checks_what_the_samplers_check():
    model, scheduler = pipeline_parts("mnist-blur")
    x0 = zoo.sample_images("mnist", 2)
    sample = scheduler.add_noise(x0)
    scheduler.set_timesteps(5)
    t = int(scheduler.timesteps[0])
    with pytest.raises(ValueError, match="nothing is broadcast"):
        scheduler.step(x0[:1], t, sample)
    with pytest.raises(ValueError, match="the sample holds NaN"):
        scheduler.step(x0, t, torch.full_like(sample, float("nan")))
    with pytest.raises(FloatingPointError, match="model_output holds NaN"):
        scheduler.step(torch.full_like(x0, float("inf")), t, sample)
    with pytest.raises(ValueError, match=r"whole number, got 20\.7"):
        scheduler.step(x0, 20.7, sample)
    for bad in (-3, 10**6):
        with pytest.raises(ValueError, match=r"timestep must be in 0\.\.20"):
            model(sample, bad)
    assert scheduler.step(x0, torch.tensor(t), sample).prev_sample.shape == sample.shape
