"""Sampling and evaluation speed of zoo models in each precision and layout, and how far every
metric moves: the sampling twin of benchmarks/train_speed.py.

For each model, ``zoo.evaluate`` (its every row: TACoS and direct restoration, or generation)
runs on the first ``--n`` test images once per setting, one thread:

* ``fp32, contiguous``: how the zoo sampled before ``restore.precision`` (the baseline);
* ``fp32, channels-last``: ``--precision auto`` on a CPU;
* ``fp32, channels-last, compiled`` with ``--compile`` (compile time included);
* ``bf16`` with ``--bf16`` (autocast; emulated, and so slow, on CPUs without native bf16).

It prints each setting's seconds, its ratio to the baseline and the largest relative change of
any metric of any row against the baseline, and of any RMSE.

    python benchmarks/sample_speed.py mnist-blur cifar10-blur --n 200 [--compile] [--bf16]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from restore.precision import Numerics, cpu_has_bf16

import zoo


def with_numerics(model: zoo.Pretrained, setting: str) -> zoo.Pretrained:
    if setting == "fp32, contiguous":
        model.R.to(memory_format=torch.contiguous_format)
        return dataclasses.replace(model, numerics=Numerics("fp32", False, "the layout before"))
    model.set_precision("bf16" if setting == "bf16" else "fp32", compile="compiled" in setting)
    return model


def largest_change(rows: dict, baseline: dict, metric_names: tuple[str, ...] | None = None
                   ) -> tuple[float, str]:
    """The largest relative change of any metric (of ``metric_names``, all by default) of any
    row, and which."""
    worst, where = 0.0, ""
    for row, values in rows.items():
        for metric, value in values.items():
            if metric_names is not None and metric not in metric_names:
                continue
            before = baseline[row][metric]
            change = abs(value - before) / max(abs(before), 1e-12)
            if change > worst:
                worst, where = change, f"{row}: {metric} {before:.4g} -> {value:.4g}"
    return worst, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = ["fp32, contiguous", "fp32, channels-last"]
    settings += ["fp32, channels-last, compiled"] * args.compile + ["bf16"] * args.bf16
    print(f"torch {torch.__version__}, native bf16: {'yes' if cpu_has_bf16() else 'no'}; "
          f"zoo.evaluate on the first {args.n} test images, batches of {args.batch_size}, one "
          "thread\n")
    print("| model | setting | seconds | against fp32 contiguous | largest metric change | "
          "largest RMSE change |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        results = {}
        for setting in settings:
            model = with_numerics(zoo.load(name), setting)
            start = time.perf_counter()
            evaluation = zoo.evaluate(model, n=args.n, batch_size=args.batch_size)
            results[setting] = (time.perf_counter() - start, evaluation.rows)
        base_seconds, base_rows = results[settings[0]]
        for setting, (seconds, rows) in results.items():
            change, where = largest_change(rows, base_rows)
            rmse, rmse_where = largest_change(rows, base_rows, ("RMSE",))
            print(f"| {name} | {setting} | {seconds:.1f} | {base_seconds / seconds:.2f}x | "
                  f"{change:.2%}{f' ({where})' if where else ''} | "
                  f"{rmse:.2%}{f' ({rmse_where})' if rmse_where else ''} |", flush=True)


if __name__ == "__main__":
    main()
