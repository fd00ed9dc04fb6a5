#!/usr/bin/env bash
# The environment for comparing with denoising-diffusion-pytorch (benchmarks/train_speed.py and
# benchmarks/train_quality.py). That package needs torchvision, which needs a torch build of its
# own (several GB), so it lives in .venv-bench, apart from the project's .venv and never in CI.
# Both networks are then timed with the same torch.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  torch==2.14.1 torchvision==0.29.1 denoising-diffusion-pytorch==2.3.4 scikit-image
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
  -e ./degrade -e ./samplers -e ./restore
echo "ready: $venv/bin/python benchmarks/train_speed.py"
