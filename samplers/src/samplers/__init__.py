"""samplers: cold diffusion sampling loops for any callables ``R(x, s)`` and ``D(x, s)``.

* :func:`tacos`: Algorithm 2 of Bansal et al. (2022) (TACoS), the sampler for cold degradations;
* :func:`naive`: Algorithm 1, the standard diffusion update;
* :func:`direct`: the one-shot reconstruction ``R(x_t, t)``;
* :func:`previous_step`: inverse heat dissipation's walk, ``R`` predicting ``x_{s-1}`` (Rissanen
  et al., 2023), with the noise term that all three loops take;
* :func:`indi`: Inversion by Direct Iteration's small steps along the straight path to an
  observation (Delbracio and Milanfar, 2023);
* :func:`momentum`: soft diffusion's Momentum Sampler for ``x_t = C_t x0 + s_t eta`` (Daras et
  al., 2022): a denoising step, then TACoS's corruption step;
* :func:`estimated_noise`: hot diffusion with the noise re-estimated at each step (A.6, DDIM);
* :func:`reverse_diffusion`, :func:`rotated_ddim`: blur diffusion (Lee et al., 2022), stochastic
  and deterministic, for a noise predictor; :func:`rotated_fixed_noise`, TACoS with the noise
  fixed (Table 5's *Fixed Noise*); :func:`rotated_ancestral`, the posterior's draw in each
  frequency (blurring diffusion, Hoogeboom and Salimans, 2023);
* priors over ``x_T`` for generation from scratch (:class:`ChannelMeanPrior`, ...);
* :mod:`samplers.testing`: hypothesis checks for any sampler with the same signature.

* :mod:`samplers.folders`: the pretrained-folder format (``config.json``, checked safetensors)
  in which priors, networks and whole models are saved.

This package depends on torch and safetensors alone: it never imports ``degrade``.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392; Lee et al., 2022, "Progressive Deblurring of Diffusion Models for
Coarse-to-Fine Image Synthesis", arXiv:2207.11192; Delbracio and Milanfar, 2023, "Inversion by
Direct Iteration: An Alternative to Denoising Diffusion for Image Restoration", arXiv:2303.11435;
Daras et al., 2022, "Soft Diffusion: Score Matching for General Corruptions", arXiv:2209.05442.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .cold import direct, naive, previous_step, tacos
from .direct_iteration import indi
from .hot import estimated_noise
from .loop import sample, spaced_steps
from .lowpass_priors import DownsampledPrior, LowFrequencyPrior
from .mixture import fit_gaussian_mixture, sample_gaussian_mixture
from .priors import ChannelMeanPrior, ImagePoolPrior, Prior, SolidColorPrior, WhiteNoisePrior
from .progress import ProgressBar
from .recorder import Recorder
from .rotated import (
    RotatedDiffusion,
    reverse_diffusion,
    rotated_ancestral,
    rotated_ddim,
    rotated_fixed_noise,
)
from .soft import SoftDiffusion, momentum

try:  # the release's one version, written in the repository's pyproject.toml
    __version__ = _version("colddiff-samplers")
except PackageNotFoundError:  # the development install is one project, colddiff
    __version__ = _version("colddiff")

__all__ = [
    "ChannelMeanPrior",
    "DownsampledPrior",
    "ImagePoolPrior",
    "LowFrequencyPrior",
    "Prior",
    "ProgressBar",
    "Recorder",
    "RotatedDiffusion",
    "SoftDiffusion",
    "SolidColorPrior",
    "WhiteNoisePrior",
    "direct",
    "estimated_noise",
    "fit_gaussian_mixture",
    "indi",
    "momentum",
    "naive",
    "previous_step",
    "reverse_diffusion",
    "rotated_ancestral",
    "rotated_ddim",
    "rotated_fixed_noise",
    "sample",
    "sample_gaussian_mixture",
    "spaced_steps",
    "tacos",
]
