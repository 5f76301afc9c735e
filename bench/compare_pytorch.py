#!/usr/bin/python3
"""Compare training throughput of our trainer with PyTorch on the same model.

Both sides train the identical model (MLP: Flatten, Linear 3072->1024, ReLU,
Linear 1024->10; or LNet) with Adam and softmax cross-entropy on random
3x32x32 batches held in memory, so no data loading is timed. PyTorch runs in
a fresh process for each thread setting: torch.set_num_threads 1 or 2 with
OPENBLAS_NUM_THREADS 1 or 2, which must be set before torch is imported.
Ours runs build/bench/layer_bench at 1 and 2 threads. Each side's best
setting is compared. Throughput is the median over several timed steps
after a warm-up.

Usage: bench/compare_pytorch.py [--model mlp|lnet] [--batch 250]
       [--steps 40] [--layer-bench build/bench/layer_bench]

Uses /usr/bin/python3 with Debian's python3-torch (PyTorch 1.13), whose
matrix products go to the system libblas.so.3. That must be OpenBLAS
(Debian libopenblas0-pthread): with the reference BLAS PyTorch runs about
100x slower, and the script warns when its BLAS rate shows that.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

TORCH_THREAD_SETTINGS = [(1, 1), (1, 2), (2, 1), (2, 2)]  # (torch, OpenBLAS)


def torch_worker(model_name, batch, steps, torch_threads):
    """Trains in this process and prints examples/s as JSON."""
    import time

    import torch
    from torch import nn

    torch.set_num_threads(torch_threads)
    torch.manual_seed(1)
    if model_name == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(3072, 1024), nn.ReLU(),
                              nn.Linear(1024, 10))
    else:
        model = nn.Sequential(
            nn.Conv2d(3, 6, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(6, 16, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 8 * 8, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = nn.CrossEntropyLoss()
    images = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        loss = loss_function(model(images), labels)
        loss.backward()
        optimizer.step()

    probe = torch.randn(250, 3072)
    probe_weight = torch.randn(1024, 3072)
    start = time.perf_counter()
    probe @ probe_weight.t()
    blas_gflops = 2 * 250 * 3072 * 1024 / (time.perf_counter() - start) * 1e-9

    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"examples_per_second": batch / statistics.median(times),
                      "blas_gflops": blas_gflops}))


def run_torch(model_name, batch, steps, torch_threads, blas_threads):
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads),
                       OMP_NUM_THREADS=str(torch_threads))
    command = ["/usr/bin/python3", os.path.abspath(__file__), "--worker",
               "--model", model_name, "--batch", str(batch), "--steps", str(steps),
               "--torch-threads", str(torch_threads)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["blas_gflops"] < 5.0:
        print(f"warning: PyTorch's matrix product ran at {report['blas_gflops']:.1f} GFLOP/s, "
              "so libblas.so.3 is probably the reference BLAS; install "
              "libopenblas0-pthread for a fair comparison", file=sys.stderr)
    return report["examples_per_second"]


def run_ours(layer_bench, model_name, batch, steps, threads):
    command = [layer_bench, "--json", "--model", model_name, "--batch", str(batch),
               "--runs", str(steps), "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    for row in report["rows"]:
        if row["pass"] == "step":
            return row["examples_per_second"], report["simd"]
    raise RuntimeError("layer_bench printed no training step row")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "lnet"], default="mlp")
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--steps", type=int, default=40,
                        help="timed training steps per setting (the median is kept)")
    parser.add_argument("--layer-bench", default="build/bench/layer_bench",
                        help="path of our layer_bench program")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        torch_worker(args.model, args.batch, args.steps, args.torch_threads)
        return 0
    if not os.path.exists(args.layer_bench):
        print(f"error: {args.layer_bench} not found; build the project first "
              "(cmake --build build) or pass --layer-bench PATH", file=sys.stderr)
        return 2

    print(f"model {args.model}, batch {args.batch}, Adam, median of {args.steps} steps")
    best_torch = 0.0
    for torch_threads, blas_threads in TORCH_THREAD_SETTINGS:
        rate = run_torch(args.model, args.batch, args.steps, torch_threads, blas_threads)
        best_torch = max(best_torch, rate)
        print(f"pytorch  torch threads {torch_threads}, OpenBLAS threads {blas_threads}: "
              f"{rate:9.0f} examples/s")
    best_ours = 0.0
    for threads in (1, 2):
        rate, simd = run_ours(args.layer_bench, args.model, args.batch, args.steps, threads)
        best_ours = max(best_ours, rate)
        print(f"ours     threads {threads} ({simd}):                  {rate:9.0f} examples/s")
    print(f"best ours / best pytorch: {best_ours / best_torch:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
