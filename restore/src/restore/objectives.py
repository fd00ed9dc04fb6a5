"""What the restorer learns: the training objective, ``(prediction, target)`` for a batch.

An objective is any callable ``objective(R, D, x0, t) -> (prediction, target)``; the trainer
takes the L1 (or L2) distance between the two. The default is section 3.1 of Bansal et al. (2022);
:func:`predict_noise` trains a noise predictor (eq. 18 of Lee et al. (2022)),
:func:`predict_previous` the one-step denoiser of inverse heat dissipation (Rissanen et al.,
2023), and :func:`soft_score_matching` a restorer judged through the corruption (Daras et al.,
2022). :func:`restore_x0_on_walk` trains section 3.1's restorer on the images TACoS feeds it as
well as on the true path (scheduled sampling: Bengio et al., 2015).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392; Lee et al., 2022, "Progressive Deblurring of Diffusion Models for
Coarse-to-Fine Image Synthesis", arXiv:2207.11192; Bengio, Vinyals, Jaitly and Shazeer,
2015, "Scheduled Sampling for Sequence Prediction with Recurrent Neural Networks",
arXiv:1506.03099; Ning et al., 2023, "Input Perturbation Reduces Exposure Bias in Diffusion
Models", arXiv:2301.11706; Rissanen, Heinonen and Solin, 2023,
"Generative Modelling With Inverse Heat Dissipation", arXiv:2206.13397; Daras, Delbracio,
Talebi, Dimakis and Milanfar, 2022, "Soft Diffusion: Score Matching for General Corruptions",
arXiv:2209.05442.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from . import previews

ObjectiveFn = Callable[[nn.Module, Callable[[Tensor, Tensor], Tensor], Tensor, Tensor],
                       tuple[Tensor, Tensor]]
"""What an objective computes: ``objective(R, D, x0, t) -> (prediction, target)``."""

KINDS = ("restorer", "diffusion", "warm", "soft")
"""The kinds of network an objective makes: a restorer ``R(x_t, t) ~ x0`` (cold samplers),
a noise predictor (diffusion samplers), a one-step denoiser (the previous-step walk), a
restorer judged through the corruption (soft diffusion's Momentum Sampler)."""

WARM_SAMPLING_NOISE = 0.026
"""The sampling noise of the ``previous`` objective: Rissanen et al.'s delta = 0.013 for images
in [0, 1], doubled for ours in [-1, 1]."""


def restore_x0(R: nn.Module, D: Callable[[Tensor, Tensor], Tensor], x0: Tensor,
               t: Tensor) -> tuple[Tensor, Tensor]:
    """Section 3.1: ``R(D(x0, t), t)`` should be ``x0``."""
    return R(D(x0, t), t), x0


def restore_x0_on_walk(R: nn.Module, D: Callable[[Tensor, Tensor], Tensor], x0: Tensor,
                       t: Tensor, *, share: float = 0.5) -> tuple[Tensor, Tensor]:
    """Section 3.1 on TACoS's own inputs: ``R(x_t_walk, t)`` should be ``x0`` too.

    TACoS (Algorithm 2) never feeds ``R`` the true ``D(x0, t)`` below ``x_T``: it feeds it
    ``x_T`` plus the network's own estimates, one step at a time. A restorer trained only on the
    true path trusts what the walk filled in as if it were the image, and its errors add up
    along the walk (on inpainting, TACoS ends 1.2 to 1.3 times worse than one call of ``R``,
    where Table 2's ratio is 1.1). Here a ``share`` of the batch (the rest is section 3.1) sees
    one TACoS jump instead: for ``s`` uniform in ``t + 1 .. T``, the network's estimate
    ``x0_hat = R(D(x0, s), s)`` (no gradient) and
    ``x_t_walk = D(x0, s) - D(x0_hat, s) + D(x0_hat, t)``, the truth degraded to ``s`` and the
    network's own estimate between ``s`` and ``t``. Images at ``t = T`` keep ``D(x0, T)``.
    Scheduled sampling (Bengio et al., 2015) for cold diffusion, akin to the input
    perturbation of Ning et al. (2023), with the network's own error as the perturbation. It
    costs one more forward pass, without gradient, on the walking share of the batch
    (``benchmarks/walk_cost.py``).

    ``D`` needs ``num_steps``. One with random parameters (``degrade``'s ``resampled()``)
    must offer ``draw(x0)``, one fixed draw, so that the three calls degrade each image alike;
    the jump steps with ``stepping()`` where the draw has it, as the samplers do.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be in [0, 1], got {share}")
    T = getattr(D, "num_steps", None)
    if not T:
        raise TypeError("D has no num_steps attribute: the walk needs T")
    fixed = D.draw(x0) if hasattr(D, "draw") else D
    stepping = fixed.stepping() if hasattr(fixed, "stepping") else fixed
    x_t = fixed(x0, t)
    walk = (torch.rand(t.shape, device=t.device) < share) & (t < T)
    if walk.any():
        gap = T - t
        s = t + 1 + torch.minimum((torch.rand(t.shape, device=t.device) * gap).long(), gap - 1)
        s = torch.where(walk, s, t)
        x_s = fixed(x0, s)
        x0_hat = x0.clone()
        estimator = getattr(R, "module", R)  # under DistributedDataParallel, the bare network:
        with torch.no_grad():                # its forward pass syncs nothing between processes
            x0_hat[walk] = estimator(x_s[walk], s[walk]).to(x0.dtype)
        jumped = x_s - stepping(x0_hat, s) + stepping(x0_hat, t)
        x_t = torch.where(walk[:, None, None, None], jumped.to(x_t.dtype), x_t)
    return R(x_t, t), x0


def predict_noise(R: nn.Module, D: Callable[..., Tensor], x0: Tensor,
                  t: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (18) of Lee et al. (2022): ``R(D(x0, t, noise=eps), t)`` should be ``eps ~ N(0, I)``.

    ``D`` takes the white noise as its keyword ``noise`` (``degrade``'s noisy operators:
    ``BlurDiffusion``, ``NoiseSchedule``, ``HeatDissipation``); the
    noise is drawn from torch's random state, which checkpoints save, so runs resume exactly.
    Train with the L2 loss.
    """
    eps = torch.randn_like(x0)
    return R(D(x0, t, noise=eps), t), eps


def soft_score_matching(R: nn.Module, D: Callable[..., Tensor], x0: Tensor,
                        t: Tensor) -> tuple[Tensor, Tensor]:
    """Soft Score Matching (Daras et al., 2022, its loss): the corruption of the estimate,
    ``C_t R(C_t x0 + s_t eta, t)``, should be the corruption of the image, ``C_t x0``.

    The network still predicts a clean image, but only what the corruption keeps of it is
    judged: where ``C_t`` removes detail (a blur's high frequencies, a mask's pixels) the loss
    does not ask for it at ``t``, and the score ``(C_t x0_hat - x_t) / s_t^2`` needs no more.
    ``D`` is the diffusion (``degrade.SoftCorruption``): it takes the noise ``eta`` as its
    keyword ``noise`` and gives ``C_t`` as ``D.corrupt(x, t)``. The noise is drawn from
    torch's random state, which checkpoints save, so runs resume exactly. Train with the L2
    loss (unweighted over ``t``); sample with ``samplers.momentum``.
    """
    corrupt = getattr(D, "corrupt", None)
    if not callable(corrupt):
        raise TypeError("the soft objective needs a diffusion x_t = C_t x0 + s_t eta with "
                        "D.corrupt(x, t) (degrade.SoftCorruption); "
                        f"{type(D).__name__} has none")
    eta = torch.randn_like(x0)
    return corrupt(R(D(x0, t, noise=eta), t), t), corrupt(x0, t)


def predict_previous(R: nn.Module, D: Callable[..., Tensor], x0: Tensor,
                     t: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (6) of Rissanen et al. (2023): ``R(D(x0, t, noise=z), t)`` should be the noiseless,
    less degraded ``D(x0, t - 1, noise=0)``.

    ``D`` takes its standard normal noise as the keyword ``noise`` (``degrade.HeatDissipation``
    does); it is drawn from torch's random state, which checkpoints save, so runs resume
    exactly. Train with the L2 loss; sample with ``samplers.previous_step``.
    """
    z = torch.randn_like(x0)
    return R(D(x0, t, noise=z), t), D(x0, t - 1, noise=torch.zeros_like(x0))


@dataclasses.dataclass(frozen=True)
class Objective:
    """One training objective and everything that follows from it: read by the run
    configuration, the command line, the trainer and the zoo, so that it is described once.

    Attributes:
        name: its name in configurations (``--objective``).
        function: ``function(R, D, x0, t) -> (prediction, target)``.
        loss: the loss that goes with it (``"l1"`` or ``"l2"``).
        draws: the random parameters of ``D`` it draws itself (the noise), which training must
            not resample.
        kind: the network it makes (:data:`KINDS`).
        options: run-configuration fields it takes, to the keyword of ``function``.
        summary: one line for the help.
    """

    name: str
    function: Callable[..., tuple[Tensor, Tensor]]
    loss: str
    draws: tuple[str, ...]
    kind: str
    summary: str
    options: dict[str, str] = dataclasses.field(default_factory=dict)

    def bound(self, **settings: Any) -> ObjectiveFn:
        """``function`` with its :attr:`options` taken from ``settings`` (run fields)."""
        keywords = {keyword: settings[field] for field, keyword in self.options.items()}
        return functools.partial(self.function, **keywords) if keywords else self.function

    def preview(self, operator: Any) -> previews.Preview | None:
        """What the run's validation grids draw for this objective (None: the restorer's
        ``degraded | direct R | TACoS | original``)."""
        if self.kind == "diffusion":
            return previews.diffusion_samples(operator)
        if self.kind == "warm":
            return previews.warm_samples(operator, operator.num_steps, WARM_SAMPLING_NOISE)
        if self.kind == "soft":
            return previews.soft_samples(operator)
        return None


OBJECTIVES: dict[str, Objective] = {objective.name: objective for objective in (
    Objective("x0", restore_x0, "l1", (), "restorer",
              "a restorer, R(D(x0, t), t) ~ x0 (section 3.1 of cold diffusion, L1)"),
    Objective("x0-walk", restore_x0_on_walk, "l1", (), "restorer",
              "a restorer, part of each batch on TACoS's own inputs (L1)",
              {"walk_share": "share"}),
    Objective("noise", predict_noise, "l2", ("noise",), "diffusion",
              "a noise predictor (eq. 18 of Lee et al., 2022, L2)"),
    Objective("soft", soft_score_matching, "l2", ("noise",), "soft",
              "a restorer judged through C_t (soft score matching, Daras et al., 2022, L2)"),
    Objective("previous", predict_previous, "l2", ("noise",), "warm",
              "the image one step less degraded (eq. 6 of Rissanen et al., 2023, L2)"),
)}
"""Every objective, by name."""


def get(name: str) -> Objective:
    """The objective called ``name``; an unknown name is refused in one line."""
    if name not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {name!r}")
    return OBJECTIVES[name]
