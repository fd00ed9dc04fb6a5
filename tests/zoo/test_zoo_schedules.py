"""zoo.schedule: every named schedule builds the paper's operator; the records are data."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import zoo
from degrade import testing

NAMES = [s.name for s in zoo.list_schedules()]
ISSUE_NAMES = {
    "mnist-blur", "cifar10-blur", "celeba-blur", "celeba-blur-gen", "afhq-blur-gen",
    "mnist-inpaint", "cifar10-inpaint", "celeba-inpaint", "celeba-inpaint-gen", "mnist-sr",
    "cifar10-sr", "celeba-sr", "cifar10-snow", "celeba-snow", "cifar10-color", "celeba-color",
    "celeba-animorph", "mnist-blur-gen",
}


POOLED = {"celeba-animorph", "celeba64-animorph"}
"""Schedules that mix with a pool of images: the tests give them a small pool of their own
(celeba64-animorph's recorded pool, the AFHQ cats, is read from the data files)."""


def build(name):
    """The schedule's operator, with a pool of 4 random images where it mixes with one."""
    if name in POOLED:
        size = zoo.named_schedule(name).image_size
        return zoo.schedule(name, pool=torch.rand(4, 3, size, size) * 2 - 1)
    return zoo.schedule(name)


def small_image(schedule, batch=2, seed=0):
    """Images the schedule accepts; 32 px where the operator allows it, to keep tests quick."""
    size = schedule.image_size if schedule.operator == "SuperResolutionSchedule" else 32
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, schedule.channels, size, size, generator=g) * 2 - 1


def test_every_schedule_of_the_issue_is_named():
    assert set(NAMES) >= ISSUE_NAMES


@pytest.mark.parametrize("name", NAMES)
def test_schedule_builds_with_its_recorded_T(name):
    record = zoo.named_schedule(name)
    D = build(name)
    assert D.num_steps == record.T
    assert type(D).__name__ == record.operator
    assert record.description and record.source and record.differences


@pytest.mark.parametrize("name", NAMES)
def test_schedule_round_trips_through_json(name):
    record = zoo.named_schedule(name)
    assert zoo.NamedSchedule.from_json(record.to_json()) == record


@pytest.mark.parametrize("name", [n for n in NAMES if n not in POOLED])
def test_schedule_passes_the_degrade_checks(name):
    record = zoo.named_schedule(name)
    D = zoo.schedule(name)
    shape = small_image(record).shape
    testing.check_identity(D, shape, max_examples=3)
    testing.check_output_like_input(D, shape, max_examples=3)


def test_animorph_mixes_with_the_given_pool():
    pool = torch.rand(4, 3, 32, 32) * 2 - 1
    D = zoo.schedule("celeba-animorph", pool=pool)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(D(x, 0, **params), x)
    end = D(x, D.T, **params)
    assert torch.allclose(end, params["z"], atol=1e-3)


def _has(name: str) -> bool:
    from restore.data import FILES, data_path

    try:
        data_path(FILES[name])
    except FileNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _has("afhq"), reason="needs afhq_cat64.npz ($COLDDIFF_DATA or "
                    "../shared/data)")
def test_animorphosis_at_64_px_mixes_faces_with_the_training_cats():
    """Issue 28, section 5.3: the recorded pool is a reference to the AFHQ training cats,
    read from the data files when the schedule is built."""
    from restore import data

    D = zoo.schedule("celeba64-animorph")
    cats = data.load("afhq", "train")
    assert D.pool.shape == (len(cats), 3, 64, 64)
    assert torch.equal(D.pool[7], cats[7])
    assert zoo.schedule("celeba64-animorph") is not D and \
        zoo.schedule("celeba64-animorph").pool is D.pool          # read once
    with pytest.raises(ValueError, match="a reference to images is"):
        zoo.schedules.reference_images({"images": "afhq", "extra": 1}, 64)


