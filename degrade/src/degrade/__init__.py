"""degrade: image degradations ``D(x, t)`` for generalized ("cold") diffusion.

Every operator follows the protocol of :class:`Degradation` (section 3.1 of Bansal et al. (2022)):
``x`` is a ``(B, C, H, W)`` float tensor in [-1, 1], ``t`` an int or an integer tensor of shape
``(B,)`` with ``0 <= t <= T``, and ``D(x, 0) == x``. Property checks that any operator, yours
included, can run are in :mod:`degrade.testing`.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .base import BoundDegradation, Degradation, DegradationFn, ResampledDegradation
from .blur import GaussianBlurSchedule
from .blur_diffusion import BlurDiffusion, blur_rates, blur_schedule
from .blurring_diffusion import BlurringDiffusion
from .composition import Composition, compose
from .desaturation import DesaturationSchedule
from .direct_iteration import DirectIteration
from .heat import HeatDissipation
from .interpolation import InterpolationSchedule
from .kernels import gaussian_kernel1d
from .mask import GaussianFadeSchedule, GaussianMaskSchedule
from .mixing import MixingSchedule
from .noise import NoiseSchedule
from .snow import SnowSchedule
from .soft import SoftCorruption
from .super_resolution import SuperResolutionSchedule

try:  # the release's one version, written in the repository's pyproject.toml
    __version__ = _version("colddiff-degrade")
except PackageNotFoundError:  # the development install is one project, colddiff
    __version__ = _version("colddiff")

__all__ = [
    "BlurDiffusion",
    "BlurringDiffusion",
    "BoundDegradation",
    "Composition",
    "Degradation",
    "DegradationFn",
    "DesaturationSchedule",
    "DirectIteration",
    "GaussianBlurSchedule",
    "GaussianFadeSchedule",
    "GaussianMaskSchedule",
    "HeatDissipation",
    "InterpolationSchedule",
    "MixingSchedule",
    "NoiseSchedule",
    "ResampledDegradation",
    "SnowSchedule",
    "SoftCorruption",
    "SuperResolutionSchedule",
    "blur_rates",
    "blur_schedule",
    "compose",
    "gaussian_kernel1d",
]
