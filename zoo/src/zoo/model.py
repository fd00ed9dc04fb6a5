"""What every zoo model is and does, whatever its kind: :class:`Pretrained`, the network ``R``
with the degradation it trained on, its data convention, precision, folder and card, and the
verbs each kind (:mod:`zoo.kinds`) fills in.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from restore.compiling import compile_network
from restore.unet import preset_name
from samplers.progress import ProgressBar
from torch import Tensor

from restore import UNet
from restore import precision as precisions

from . import folders, sampling
from .schedules import NamedSchedule

BATCH_VALUES = 2 ** 21
"""The most values (``B x C x H x W``) one pass of a model's network takes: 682 images of
3 x 32 x 32, 170 of 3 x 64 x 64 (:attr:`Pretrained.batch_size`)."""


@dataclasses.dataclass
class Figure:
    """A demonstration figure: its file name (without ``.png``), its titled columns and the
    scale to draw them at (None: the default)."""

    name: str
    columns: list[tuple[str, Tensor]]
    scale: int | None = None


@dataclasses.dataclass(repr=False)
class Pretrained:
    """A loaded model: the network ``R`` (EMA weights, eval mode), the degradation it was
    trained on (``D_train``; :attr:`D` is the form to sample with), its named ``schedule`` if
    any, and the data convention (``image_size``, ``channels``, values in ``value_range``)."""

    name: str
    R: UNet
    D_train: Any
    schedule: NamedSchedule | None
    image_size: int
    channels: int
    value_range: tuple[float, float]
    entry: dict[str, Any]
    numerics: precisions.Numerics = dataclasses.field(
        default_factory=lambda: precisions.choose("fp32", False))
    """How the samplers call ``R`` (:meth:`set_precision`); float32, contiguous by default."""

    def __post_init__(self) -> None:
        self._network = precisions.autocast_network(self.R, self.numerics, self._device())

    def _device(self) -> torch.device:
        """Where ``R`` computes: its first parameter's device, or the CPU."""
        parameters = self.R.parameters() if isinstance(self.R, torch.nn.Module) else iter(())
        first = next(parameters, None)
        return first.device if first is not None else torch.device("cpu")

    family: ClassVar[str] = "cold"
    """The samplers it takes (:mod:`zoo.sampling`): ``"cold"`` or ``"diffusion"``."""
    paired: ClassVar[bool] = True
    """Whether its evaluation rows correspond image for image to the originals (restoration:
    SSIM, RMSE and PSNR apply) or are new images (generation: the Frechet distance only)."""

    def __repr__(self) -> str:
        shape = f"{self.channels}x{self.image_size}x{self.image_size}"
        layout = " channels-last" if self.numerics.channels_last else ""
        return (f"{type(self).__name__}({self.name!r}: {self.entry.get('kind')}, objective "
                f"{self.entry.get('objective')}, T={self.T}, images {shape}, "
                f"{self.numerics.precision}{layout})")

    @property
    def T(self) -> int:
        return self.D_train.num_steps

    @property
    def D(self) -> Any:
        """The degradation to sample with, ``samplers.tacos(model.R, model.D, ...)``: the
        training form :attr:`D_train` itself, but for quantised masks, which step unquantised
        (``D_train.stepping()``, as the paper's code samples)."""
        return self.D_train.stepping() if hasattr(self.D_train, "stepping") else self.D_train

    @property
    def dataset(self) -> str:
        """The data set it trained on (``"folder"`` for a folder of images)."""
        return self.entry["data"]["dataset"]

    @property
    def kind(self) -> str:
        """What the model is (:data:`zoo.folders.KINDS`)."""
        return self.entry["kind"]

    def save_pretrained(self, folder: str | os.PathLike[str]) -> Path:
        """Write the model as a folder of the one format (:mod:`zoo.folders`): ``config.json``,
        ``model.safetensors`` (float16, as the zoo ships them), ``prior.safetensors`` and the
        card ``README.md``. :func:`zoo.load` and :func:`zoo.from_pretrained` read it back."""
        from .cards import render_card

        entry = {**self.entry, "name": self.entry.get("name", self.name)}
        if isinstance(self.R, UNet):  # the card names the network's size
            entry["architecture"] = {"preset": preset_name(dataclasses.asdict(self.R.config)),
                                     "parameters": self.R.num_parameters(),
                                     **(entry.get("architecture") or {})}
        return folders.write(folder, entry, self.R, getattr(self, "prior", None),
                             card=render_card)

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> Any:
        """Upload the model folder to the Hugging Face Hub (needs huggingface_hub and a login);
        ``kwargs`` go to ``HfApi.upload_folder``."""
        try:
            from huggingface_hub import HfApi
        except ImportError as error:
            raise ImportError("push_to_hub needs huggingface_hub: pip install huggingface_hub") \
                from error
        with tempfile.TemporaryDirectory() as folder:
            self.save_pretrained(folder)
            api = HfApi()
            api.create_repo(repo_id, exist_ok=True)
            return api.upload_folder(repo_id=repo_id, folder_path=folder, **kwargs)

    def set_precision(self, precision: str = "auto", *, compile: bool = False) -> None:
        """Sample and evaluate in ``precision`` (:func:`restore.precision.choose`).

        ``"auto"`` is float32, channels-last on a CPU (1.2 to 1.4 times the contiguous layout
        there, docs/performance.md), even where bf16 is native: bf16 rounds away the faint
        detail a restorer reads at large ``t`` (``mnist-blur``'s direct RMSE from ``t = T``
        went from 0.10 to 0.28). ``"bf16"`` asks for it all the same. ``compile`` compiles
        ``R`` with ``torch.compile`` where a compiler is found, its weights frozen into the
        compiled code (call this again after changing them). ``R`` itself changes layout in
        place; its outputs are float32 whatever it computes in."""
        self.numerics = precisions.choose(precision, "auto", self._device(), auto_bf16=False)
        if isinstance(self.R, torch.nn.Module):
            self.R.to(memory_format=self.numerics.memory_format)
        self.__post_init__()
        self._network = compile_network(self._network, self._device(), compile,
                                        frozen=True)[0]

    @property
    def network(self) -> Any:
        """``R`` as the samplers call it: in :attr:`numerics`, compiled if asked."""
        return self._network

    @property
    def samplers(self) -> tuple[str, ...]:
        """The names of the samplers this model takes, its default first."""
        return sampling.names(self.family)

    @property
    def card(self) -> str:
        """The model card, in Markdown."""
        from .cards import render_card

        return render_card(self.entry)

    @property
    def batch_size(self) -> int:
        """How many images one pass of the network takes: :meth:`restore` and
        :meth:`generate` split larger batches into parts of this size, so that the memory they
        need grows with the images kept, not with the network's work on them."""
        return max(1, BATCH_VALUES // (self.channels * self.image_size ** 2))

    def in_batches(self, n: int, make: Callable[[slice, bool], Tensor], progress: bool,
                   name: str) -> Tensor:
        """``make(index, show_progress)`` over parts of :attr:`batch_size` of ``n`` images,
        joined. One part takes ``progress`` itself (the sampler's bar, steps); several share
        one bar over the parts."""
        size = self.batch_size
        if n <= size:
            return make(slice(0, n), progress)
        parts = []
        with ProgressBar(-(-n // size), f"{name}, {n:,} images", enabled=progress,
                         unit="batches") as bar:
            for start in range(0, n, size):
                parts.append(make(slice(start, start + size), False))
                bar.update()
        return torch.cat(parts)

    def check_images(self, images: Tensor) -> None:
        expected = (self.channels, self.image_size, self.image_size)
        if isinstance(images, Tensor) and not images.is_floating_point():
            raise TypeError(f"{self.name} takes floating-point images in [-1, 1], got "
                            f"{images.dtype}: convert 8-bit images with x.float() / 127.5 - 1")
        if not (isinstance(images, Tensor) and images.dim() == 4
                and tuple(images.shape[1:]) == expected):
            shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(f"{self.name} takes images of shape (B, "
                             f"{', '.join(map(str, expected))}) in [-1, 1], got {shape}")

    def check_range(self, images: Tensor) -> None:
        """Refuse images far outside [-1, 1] (in [0, 255], say), unless the degradation adds
        noise of its own (then ``x_t`` may lie far from 0)."""
        noisy = "noise" in getattr(self.D_train, "param_names", ())
        if images.numel() and not noisy and float(images.abs().max()) > 4:
            raise ValueError(f"{self.name} takes images in [-1, 1], got values from "
                             f"{float(images.min()):g} to {float(images.max()):g}: convert "
                             "images in [0, 255] with x / 127.5 - 1")

    def restore(self, x_t: Tensor, t: int | None = None, *, sampler: str = "tacos",
                D: Any = None, steps: int | None = None, progress: bool = False) -> Tensor:
        """Restore degraded images (restorers only)."""
        raise ValueError(f"{self.name} is a {self.describe()}: it restores nothing")

    def generate(self, n: int, *, noise_std: float | None = None, seed: int = 0,
                 sampler: str | None = None, steps: int | None = None, clip: bool = True,
                 progress: bool = False) -> Tensor:
        """``n`` new images (generators and diffusion models only)."""
        raise ValueError(f"{self.name} is a {self.describe()}: it has no prior to generate "
                         "from (the generation models have task 'generation')")

    def describe(self) -> str:
        """What the model is, in a few words."""
        raise NotImplementedError

    def row_names(self) -> list[str]:
        """The rows of the model's table (:meth:`evaluation_batches`), in order."""
        raise NotImplementedError

    def select_rows(self, prefixes: Sequence[str] | None = None) -> list[str]:
        """The rows whose names start with one of ``prefixes`` (all rows for None); a row's full
        name selects that row alone. A prefix that names no row is an error that lists the
        rows."""
        names = self.row_names()
        if prefixes is None:
            return names
        unmatched = [p for p in prefixes if not any(name.startswith(p) for name in names)]
        if unmatched or not prefixes:
            raise ValueError(f"no row of {self.name} starts with {unmatched or prefixes}; its "
                             f"rows are {names}")
        return [name for name in names
                if any(name == p or (p not in names and name.startswith(p)) for p in prefixes)]

    def evaluation_batches(self, x0: Tensor, *, seed: int, batch_size: int,
                           rows: Sequence[str] | None = None
                           ) -> Iterator[dict[str, Callable[[], Tensor]]]:
        """The images of each row of the paper's table (or of ``rows``, names from
        :meth:`row_names`), a batch of ``x0`` at a time: for each batch, a function per row
        that makes its images. Batches are made in order and each row's function is called
        at most once, or not at all where the images are had already (:func:`zoo.evaluate`'s
        ``cache``): a batch's images depend only on ``seed``, the batch's place and what the
        batches before it drew, never on which rows were made."""
        raise NotImplementedError

    def figure(self, n: int, *, seed: int = 0, progress: bool = False) -> Figure:
        """The demonstration figure of ``colddiff demo``, with ``n`` rows."""
        raise NotImplementedError

    def evaluation_setting(self, n: int, split: str, seed: int, *,
                           reference: int | None = None) -> str:
        """One line on how the rows were made (``reference``: the real images generated ones
        were compared with, ``n`` by default)."""
        raise NotImplementedError
