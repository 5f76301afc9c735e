#!/usr/bin/python3
"""Compare training and inference throughput with PyTorch, via train_bench.

Both sides run the identical model (LNet or MLP, see src/models.c) with Adam
and softmax cross-entropy on random batches held in memory, so no data
loading is timed. PyTorch runs in a fresh process per thread setting:
torch.set_num_threads 1 or 2 with OPENBLAS_NUM_THREADS 1 or 2, which must be
set before torch is imported. Ours runs build/bench/train_bench at 1 and 2
OpenMP threads.
Each side's best setting is compared, separately for training and inference.
Throughput is the median over timed runs after a warm-up.

Usage: bench/compare_pytorch.py [--model lnet|mlp] [--batch 250]
       [--input 3x32x32] [--runs 7] [--train-bench build/bench/train_bench]

Needs Debian's python3-torch under /usr/bin/python3; prints a message and
exits 0 without comparing when torch cannot be imported. PyTorch's matrix
products go to the system libblas.so.3, which must be OpenBLAS (Debian
libopenblas0-pthread): with Debian's reference BLAS, PyTorch's MLP runs
about 100 times slower and the comparison means nothing.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys

TORCH_THREAD_SETTINGS = [(1, 1), (1, 2), (2, 1), (2, 2)]  # (torch, OpenBLAS)
STEPS_PER_RUN = 20


def build_model(nn, model_name, shape, classes=10):
    channels, height, width = shape
    if model_name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(channels * height * width, 1024),
                             nn.ReLU(), nn.Linear(1024, classes))
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(6, 16, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(16 * (height // 4) * (width // 4), 256), nn.ReLU(),
        nn.Linear(256, classes))


def median_rate(function, batch, runs):
    """Median examples/s over `runs` timed runs of STEPS_PER_RUN calls."""
    import time

    for _ in range(5):
        function()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(STEPS_PER_RUN):
            function()
        rates.append(STEPS_PER_RUN * batch / (time.perf_counter() - start))
    return statistics.median(rates)


def torch_worker(model_name, shape, batch, runs, torch_threads):
    """Measures in this process and prints the two rates as JSON."""
    import torch
    from torch import nn

    torch.set_num_threads(torch_threads)
    torch.manual_seed(1)
    model = build_model(nn, model_name, shape)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = nn.CrossEntropyLoss()
    images = torch.randn(batch, *shape)
    labels = torch.randint(0, 10, (batch,))

    def train_step():
        optimizer.zero_grad()
        loss_function(model(images), labels).backward()
        optimizer.step()

    def infer_step():
        with torch.no_grad():
            model(images)

    print(json.dumps({"train": median_rate(train_step, batch, runs),
                      "infer": median_rate(infer_step, batch, runs)}))


def run_torch(args, torch_threads, blas_threads):
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads),
                       OMP_NUM_THREADS=str(torch_threads))
    command = ["/usr/bin/python3", os.path.abspath(__file__), "--worker",
               "--model", args.model, "--input", args.input, "--batch", str(args.batch),
               "--runs", str(args.runs), "--torch-threads", str(torch_threads)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_ours(args, threads):
    command = [args.train_bench, "--model", args.model, "--input", args.input,
               "--batch", str(args.batch), "--runs", str(args.runs),
               "--steps", str(STEPS_PER_RUN), "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"train (\d+) ex/s infer (\d+) ex/s", result.stdout)
    if match is None:
        raise RuntimeError(f"unexpected train_bench output: {result.stdout!r}")
    return {"train": float(match.group(1)), "infer": float(match.group(2))}


def torch_available():
    probe = subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["lnet", "mlp"], default="lnet")
    parser.add_argument("--input", default="3x32x32", help="example shape CxHxW")
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--runs", type=int, default=7,
                        help=f"timed runs of {STEPS_PER_RUN} steps; the median is kept")
    parser.add_argument("--train-bench", default="build/bench/train_bench",
                        help="path of our train_bench program")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape = tuple(int(part) for part in args.input.split("x"))

    if args.worker:
        torch_worker(args.model, shape, args.batch, args.runs, args.torch_threads)
        return 0
    if not torch_available():
        print("PyTorch is not importable by /usr/bin/python3 (install python3-torch); "
              "skipping the comparison")
        return 0
    if not os.path.exists(args.train_bench):
        print(f"error: {args.train_bench} not found; build the project first "
              "(cmake --build build) or pass --train-bench PATH", file=sys.stderr)
        return 2

    print(f"model {args.model}, input {args.input}, batch {args.batch}, Adam, "
          f"median of {args.runs} runs of {STEPS_PER_RUN} steps")
    best_torch = {"train": 0.0, "infer": 0.0}
    for torch_threads, blas_threads in TORCH_THREAD_SETTINGS:
        rates = run_torch(args, torch_threads, blas_threads)
        for kind in best_torch:
            best_torch[kind] = max(best_torch[kind], rates[kind])
        print(f"pytorch  torch threads {torch_threads}, OpenBLAS threads {blas_threads}: "
              f"train {rates['train']:8.0f} ex/s, infer {rates['infer']:8.0f} ex/s")
    best_ours = {"train": 0.0, "infer": 0.0}
    for threads in (1, 2):
        rates = run_ours(args, threads)
        for kind in best_ours:
            best_ours[kind] = max(best_ours[kind], rates[kind])
        print(f"ours     threads {threads}:                         "
              f"train {rates['train']:8.0f} ex/s, infer {rates['infer']:8.0f} ex/s")
    for kind in ("train", "infer"):
        print(f"{kind}: best ours / best pytorch = {best_ours[kind] / best_torch[kind]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