def test_a_model_on_a_pooled_schedule_loads_without_the_data_files(tmp_path, monkeypatch):
    """A user with the zoo but not the AFHQ file still loads and generates from the model's
    own prior (walking back reads ``z`` from ``x_T``); only ``D(x0, t)`` without ``z`` is
    refused, and the warning at load says which file is missing. A file that is missing for
    a schedule that draws from no data set is still an error."""
    from zoo import folders

    monkeypatch.setenv("COLDDIFF_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(zoo.schedules, "_images", zoo.schedules._images.__wrapped__)  # no cache
    entry = {"name": "faces-from-cats", "degradation": {
        "factory": "zoo:schedule", "arguments": {"name": "celeba64-animorph"}}}
    with pytest.warns(UserWarning, match="afhq_cat64.npz not found.*Loaded without those "
                      "images \\(pool\\)"):
        D = folders.build_degradation(entry)
    assert D.pool is None and D.T == 200
    x0, z = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    assert torch.allclose(D(x0, D.T, z=z), z, atol=1e-3)
    with pytest.raises(TypeError, match="random parameters"):
        D(x0, 5)
    walk = zoo.sampling.walking_back(D, z, torch.zeros_like(z))
    assert torch.equal(walk(x0, 5), D(x0, 5, z=z))
    given = {**entry["degradation"]["arguments"], "pool": z}
    assert folders.build_degradation({**entry, "degradation": {
        "factory": "zoo:schedule", "arguments": given}}).pool is z
    def missing(name):
        raise FileNotFoundError(tmp_path / "missing.npz")

    monkeypatch.setattr(zoo.schedules, "named_schedule", missing)
    with pytest.raises(FileNotFoundError, match=r"missing\.npz"):
        folders.build_degradation({**entry, "degradation": {
            "factory": "zoo:schedule", "arguments": {"name": "cifar10-blur"}}})


def test_inpainting_generation_at_64_px_masks_as_the_paper_does_at_128():
    """The 64-px fade covers the same share of the face at every step as the 128-px one."""
    small, large = zoo.schedule("celeba64-inpaint-gen"), zoo.schedule("celeba-inpaint-gen")
    assert small.T == large.T == 750
    x = torch.ones(1, 3, 64, 64)
    for t in (1, 10, 50, 200, 750):
        kept = [float(D(torch.ones(1, 3, n, n), t, color=torch.full((1, 3), -1.0)).gt(0)
                      .float().mean()) for D, n in ((small, 64), (large, 128))]
        assert kept[0] == pytest.approx(kept[1], abs=0.02), t
    colour = torch.tensor([[0.2, -0.5, 0.9]])
    assert torch.allclose(small(x, 750, color=colour), colour.view(1, 3, 1, 1).expand_as(x))


def test_super_resolution_generation_at_64_px_ends_at_2x2():
    D = zoo.schedule("celeba64-sr-gen")
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    end = D(x, D.T)
    blocks = torch.nn.functional.adaptive_avg_pool2d(x, 2)
    assert torch.allclose(end, torch.nn.functional.interpolate(blocks, size=64), atol=1e-6)
    assert zoo.named_schedule("celeba64-sr-gen").prior == {
        "class": "DownsampledPrior", "arguments": {"final_size": 2}, "fit_on": "training"}


def test_paper_values():
    assert zoo.schedule("mnist-blur").sigmas.eq(7).all()
    assert zoo.schedule("mnist-blur", "text").T == 40
    cifar = zoo.schedule("cifar10-blur").sigmas
    assert cifar[0].item() == pytest.approx(0.36) and cifar[-1].item() == pytest.approx(0.85)
    assert zoo.schedule("cifar10-blur", "code").sigmas[0].item() == pytest.approx(0.35)
    gen = zoo.schedule("celeba-blur-gen")
    assert gen.kernel_size == 27 and gen.padding == "circular" and gen.to_mean
    assert gen.sigmas[0].item() == pytest.approx(math.exp(0.01))
    assert zoo.schedule("celeba-blur-gen", "code").sigmas[0].item() == pytest.approx(1.0)
    assert zoo.schedule("celeba-blur").padding == "reflect"
    betas = zoo.schedule("mnist-inpaint").betas  # standard deviations 0.1 (i + 11), squared
    assert betas[0].item() == pytest.approx(1.1**2) and betas[1].item() == pytest.approx(1.44)
    betas = zoo.schedule("celeba-inpaint").betas
    assert betas[0].item() == 1 and betas[1].item() == pytest.approx(1.1)
    assert zoo.schedule("mnist-inpaint").center == "random"
    assert zoo.schedule("celeba-inpaint").center == "middle"
    assert zoo.schedule("mnist-sr").T == 3 and zoo.schedule("celeba-sr").T == 6
    assert zoo.schedule("celeba-sr", "64px").T == 5
    assert zoo.schedule("celeba-snow").threshold == (1.15, 0.55)
    assert zoo.schedule("cifar10-color").T == 50 and zoo.schedule("celeba-color").T == 20


@pytest.mark.parametrize("name", ["cifar10-blur-indi", "cifar10-sr-indi"])
def test_indi_schedules_walk_straight_to_the_restorers_observation(name):
    D, observation = zoo.schedule(name), zoo.schedule(name.removesuffix("-indi"))
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = observation(x, observation.T)
    assert D.T == 100 and torch.allclose(D(x, D.T), y)
    assert torch.allclose(D(x, 25), 0.75 * x + 0.25 * y, atol=1e-6)
    assert zoo.schedule(name, "noisy").param_names == ("noise",)


def test_a_schedule_refers_to_another_by_name_not_to_itself():
    record = zoo.named_schedule("cifar10-blur-indi")
    code = record.build(endpoint={"schedule": "cifar10-blur", "variant": "code"})
    assert code.endpoint.sigmas[0].item() == pytest.approx(0.35)
    with pytest.raises(ValueError, match="refers to itself"):
        record.build(endpoint={"schedule": "cifar10-blur-indi"})
    with pytest.raises(KeyError, match="no schedule named 'cifar-blur'"):
        record.build(endpoint={"schedule": "cifar-blur"})


def test_generation_blur_ends_at_the_channel_mean():
    D = zoo.schedule("mnist-blur-gen")
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    end = D(x, D.T)
    assert torch.allclose(end, x.mean(dim=(-2, -1), keepdim=True).expand_as(x), atol=1e-6)


def test_bad_names_are_refused_clearly():
    with pytest.raises(KeyError, match="did you mean mnist-blur"):
        zoo.schedule("mnist-blurr")
    with pytest.raises(ValueError, match=r"no variant 'code'.*variants: text"):
        zoo.schedule("mnist-blur", "code")


@given(name=st.sampled_from([n for n in NAMES if n not in POOLED]),
       fraction=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_property_any_step_keeps_shape_and_is_finite(name, fraction, seed):
    record = zoo.named_schedule(name)
    D = zoo.schedule(name)
    x = small_image(record, seed=seed)
    t = round(fraction * D.T)
    params = D.sample_params(x, generator=torch.Generator().manual_seed(seed))
    out = D(x, t, **params)
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_inpainting_generation_ends_at_the_solid_colour():
    D = zoo.schedule("celeba-inpaint-gen")
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    colour = params["color"].view(2, 3, 1, 1).expand_as(x)
    assert torch.allclose(D(x, D.T, **params), colour, atol=1e-6)


def test_inpainting_follows_the_code_and_the_text_is_a_variant():
    """Issue 14: the named inpainting schedules build the masks of the paper's code; variant
    "text" (another constructor, with its own arguments only) gives the text's reading."""
    import degrade

    for name in ("mnist-inpaint", "cifar10-inpaint"):
        D = zoo.schedule(name)
        expected = degrade.GaussianMaskSchedule.paper_code(50)
        assert torch.equal(D.betas, expected.betas)
        assert (D.center_from, D.bits) == (-1, 8)
        text = zoo.schedule(name, variant="text")
        assert torch.equal(text.betas, degrade.GaussianMaskSchedule.linear(50, 1.0, 0.1).betas)
        assert (text.center_from, text.bits) == (0, None)
        assert "text" in zoo.named_schedule(name).differences


def test_a_zoo_model_degrades_with_the_variant_it_was_trained_on():
    model = zoo.load("mnist-inpaint")
    run = zoo.run_config_of("mnist-inpaint")
    variant = run.degradation.arguments.get("variant")
    assert torch.equal(model.D.betas, zoo.schedule("mnist-inpaint", variant=variant).betas)


@pytest.mark.parametrize("name", NAMES)
def test_every_recipe_makes_a_valid_run(name):
    """Each schedule's run under each recipe builds, and its per-recipe changes name only known
    recipes and land in the run."""
    from restore.recipes import RECIPES

    schedule = zoo.named_schedule(name)
    assert set(schedule.recipes) <= set(RECIPES)
    for recipe in RECIPES:
        values = schedule.run_config(recipe=recipe).to_dict()
        for key, change in schedule.recipes.get(recipe, {}).items():
            expected = {**values[key], **change} if isinstance(change, dict) else change
            assert values[key] == expected, (recipe, key)


def test_inpainting_on_a_cpu_trains_on_the_walk_and_the_paper_recipe_does_not():
    """The inpainting schedules' cpu recipe trains x0-walk at share 1 with the cpu recipe's
    loss (docs/restore.md); the paper's recipe and the other schedules keep section 3.1."""
    for name in ("mnist-inpaint", "cifar10-inpaint", "celeba64-inpaint"):
        cpu = zoo.named_schedule(name).run_config(recipe="cpu")
        assert (cpu.objective, cpu.walk_share, cpu.train.loss) == ("x0-walk", 1.0, "l2")
        paper = zoo.named_schedule(name).run_config(recipe="paper")
        assert (paper.objective, paper.train.loss) == ("x0", "l1")
    assert zoo.named_schedule("cifar10-blur").run_config(recipe="cpu").objective == "x0"


def test_a_schedules_recipe_changes_sections_and_fields():
    import dataclasses

    schedule = dataclasses.replace(
        zoo.named_schedule("mnist-blur"),
        recipes={"cpu": {"train": {"steps": 7}, "objective": "x0-walk"}})
    cpu = schedule.run_config(recipe="cpu")
    assert (cpu.train.steps, cpu.train.lr, cpu.objective) == (7, 2e-3, "x0-walk")
    assert schedule.run_config(recipe="paper").train.steps == 700_000
    bad = dataclasses.replace(schedule, recipes={"cpu": {"objectiv": "x0"}})
    with pytest.raises(ValueError, match="objectiv"):
        bad.run_config(recipe="cpu")


def test_the_former_names_of_the_records_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match="zoo.named_schedule"):
        former = zoo.get_schedule("mnist-blur")
    assert former == zoo.named_schedule("mnist-blur")
    with pytest.warns(DeprecationWarning, match="NamedSchedule"):
        assert zoo.Schedule is zoo.NamedSchedule
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        zoo.nothing  # noqa: B018


@pytest.mark.parametrize("name, kind, fitted_on", [
    ("celeba64-sr-gen", "DownsampledPrior", "the 40 training images"),
    ("celeba64-inpaint-gen", "SolidColorPrior", None),     # only the shape: not fitted
    ("celeba64-hot-gen", "WhiteNoisePrior", None),
    ("celeba64-animorph", "ImagePoolPrior", "the 6 afhq test images"),
    ("celeba64-blur-gen", "ChannelMeanPrior", "the 40 training images (their means)"),
])
def test_a_generator_gets_the_prior_its_schedule_names(monkeypatch, name, kind, fitted_on):
    """Section 5.3: x_T is a solid colour, a 2x2 image or a cat, not the channel means."""
    import samplers
    from zoo import export, schedules

    faces = torch.rand(40, 3, 64, 64) * 2 - 1
    cats = torch.rand(6, 3, 64, 64) * 2 - 1
    monkeypatch.setattr(export, "training_images", lambda entry: faces)
    monkeypatch.setattr(schedules, "_images", lambda data, split, size: cats)
    entry = {"name": "m", "schedule": name, "objective": "x0",
             "data": {"image_size": 64, "channels": 3, "dataset": "celeba"}}
    prior, record = export.fit_prior(entry, build(name))
    assert type(prior).__name__ == record["class"] == kind
    assert record["fitted_on"] == fitted_on
    assert record["noise_std"] == (0.002 if kind == "ChannelMeanPrior" else 0.0)
    x_T = prior.sample(3, generator=torch.Generator().manual_seed(0))
    assert x_T.shape == (3, 3, 64, 64)
    if kind == "ImagePoolPrior":
        assert all(any(torch.equal(x, c) for c in cats) for x in x_T)
    if kind == "DownsampledPrior":
        assert torch.allclose(x_T, build(name)(x_T, 5), atol=1e-6)   # at 2x2: D(x_T, T) = x_T
    again = samplers.Prior.from_state(record["class"], prior.state_dict(), record["arguments"])
    assert torch.equal(again.sample(3, generator=torch.Generator().manual_seed(0)), x_T)


@pytest.mark.parametrize("name", ["celeba64-animorph", "celeba64-inpaint-gen", "celeba64-sr-gen",
                                  "celeba64-heat-gen", "celeba64-blur-gen"])
def test_tacos_with_a_true_restorer_walks_from_the_prior_draw_to_the_image(name):
    """What a generator walks back with (zoo.sampling.walking_back): from x_T + noise, with
    an oracle R = x0, TACoS ends at x0 but for the little that D(x0, T) does not account for
    (section 5.3's cats and colours are bound from x_T; the heat schedule carries the noise).
    Without binding, the mixing and fading operators could not be called at all."""
    from zoo.sampling import walking_back

    import samplers

    record = zoo.named_schedule(name)
    D = build(name) if name in POOLED else zoo.schedule(name)
    x0 = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    end = {"celeba64-animorph": torch.rand(2, 3, 64, 64) * 2 - 1,
           "celeba64-inpaint-gen": (torch.rand(2, 3, 1, 1) * 2 - 1).expand(2, 3, 64, 64)}
    x_T = end.get(name)
    if x_T is None:
        x_T = D(x0, D.T, **({"noise": torch.zeros_like(x0)} if name.endswith("heat-gen")
                            else {}))
    noise = 0.01 * torch.randn(x_T.shape, generator=torch.Generator().manual_seed(2))
    walking = walking_back(D, x_T, noise)
    restored = samplers.tacos(lambda x, t: x0, walking, x_T + noise, record.T)
    # TACoS keeps x_s - D(x0, s) as it found it at T: the symmetry-breaking noise where the
    # operator does not carry it, what the mix keeps of x0 (sqrt(abar_T) = 0.0016).
    left = x_T + noise - walking(x0, record.T)
    assert left.abs().max() < 0.06
    assert torch.allclose(restored, x0 + left, atol=1e-4)
