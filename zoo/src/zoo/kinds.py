"""The kinds of zoo model, one class each, with the same few verbs.

* :class:`Restorer`: a restorer ``R(x_t, t) ~ x0`` for a cold degradation (Bansal et al., 2022,
  "Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392,
  section 3): :meth:`~Restorer.restore` by a cold sampler.
* :class:`Generator`: a restorer with a prior over ``x_T`` (section 5.2):
  :meth:`~Generator.generate` draws ``x_T`` and restores it; on Gaussian noise
  (``degrade.NoiseSchedule`` from white noise) it is Table 5's hot baseline, a restorer of the
  clean image with fixed or estimated noise.
* :class:`WarmGenerator`: a network ``R(x_s, s) ~ x_{s-1}`` with a prior over ``x_T``
  (inverse heat dissipation, Rissanen et al., 2023): :meth:`~WarmGenerator.generate` walks back
  one step at a time with fresh noise.
* :class:`SoftGenerator`: a restorer trained by soft score matching with a prior over ``x_T``
  (soft diffusion, Daras et al., 2022): :meth:`~SoftGenerator.generate` walks back with the
  Momentum Sampler.
* :class:`DiffusionModel`: a noise predictor ``eps(x_i, i)`` of blur diffusion (Lee et al.,
  2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine Image Synthesis",
  arXiv:2207.11192): :meth:`~DiffusionModel.generate` denoises ``N(0, I)``.

Every kind also says how the paper's tables measure it (:meth:`Pretrained.evaluation_batches`,
:attr:`Pretrained.paired`), so that :func:`zoo.evaluate` and the command line need no branch
on the kind. :data:`CLASSES` maps the ``kind`` a model's record names (:mod:`zoo.folders`) to
its class.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import torch
from restore.objectives import WARM_SAMPLING_NOISE
from samplers.validation import check_count, check_noise_std, check_start
from torch import Tensor

import samplers
from degrade import BoundDegradation, Degradation, DirectIteration, NoiseSchedule

from . import sampling
from .export import DEFAULT_NOISE_STD
from .images import tile
from .model import Figure, Pretrained
from .samples import sample_images


class Restorer(Pretrained):
    """A restorer ``R(x_t, t) ~ x0``; Tables 1-4 and 6 of the paper measure it."""

    def describe(self) -> str:
        return "restoration model"

    def restore(self, x_t: Tensor, t: int | None = None, *, sampler: str = "tacos",
                D: Any = None, steps: int | None = None, progress: bool = False,
                generator: torch.Generator | None = None) -> Tensor:
        """Restore ``x_t`` degraded to step ``t`` (``T`` by default).

        ``sampler``: ``"tacos"`` (Algorithm 2), ``"naive"`` (Algorithm 1) or ``"direct"``
        (``R(x_t, t)``). ``steps``: walk back in that many evenly spaced jumps
        (:func:`samplers.spaced_steps`) instead of every step. Images of any floating dtype
        are restored in float32, the network's, and given back in their own dtype.
        Degradations with random parameters (mask centres) need the ``D`` that made ``x_t``,
        with its parameters fixed: ``D = model.D.draw(x0)``, ``x_t = D(x0, t)``. Quantised
        masks (``mnist-inpaint``) step unquantised, as the paper's code samples. Images far
        outside [-1, 1] (in [0, 255]) are refused. A batch larger than :attr:`batch_size` is
        restored a part at a time (its drawn parameters split with it), except with a ``D``
        of your own that is not a degrade operator: that one sees the whole batch. On InDI's
        path with noise (``cifar10-blur-indi-noisy``), ``x_t`` at ``T`` without a ``D`` is the
        observation ``y``, and the walk starts at ``y + sigma_T eta`` with ``eta`` drawn from
        ``generator`` (seed 0 by default; ``degrade.DirectIteration.observing``); pass
        ``D = model.D.draw(x0)`` to restore ``D(x0, T)`` itself.
        """
        self.check_images(x_t)
        self.check_range(x_t)
        return self._restore(x_t, t, sampler=sampler, D=D, steps=steps, progress=progress,
                             generator=generator)

    def _restore(self, x_t: Tensor, t: int | None = None, *, sampler: str = "tacos",
                 D: Any = None, steps: int | None = None, progress: bool = False,
                 generator: torch.Generator | None = None) -> Tensor:
        """:meth:`restore` without the range check, for an ``x_T`` the model drew itself;
        ``generator`` seeds the fresh noise of a sampler that adds it (the Momentum Sampler)
        and the noise a noisy InDI path adds to an observation at ``T``."""
        run = sampling.get(sampler, self.family, self.name).run
        if generator is not None and sampler.startswith("momentum"):
            run = functools.partial(run, generator=generator)
        self.check_images(x_t)
        t = self.T if t is None else t
        if steps is not None:
            run = functools.partial(run, steps=self._jumps(t, steps, sampler))
        if D is None and self.straight and self.D_train.noisy and isinstance(t, int) \
                and t == self.T:
            generator = torch.Generator().manual_seed(0) if generator is None else generator
            x_t, D = self.D_train.observing(x_t, generator=generator)
        if D is None and self.D_train.param_names and sampler != "direct":
            D = self._ending_at(x_t, t)
        D = self.D if D is None else D
        if hasattr(D, "stepping"):  # a user's own D(x, t) steps as it is
            D = D.stepping()
        t = check_start(t, len(x_t), self.T)  # before it is split with the images
        if not (isinstance(D, BoundDegradation) or (isinstance(D, Degradation) and (
                not D.param_names or sampler == "direct"))):
            # a user's own D(x, t) may hold a value per image that cannot be split
            return run(self.network, D, x_t.float(), t, progress=progress).to(x_t.dtype)

        def part(index: slice, show: bool) -> Tensor:
            D_part = D.select(index) if isinstance(D, BoundDegradation) else D
            t_part = t[index] if isinstance(t, Tensor) else t
            return run(self.network, D_part, x_t[index].float(), t_part, progress=show)

        return self.in_batches(len(x_t), part, progress, sampler).to(x_t.dtype)

    def _ending_at(self, x_t: Tensor, t: Any) -> Any:
        """The ``D`` to walk back with from images ``x_t`` at step ``T`` whose random
        parameters they determine (``D.ending_at``: the observations ``y`` of InDI's path, the
        cat of animorphosis); any other random ``D`` must be given."""
        if isinstance(t, int) and t == self.T:
            with contextlib.suppress(TypeError):
                return self.D_train.ending_at(x_t)
        raise ValueError(f"{self.name}'s degradation draws {list(self.D_train.param_names)}: "
                         "pass the D that made x_t, D = model.D.draw(x0)")

    def _jumps(self, t: Any, steps: int, sampler: str) -> list[int]:
        """The schedule of ``steps`` evenly spaced jumps from ``t`` down to 0."""
        if sampler == "direct":
            raise ValueError("steps does not apply to the direct sampler: it makes one call")
        if isinstance(t, Tensor):
            raise ValueError("steps needs one t for all the images, not a t per image")
        start = check_start(t, 1, self.T)
        steps = check_count(steps, "steps", 1)
        if start and steps > start:
            raise ValueError(f"steps must be between 1 and t = {start}, got {steps}")
        return samplers.spaced_steps(start, steps)

    @property
    def straight(self) -> bool:
        """Whether the model learned InDI's straight path (``degrade.DirectIteration``), where
        InDI's sampler applies too."""
        return isinstance(self.D_train, DirectIteration)

    def row_names(self) -> list[str]:
        return ["Degraded", "Sampled (TACoS)", "Direct", *(["InDI"] if self.straight else [])]

    def evaluation_batches(self, x0: Tensor, *, seed: int, batch_size: int,
                           rows: Sequence[str] | None = None
                           ) -> Iterator[dict[str, Callable[[], Tensor]]]:
        """Each batch degraded to ``T`` (random parameters drawn from ``seed``, in order) and
        restored by TACoS and directly (and by InDI, every step, on a straight path)."""
        rows = self.row_names() if rows is None else rows
        generator = torch.Generator().manual_seed(seed)
        for start in range(0, len(x0), batch_size):
            x = x0[start:start + batch_size]
            D = self.D_train.draw(x, generator=generator)
            x_T = D(x, self.T)
            makers = {"Degraded": functools.partial(torch.clone, x_T),
                      "Sampled (TACoS)": functools.partial(self.restore, x_T, sampler="tacos",
                                                           D=D),
                      "Direct": functools.partial(self.restore, x_T, sampler="direct"),
                      "InDI": functools.partial(self.restore, x_T, sampler="indi", D=D)}
            yield {row: makers[row] for row in rows}

    def evaluation_setting(self, n: int, split: str, seed: int, *,
                           reference: int | None = None) -> str:
        return (f"{n} {self.dataset} {split} images from t = T = {self.T}, "
                f"degradation seed {seed}")

    def figure(self, n: int, *, seed: int = 0, progress: bool = False) -> Figure:
        """Shipped test images degraded to ``T``, then each sampler, as the paper's Figure 3:
        ``degraded | direct R | Algorithm 1 | TACoS | original`` (InDI before the original,
        on a straight path)."""
        x0 = sample_images(self.dataset, n)
        D = self.D_train.draw(x0, generator=torch.Generator().manual_seed(seed))
        x_T = D(x0, self.T)
        restored = [(sampling.SAMPLERS[name].title,
                     self.restore(x_T, sampler=name, D=D, progress=progress))
                    for name in ("direct", "naive", "tacos", *(["indi"] if self.straight else []))]
        return Figure(f"restore-{self.name}", [("degraded", x_T), *restored, ("original", x0)])


