"""What every shipped zoo model computes on fixed inputs: recorded once (``python
tests/zoo/zoo_outputs.py``, or ``... NAME`` for a new model, the others' records kept) and
compared by tests/zoo/test_zoo_outputs.py after any change to how models are stored or loaded.

For each model: ``D_train(x0, T)`` (the form it trained on) of two shipped test images (its
random parameters drawn from seed 0, or from its prior where they are what it ends at),
``R(x_T, T)`` and TACoS from ``x_T`` for restorers; two generated images (seed 0) for
generators and diffusion models (ten deterministic steps).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

import zoo
from zoo import sampling

FILE = Path(__file__).resolve().parent / "data" / "zoo-outputs.npz"


def outputs(model: zoo.Pretrained) -> dict[str, torch.Tensor]:
    """The model's outputs on the fixed inputs, float32, by name."""
    torch.manual_seed(0)
    made: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        if isinstance(model, zoo.DiffusionModel):
            made["generate"] = model.generate(2, seed=0, steps=10)
        elif isinstance(model, zoo.WarmGenerator | zoo.Generator):
            made["generate"] = model.generate(2, seed=0)
        if isinstance(model, zoo.Restorer):
            x0 = zoo.sample_images(model.schedule.dataset, 2)
            D = sampling.drawn(model.D_train, x0, getattr(model, "prior", None), 0)
            x_T = D(x0, model.T)
            made["degraded"] = x_T
            made["direct"] = model.network(x_T, model.T)
            made["tacos"] = model.restore(x_T, sampler="tacos", D=D)
    return {k: v.float().contiguous() for k, v in made.items()}


def record(names: list[str] | None = None) -> None:
    """Write every shipped model's outputs (or those of ``names``, keeping the others'
    records), with the CPU capability they were computed with."""
    torch.set_num_threads(1)
    capability = torch.backends.cpu.get_cpu_capability()
    arrays = {"cpu_capability": np.array(capability)}
    if names:
        with np.load(FILE) as kept:
            if str(kept["cpu_capability"]) != capability:
                raise SystemExit(f"the records were made on {kept['cpu_capability']}, this CPU "
                                 f"is {capability}: record every model here")
            arrays.update({k: kept[k] for k in kept.files if k.split("/")[0] not in names})
    for entry in zoo.list_models():
        if names and entry["name"] not in names:
            continue
        model = zoo.load(entry["name"], precision="fp32")
        for key, value in outputs(model).items():
            arrays[f"{entry['name']}/{key}"] = value.numpy()
        print(entry["name"], sorted(outputs(model)))
    FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FILE, **arrays)


if __name__ == "__main__":
    record(sys.argv[1:])
    sys.exit(0)
