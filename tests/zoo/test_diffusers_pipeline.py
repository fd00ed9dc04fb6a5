"""zoo.diffusers_pipeline: ColdDiffusionPipeline saves, loads and samples as the zoo does
(issue 30, item 6)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

diffusers = pytest.importorskip("diffusers")

from tiny_diffusers import tiny_unet  # noqa: E402
from zoo.diffusers_pipeline import (  # noqa: E402
    ColdDiffusionPipeline,
    DiffusersModel,
    DiffusersPrior,
)
from zoo.diffusers_scheduler import ColdDiffusionScheduler  # noqa: E402

import samplers  # noqa: E402
import zoo  # noqa: E402
from restore import UNet  # noqa: E402
from samplers import ChannelMeanPrior  # noqa: E402


def quiet(pipeline):
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def seeded(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(("name", "noise_std"), [
    ("mnist-blur-gen", None), ("mnist-blur-gen", 0.0), ("mnist-blur-gen", 0.05),
    ("mnist-heat-gen", None), ("mnist-heat-gen", 0.0)])
def test_generation_is_the_zoo_models(name, noise_std):
    """The same seed gives the zoo model's samples: the prior's draw, its noise, and (for heat
    dissipation, whose operator has a noise term) the noise carried through TACoS."""
    pipeline = quiet(ColdDiffusionPipeline.from_zoo(name))
    out = pipeline(batch_size=2, generator=seeded(5), noise_std=noise_std, output_type="pt")
    expected = zoo.load(name).generate(2, seed=5, noise_std=noise_std)
    assert torch.allclose(out.images, expected, atol=1e-5)


def test_the_pipeline_saves_and_loads_with_its_prior(tmp_path):
    pipeline = quiet(ColdDiffusionPipeline.from_zoo("mnist-blur-gen"))
    pipeline.save_pretrained(tmp_path)
    for part in ("model_index.json", "unet/config.json", "scheduler/scheduler_config.json",
                 "prior/config.json"):
        assert (tmp_path / part).is_file(), part
    assert list((tmp_path / "unet").glob("*.safetensors"))
    loaded = quiet(ColdDiffusionPipeline.from_pretrained(tmp_path))
    assert isinstance(loaded.unet, DiffusersModel) and isinstance(loaded.prior, DiffusersPrior)
    assert loaded.unet.config.num_steps == 20 and loaded.unet.config.in_channels == 1
    assert loaded.prior.config.noise_std == pipeline.prior.config.noise_std
    for part in ("unet", "prior"):
        saved, back = getattr(pipeline, part).state_dict(), getattr(loaded, part).state_dict()
        assert saved.keys() == back.keys()
        assert all(torch.equal(saved[k], back[k]) for k in saved)
    pipeline.unet.to(memory_format=torch.contiguous_format)  # the zoo's is channels-last
    a = pipeline(batch_size=2, generator=seeded(1), output_type="pt").images
    b = loaded(batch_size=2, generator=seeded(1), output_type="pt").images
    assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize(("t", "steps"), [(None, None), (12, 5)])
def test_restoration_is_the_zoo_models(t, steps):
    pipeline = quiet(ColdDiffusionPipeline.from_zoo("mnist-blur"))
    model = zoo.load("mnist-blur")
    x0 = zoo.sample_images("mnist", 3)
    x_t = model.D(x0, t or model.T)
    out = pipeline(image=x_t, timestep=t, num_inference_steps=steps, output_type="pt").images
    assert torch.allclose(out, model.restore(x_t, t, steps=steps), atol=1e-5)


def test_random_masks_restore_with_the_draw_add_noise_fixed():
    pipeline = quiet(ColdDiffusionPipeline.from_zoo("mnist-inpaint"))
    x0 = zoo.sample_images("mnist", 2)
    x_T = pipeline.scheduler.add_noise(x0, generator=seeded(0))
    out = pipeline(image=x_T, output_type="pt").images
    expected = zoo.load("mnist-inpaint").restore(x_T, D=pipeline.scheduler.bound)
    assert torch.allclose(out, expected, atol=1e-5)


def test_a_diffusers_unet_runs_saves_and_loads_in_the_pipeline(tmp_path):
    unet = tiny_unet(diffusers)
    scheduler = ColdDiffusionScheduler(degradation_arguments={"name": "mnist-blur"})
    pipeline = quiet(ColdDiffusionPipeline(unet=unet, scheduler=scheduler))
    x0 = zoo.sample_images("mnist", 2)
    x_T = scheduler.add_noise(x0)
    out = pipeline(image=x_T, num_inference_steps=7, output_type="pt").images

    def R(x, s):
        return unet(x, s).sample

    expected = samplers.tacos(R, zoo.schedule("mnist-blur"), x_T, 20,
                              steps=samplers.spaced_steps(20, 7))
    assert torch.allclose(out, expected, atol=1e-6)
    pipeline.save_pretrained(tmp_path)
    loaded = quiet(ColdDiffusionPipeline.from_pretrained(tmp_path))
    assert isinstance(loaded.unet, diffusers.UNet2DModel) and loaded.prior is None
    again = loaded(image=x_T, num_inference_steps=7, output_type="pt").images
    assert torch.allclose(again, out, atol=1e-6)


def test_diffusers_own_pipelines_read_the_models_config(tmp_path):
    """DDIMPipeline reads unet.config.in_channels and sample_size: the wrapper has them (it
    once failed with "'DiffusersModel' object has no attribute 'config'")."""
    model = DiffusersModel.from_unet(UNet.preset("tiny", in_channels=1), num_steps=20,
                                     sample_size=32).eval()
    scheduler = diffusers.DDIMScheduler(num_train_timesteps=20, prediction_type="sample")
    ddim = diffusers.DDIMPipeline(unet=model, scheduler=scheduler)
    ddim.set_progress_bar_config(disable=True)
    images = ddim(batch_size=2, num_inference_steps=4, generator=seeded(0),
                  output_type="np").images
    assert images.shape == (2, 32, 32, 1)
    model.save_pretrained(tmp_path)
    loaded = DiffusersModel.from_pretrained(tmp_path).eval()
    x = torch.randn(2, 1, 32, 32)
    assert torch.equal(loaded(x, 5).sample, model(x, 5).sample)
    assert loaded.config.out_channels == 1 and loaded.config.channel_mults == [1, 2]


def test_output_types():
    pipeline = quiet(ColdDiffusionPipeline.from_zoo("mnist-blur-gen"))
    pt = pipeline(batch_size=2, generator=seeded(0), output_type="pt").images
    array = pipeline(batch_size=2, generator=seeded(0), output_type="np").images
    assert array.shape == (2, 32, 32, 1) and array.min() >= 0 and array.max() <= 1
    assert torch.allclose(torch.from_numpy(array).permute(0, 3, 1, 2),
                          (pt / 2 + 0.5).clamp(0, 1), atol=1e-6)
    pil = pipeline(batch_size=2, generator=seeded(0)).images
    assert len(pil) == 2 and pil[0].size == (32, 32)
    images, = pipeline(batch_size=1, generator=seeded(0), output_type="pt", return_dict=False)
    assert images.shape == (1, 1, 32, 32)


def test_misuse_is_refused_in_one_line():
    restorer = quiet(ColdDiffusionPipeline.from_zoo("mnist-blur"))
    with pytest.raises(ValueError, match="no prior to generate from"):
        restorer(batch_size=2)
    x = torch.zeros(1, 1, 32, 32)
    with pytest.raises(ValueError, match="output_type must be one of"):
        restorer(image=x, output_type="latent")
    with pytest.raises(ValueError, match=r"timestep must be in 1\.\.20"):
        restorer(image=x, timestep=21)
    with pytest.raises(ValueError, match="num_inference_steps must be from 1 to 5"):
        restorer(image=x, timestep=5, num_inference_steps=6)
    with pytest.raises(ValueError, match="noise_std applies to generation"):
        restorer(image=x, noise_std=0.1)
    with pytest.raises(TypeError, match="must be a ColdDiffusionScheduler"):
        ColdDiffusionPipeline(unet=restorer.unet, scheduler=diffusers.DDIMScheduler())
    with pytest.raises(ValueError, match="predicts x0"):
        ColdDiffusionPipeline.from_zoo("mnist-blur-diffusion")
    with pytest.raises(TypeError, match=r"wraps a restore\.UNet"):
        DiffusersModel.from_unet(torch.nn.Identity(), num_steps=3, sample_size=32)
    with pytest.raises(ValueError, match=r"timestep must be in 0\.\.20"):
        restorer.unet(x, 21)
    generator = quiet(ColdDiffusionPipeline.from_zoo("mnist-blur-gen"))
    with pytest.raises(ValueError, match="batch_size"):
        generator(batch_size=0)
    with pytest.raises(ValueError, match="noise_std"):
        generator(batch_size=1, noise_std=-1.0)
    inpaint = ColdDiffusionScheduler(degradation_arguments={"name": "mnist-inpaint"})
    with pytest.raises(ValueError, match="does not fix"):
        inpaint.carry(torch.zeros(1, 1, 32, 32))


def test_timesteps_per_image_reach_the_network():
    torch.manual_seed(0)
    model = DiffusersModel.from_unet(UNet.preset("tiny", in_channels=1), num_steps=20,
                                     sample_size=32).eval()
    x = torch.randn(2, 1, 32, 32, generator=seeded(1))
    with torch.no_grad():
        both = model(x, torch.tensor([3, 9])).sample
        alone = [model(x[:1], 3).sample[0], model(x[1:], 9).sample[0]]
        wrong = model(x[1:], 3).sample[0]
    # a batch of two and a batch of one round differently (1e-6 apart on some CPUs)
    assert torch.allclose(both[0], alone[0], atol=1e-4)
    assert torch.allclose(both[1], alone[1], atol=1e-4)
    assert not torch.allclose(both[1], wrong, atol=1e-4)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(components=st.integers(1, 3), seed=st.integers(0, 2**31 - 1),
       noise_std=st.sampled_from([0.0, 0.002, 0.1]))
def test_a_prior_component_draws_what_its_prior_draws(components, seed, noise_std):
    images = torch.rand(40, 3, 8, 8, generator=seeded(seed)) * 2 - 1
    fitted = ChannelMeanPrior(components).fit(images, generator=seeded(seed))
    component = DiffusersPrior.from_prior(fitted, noise_std=noise_std)
    assert component.config.noise_std == noise_std
    assert torch.equal(component(5, seeded(seed)), fitted.sample(5, generator=seeded(seed),
                                                                 noise_std=0.0))