class _Generative:
    """Evaluated as Table 5 and blur diffusion's Table 1: the Frechet distance of images
    generated under each of :meth:`conditions` (keyword arguments of ``generate``)."""

    paired: ClassVar[bool] = False

    def conditions(self) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def row_names(self) -> list[str]:
        return list(self.conditions())

    def evaluation_batches(self, x0: Tensor, *, seed: int, batch_size: int,
                           rows: Sequence[str] | None = None
                           ) -> Iterator[dict[str, Callable[[], Tensor]]]:
        conditions = self.conditions()
        rows = list(conditions) if rows is None else rows
        for start in range(0, len(x0), batch_size):
            count = min(batch_size, len(x0) - start)
            yield {row: functools.partial(self.generate, count, seed=seed * 1_000_003 + start,
                                          **conditions[row])
                   for row in rows}

    def evaluation_setting(self, n: int, split: str, seed: int, *,
                           reference: int | None = None) -> str:
        return (f"{n} generated images against {reference or n} {self.dataset} {split} "
                f"images, seed {seed}")

    def figure(self, n: int, *, seed: int = 0, progress: bool = False) -> Figure:
        """``8 n`` generated images, eight to a row, by the default sampler."""
        images = self.generate(n * 8, seed=seed, progress=progress)
        title = f"{self.name}: {self.how}"
        return Figure(f"generate-{self.name}", [(title, tile(images, 8))], scale=2)


