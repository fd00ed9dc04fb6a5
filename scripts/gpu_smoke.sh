#!/usr/bin/env bash
# A minute on a machine with a CUDA GPU: what the CPU test suite cannot run for real.
#   bash scripts/gpu_smoke.sh            (needs MNIST in ../shared/data or $COLDDIFF_DATA)
# Trains a tiny restorer on cuda with bf16 and fp16 autocast (fp16 with a gradient scaler) and
# in fp32, stops one run with SIGTERM and
# resumes it, trains on cuda:0 by index, then samples and evaluates the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU on this machine'"
common=(--preset tiny --batch 16 --accumulate 1 --checkpoint-every 10 --sample-every 10
        --no-progress)

echo "== bf16 autocast on cuda, then resumed"
"$python" -m zoo.cli train mnist-blur --device cuda --precision bf16 --steps 20 "${common[@]}" \
    --out "$out/bf16"
"$python" -m zoo.cli train --config "$out/bf16/config.json" --steps 30 --resume

echo "== fp16 autocast with a gradient scaler on cuda, then resumed"
"$python" -m zoo.cli train mnist-blur --device cuda --precision fp16 --steps 20 "${common[@]}" \
    --out "$out/fp16"
"$python" -m zoo.cli train --config "$out/fp16/config.json" --steps 30 --resume

echo "== fp32 on cuda:0, stopped by SIGTERM, resumed"
"$python" -m zoo.cli train mnist-blur --device cuda:0 --precision fp32 --steps 100000 \
    --log-every 1 "${common[@]}" --out "$out/fp32" &
pid=$!
until [[ -s "$out/fp32/log.jsonl" ]]; do sleep 1; done
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 143 ]] || { echo "expected exit 143 after SIGTERM, got $status" >&2; exit 1; }
"$python" -m zoo.cli train --config "$out/fp32/config.json" --steps 40 --resume

echo "== a device that is not there is refused in one line"
if "$python" -m zoo.cli train mnist-blur --device cuda:99 --out "$out/none" 2> "$out/err"; then
    echo "cuda:99 was accepted" >&2; exit 1
fi
[[ $(wc -l < "$out/err") -eq 1 ]] || { cat "$out/err" >&2; exit 1; }

echo "== sample and evaluate the runs"
"$python" - "$out" <<'PY'
import sys
import torch
import zoo

for run in ("bf16", "fp16", "fp32"):
    model = zoo.from_checkpoint(f"{sys.argv[1]}/{run}/checkpoint.pt")
    x0 = zoo.sample_images("mnist", 4)
    restored = model.restore(model.D(x0, model.T), sampler="tacos")
    assert torch.isfinite(restored).all() and restored.shape == x0.shape
    print(run, zoo.evaluate(model, n=16, batch_size=16).table().splitlines()[-1])
PY
echo "gpu smoke: all passed"
