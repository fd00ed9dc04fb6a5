#!/usr/bin/env bash
# The environment for the deepinv interop tests (tests/degrade/test_deepinv.py): deepinv needs
# torchvision, and the torchvision on PyPI is built for PyPI's (CUDA) torch, not for the CPU torch
# of the project's .venv (with it, `import torchvision` fails: "operator torchvision::nms does not
# exist"). So deepinv lives in .venv-deepinv, with PyPI's torch 2.13.0 and torchvision 0.28.0 (the
# release built for it), apart from .venv. CI runs this script and then the tests:
#   bash benchmarks/setup_deepinv_env.sh && .venv-deepinv/bin/python -m pytest tests/degrade/test_deepinv.py
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-deepinv
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
stamp="$venv/.installed"
if [[ ! -f "$stamp" ]]; then
  # Not this machine's pip configuration (PIP_CONFIG_FILE=/dev/null, no find-links): it offers
  # the local CPU wheel of torch first, which torchvision's binaries do not fit.
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= "$venv/bin/python" -m pip install --quiet \
    --disable-pip-version-check --force-reinstall \
    torch==2.13.0 torchvision==0.28.0 deepinv==0.5.0 pytest hypothesis scipy scikit-image \
    pillow safetensors
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    -e ./degrade -e ./samplers -e ./restore -e ./zoo  # zoo: examples/deepinv_solver.py
  touch "$stamp"
fi
echo "ready: $venv/bin/python -m pytest tests/degrade/test_deepinv.py"