@dataclasses.dataclass(repr=False)
class Generator(_Generative, Restorer):
    """A restorer that generates (section 5.2): ``x_T`` from its fitted ``prior`` (any
    :class:`samplers.Prior`), a little noise to break the symmetry, then a cold sampler.

    On Gaussian noise (``degrade.NoiseSchedule`` from a :class:`samplers.WhiteNoisePrior`) it
    is Table 5's hot diffusion as the paper trains it, ``R(x_t, t) ~ x0``: TACoS with the noise
    of ``x_T`` fixed ("Fixed Noise") or re-estimated at each step ("Estimated Noise", A.6, the
    default: :attr:`hot`)."""

    prior: samplers.Prior | None = None

    @property
    def hot(self) -> bool:
        """Whether it walks back Gaussian noise (``degrade.NoiseSchedule``): Table 5's hot
        rows, estimated noise by default."""
        return isinstance(self.D_train, NoiseSchedule)

    @property
    def default_sampler(self) -> str:
        """The sampler :meth:`generate` runs by default: TACoS, or estimated noise (DDIM)
        for hot diffusion."""
        return "estimated" if self.hot else "tacos"

    @property
    def how(self) -> str:
        return "estimated noise (DDIM) from N(0, I)" if self.hot else "TACoS from the prior"

    def describe(self) -> str:
        return "generation model (hot: a restorer of Gaussian noise)" if self.hot \
            else "generation model"

    def generate(self, n: int, *, noise_std: float | None = None, seed: int = 0,
                 sampler: str | None = None, steps: int | None = None, clip: bool = True,
                 progress: bool = False) -> Tensor:
        """``n`` new images: ``x_T`` drawn from the prior with ``noise_std`` noise (the model's
        recorded value by default; 0 for "perfect symmetry"), restored by ``sampler``
        (:attr:`default_sampler` by default: ``"tacos"``, or ``"estimated"`` for hot
        diffusion; ``"naive"``, ``"direct"``, or for soft diffusion ``"momentum"`` with fresh
        noise of ``seed``), in ``steps`` evenly spaced jumps if given (every step by default).
        ``clip`` does not apply."""
        n, seed = check_count(n, "n", 1), check_count(seed, "seed")
        std = check_noise_std(self.entry["prior"]["noise_std"] if noise_std is None
                              else noise_std)
        generator = torch.Generator().manual_seed(seed)
        x_T = self.prior.sample(n, generator=generator, noise_std=0.0)
        z = torch.randn(x_T.shape, generator=generator)  # the stream of sample(noise_std=std)
        return self._restore(x_T + std * z, self.T, sampler=sampler or self.default_sampler,
                             D=sampling.walking_back(self.D_train, x_T, std * z), steps=steps,
                             progress=progress, generator=generator)

    def conditions(self) -> dict[str, dict[str, Any]]:
        """The rows of Table 5. The broken-symmetry rows add the model's noise, or the
        paper's 0.002 where the model generates best without noise (its default is 0). Hot
        diffusion's rows start from white noise, which needs no more: fixed noise (TACoS),
        estimated noise, Algorithm 1 and direct."""
        if self.hot:
            return {
                "Fixed noise (TACoS)": {"sampler": "tacos", "noise_std": 0.0},
                "Estimated noise (DDIM)": {"sampler": "estimated", "noise_std": 0.0},
                "Algorithm 1, fixed noise": {"sampler": "naive", "noise_std": 0.0},
                "Direct": {"sampler": "direct", "noise_std": 0.0},
            }
        std = self.entry["prior"]["noise_std"] or DEFAULT_NOISE_STD
        return {
            "TACoS, perfect symmetry": {"sampler": "tacos", "noise_std": 0.0},
            f"TACoS, broken symmetry ({std:g})": {"sampler": "tacos", "noise_std": std},
            f"Algorithm 1, broken symmetry ({std:g})": {"sampler": "naive", "noise_std": std},
            f"Direct, broken symmetry ({std:g})": {"sampler": "direct", "noise_std": std},
        }


@dataclasses.dataclass(repr=False)
class SoftGenerator(Generator):
    """A restorer trained by soft score matching on ``x_t = C_t x0 + s_t eta`` (Daras,
    Delbracio, Talebi, Dimakis and Milanfar, 2022, "Soft Diffusion: Score Matching for General
    Corruptions", arXiv:2209.05442), with a prior over the noiseless ``C_T x0``: it generates
    by drawing ``x_T`` with the noise ``s_T eta`` (the recorded ``noise_std``) and walking back
    with the Momentum Sampler (``"momentum"``, its fresh noise from the seed), its
    deterministic variant, TACoS (the noise drawn at ``T`` kept at each step's level,
    ``SoftCorruption.carrying``) or in one call."""

    how: ClassVar[str] = "the Momentum Sampler from the prior"
    default_sampler: ClassVar[str] = "momentum"

    def describe(self) -> str:
        return "soft diffusion model (a restorer judged through the corruption)"

    @property
    def samplers(self) -> tuple[str, ...]:
        """The cold samplers, the Momentum Sampler first (the default)."""
        first = ("momentum", "momentum-deterministic")
        return (*first, *(name for name in super().samplers if name not in first))

    def conditions(self) -> dict[str, dict[str, Any]]:
        """The Momentum Sampler (the paper's, and its deterministic variant), TACoS with the
        noise fixed, and one call of ``R``, all from the prior with the noise ``s_T eta``."""
        return {
            "Momentum sampler": {"sampler": "momentum"},
            "Momentum sampler, deterministic": {"sampler": "momentum-deterministic"},
            "TACoS, fixed noise": {"sampler": "tacos"},
            "Direct": {"sampler": "direct"},
        }


class DiffusionModel(_Generative, Pretrained):
    """A noise predictor ``R = eps(x_i, i)`` trained on eq. (18) of blur diffusion, or on
    blurring diffusion (Hoogeboom and Salimans, 2023, arXiv:2209.05557); it generates from
    ``N(0, I)``."""

    family: ClassVar[str] = "diffusion"

    def describe(self) -> str:
        return "diffusion model (a noise predictor)"

    @property
    def blurring(self) -> bool:
        """Whether ``D`` is blurring diffusion (white noise, no variance-preserving steps), whose
        sampler is the ancestral one, every step and unclipped, as the paper's."""
        return not sampling.variance_preserving(self.D_train)

    @property
    def how(self) -> str:
        if self.blurring:
            return f"ancestral sampler, {self.T} steps from N(0, I)"
        return "deterministic sampler, 100 steps from N(0, I)"

    def default_sampling(self) -> dict[str, Any]:
        """What ``generate`` does unless told: blur diffusion's deterministic sampler in 100
        clipped jumps; blurring diffusion's ancestral sampler over every step, unclipped."""
        if self.blurring:
            return {"sampler": "ancestral", "steps": self.T, "clip": False}
        return {"sampler": "ddim", "steps": None, "clip": True}

    def restore(self, x_t: Tensor, t: int | None = None, *, sampler: str = "tacos",
                D: Any = None, progress: bool = False) -> Tensor:
        raise ValueError(f"{self.name} is a diffusion model (a noise predictor): it "
                         "generates from N(0, I) with model.generate(n) and restores nothing")

    def generate(self, n: int, *, noise_std: float | None = None, seed: int = 0,
                 sampler: str | None = None, steps: int | None = None,
                 clip: bool | None = None, progress: bool = False) -> Tensor:
        """``n`` images denoised from ``x_N ~ N(0, I)`` by ``sampler``: ``"ddim"``
        (deterministic, in ``steps`` evenly spaced jumps, 100 or ``N`` by default),
        ``"stochastic"`` (blur diffusion's eq. 19, all ``N`` steps), ``"ancestral"`` (the
        posterior of each frequency, all ``N`` steps or ``steps``) or ``"fixed"``; by default
        :meth:`default_sampling`'s. ``clip`` clamps each step's predicted clean image to
        [-1, 1]: without it the finest details of blur diffusion can blow up, with it blurring
        diffusion's, which it predicts from almost no signal, turn to texture.
        """
        n, seed = check_count(n, "n", 1), check_count(seed, "seed")
        default = self.default_sampling()
        if sampler is None:
            sampler, steps = default["sampler"], default["steps"] if steps is None else steps
        clip = default["clip"] if clip is None else clip
        chosen = sampling.get(sampler, self.family, self.name)
        if not chosen.applies(self.D_train):
            usable = [name for name in sampling.names(self.family)
                      if sampling.SAMPLERS[name].applies(self.D_train)]
            raise ValueError(f"{self.name}'s diffusion does not take the {sampler} sampler "
                             f"({chosen.help}); it takes {', '.join(usable)}")
        run = chosen.run
        if noise_std is not None:
            raise ValueError(f"{self.name} starts from N(0, I): noise_std does not apply")
        generator = torch.Generator().manual_seed(seed)
        x_N = torch.randn((n, self.channels, self.image_size, self.image_size),
                          generator=generator)
        return self.in_batches(n, lambda index, show: run(
            self.network, self.D_train, x_N[index], self.T, generator=generator, steps=steps,
            clip=clip, progress=show), progress, sampler).clamp(-1, 1)

    def conditions(self) -> dict[str, dict[str, Any]]:
        many, few = min(100, self.T), min(50, self.T)
        if self.blurring:
            return {
                f"Ancestral, {self.T} steps": {"sampler": "ancestral", "steps": self.T,
                                               "clip": False},
                f"Ancestral, {many} steps": {"sampler": "ancestral", "steps": many,
                                             "clip": False},
                f"Ancestral, {self.T} steps, clipped": {"sampler": "ancestral",
                                                        "steps": self.T, "clip": True},
                f"Deterministic, {many} steps": {"sampler": "ddim", "steps": many,
                                                 "clip": False},
                f"Deterministic, {many} steps, clipped": {"sampler": "ddim", "steps": many,
                                                          "clip": True},
            }
        return {
            f"Stochastic, {self.T} steps (eq. 19)": {"sampler": "stochastic"},
            f"Deterministic, {many} steps": {"sampler": "ddim", "steps": many},
            f"Fixed noise (TACoS), {many} steps": {"sampler": "fixed", "steps": many},
            f"Deterministic, {few} steps": {"sampler": "ddim", "steps": few},
            f"Deterministic, {many} steps, no clipping": {"sampler": "ddim", "steps": many,
                                                          "clip": False},
        }


@dataclasses.dataclass(repr=False)
class WarmGenerator(_Generative, Pretrained):
    """A network ``R(x_s, s) ~ x_{s-1}`` (``restore``'s ``previous`` objective) with a prior
    over ``x_T``: inverse heat dissipation (Rissanen, Heinonen and Solin, 2023, "Generative
    Modelling With Inverse Heat Dissipation", arXiv:2206.13397, Algorithm 2), which walks back
    one step at a time adding fresh noise."""

    prior: samplers.Prior | None = None
    family: ClassVar[str] = "warm"
    how: ClassVar[str] = "the previous-step walk with fresh noise, from the prior"

    def describe(self) -> str:
        return "warm generation model (it predicts the image one step less blurred)"

    @property
    def sampling_noise(self) -> float:
        """The noise ``delta`` added after each step (their 0.013 for images in [0, 1])."""
        return float(self.entry.get("sampling", {}).get("noise_std", WARM_SAMPLING_NOISE))

    def generate(self, n: int, *, noise_std: float | None = None, seed: int = 0,
                 sampler: str | None = None, steps: int | None = None, clip: bool = True,
                 progress: bool = False) -> Tensor:
        """``n`` new images: ``x_T`` from the prior (its noise ``sigma`` included), walked back
        by ``sampler`` (``"previous"``) with fresh noise of ``noise_std`` after each step (the
        model's :attr:`sampling_noise` by default; 0 makes the walk deterministic given
        ``x_T``). ``steps`` and ``clip`` do not apply."""
        n, seed = check_count(n, "n", 1), check_count(seed, "seed")
        if steps is not None:
            raise ValueError(f"{self.name} walks back every step: steps does not apply")
        sampler = sampler or "previous"
        run = sampling.get(sampler, self.family, self.name).run
        std = check_noise_std(self.sampling_noise if noise_std is None else noise_std)
        generator = torch.Generator().manual_seed(seed)
        x_T = self.prior.sample(n, generator=generator)
        return self.in_batches(n, lambda index, show: run(
            self.network, self.D_train, x_T[index], self.T, noise_std=std, generator=generator,
            progress=show), progress, sampler).clamp(-1, 1)

    def conditions(self) -> dict[str, dict[str, Any]]:
        return {
            f"Previous-step walk, noise {self.sampling_noise:g}": {},
            "Previous-step walk, no noise": {"noise_std": 0.0},
        }


CLASSES: dict[str, type[Pretrained]] = {"restorer": Restorer, "generator": Generator,
                                         "warm-generator": WarmGenerator,
                                         "diffusion": DiffusionModel,
                                         "soft-generator": SoftGenerator}
"""The class of each kind of model (:data:`zoo.folders.KINDS`)."""
