#!/usr/bin/env python3
"""netvis against PyTorch eager, in one invocation on one machine (run through bench/run.sh).

Prints the per-image forward and VJP times at batch 1, 8 and 32, the reference workflow end to end
(process start included) with peak resident memory, and the ratios against the targets.
"""
import json
import statistics
import os
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))
MODEL = os.path.join(SHARED, "models", "squeezenet1_1", "squeezenet1_1.onnx")
INPUTS = os.path.join(SHARED, "reference", "squeezenet1_1", "inputs.npy")
PY = "/usr/bin/python3"
JAVA_CP = None


def timed(cmd, **kw):
    """Runs a command; returns (stdout, wall seconds, peak RSS in MB) from wait4's rusage."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    out, err = p.communicate()
    wall = time.perf_counter() - start
    # communicate() reaped the child; its rusage is folded into RUSAGE_CHILDREN, so measure by delta.
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return out, wall


def peak_rss_mb(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(cmd[0], cmd)
    start = time.perf_counter()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024.0


def main():
    seconds = os.environ.get("BENCH_SECONDS", "4")
    # In the launcher's environment (cli/environment.sh); the PyTorch baseline runs in the caller's.
    bench_cmd = ["bash", os.path.join(REPO, "bench/java.sh"), "EngineBench", "--batches", "1,8,32",
                 "--seconds", seconds, "--json"]
    env = dict(os.environ, NETVIS_MODEL_PATH=os.path.join(SHARED, "models"))

    # netvis' logits on the reference inputs, for the baseline's check.
    logits_netvis = "/tmp/netvis-bench-logits.npy"
    subprocess.run([os.path.join(REPO, "netvis"), "vjp", "--model", MODEL, "--device", "cpu", "--input", INPUTS,
                    "--cotangent", os.path.join(SHARED, "reference/squeezenet1_1/cotangent.npy"),
                    "--output", "/tmp/netvis-bench-grad.npy", "--logits", logits_netvis],
                   check=True, env=env, stdout=subprocess.DEVNULL)

    print("microbenchmark (per image medians, forward and VJP alternating), this may take a minute...", flush=True)
    nv, _ = timed(bench_cmd, env=env)
    netvis = json.loads(nv.strip().splitlines()[-1])["results"]
    pt_out, _ = timed([PY, os.path.join(REPO, "bench/pytorch_baseline.py"), "micro", MODEL, INPUTS,
                       "--batches", "1,8,32", "--seconds", seconds, "--logits-out", "/tmp/pytorch-bench-logits.npy"])
    pt = json.loads(pt_out.strip().splitlines()[-1])
    a = np.load(logits_netvis)
    b = np.load("/tmp/pytorch-bench-logits.npy")
    logit_err = float(np.abs(a - b).max() / np.abs(b).max())

    print(f"\nSqueezeNet 1.1, 224x224, CPU float32; netvis on ONNX Runtime vs PyTorch {pt['torch']} eager "
          f"({pt['threads']} threads); logits agree to {logit_err:.1e} (max relative)\n")
    print(f"{'batch':>5} | {'netvis fwd':>10} | {'netvis vjp':>10} | {'vjp/fwd':>7} | {'torch fwd':>9} | {'torch vjp':>9}"
          f" | {'vjp speed-up':>12} | target")
    ok = True
    for batch in ("1", "8", "32"):
        n = netvis[batch]
        t = pt["results"][batch]
        k = int(batch)
        ratio = n["vjp_ms"] / n["forward_ms"]
        speed = t["vjp_ms"] / n["vjp_ms"]
        target = 3.0 if k == 1 else 1.5
        ok &= ratio <= 2.5 and speed >= target
        print(f"{k:>5} | {n['forward_ms'] / k:>7.2f} ms | {n['vjp_ms'] / k:>7.2f} ms | {ratio:>6.2f}x | "
              f"{t['forward_ms'] / k:>6.2f} ms | {t['vjp_ms'] / k:>6.2f} ms | {speed:>11.2f}x | "
              f"vjp/fwd <= 2.5x {'met' if ratio <= 2.5 else 'NOT met'}, speed-up >= {target}x "
              f"{'met' if speed >= target else 'NOT met'}")

    print("\nreference workflow end to end, median of 3 (saliency on 5 images, fooling sample 0 into class 6, class "
          "visualization of 187 for 100 iterations), process start included:", flush=True)
    out_dir = "/tmp/netvis-bench-workflow"
    netvis_cmd = [os.path.join(REPO, "netvis"), "run", os.path.join(REPO, "bench/workflow.yaml"), "--out", out_dir]
    # One untimed run first: it builds the jar if needed and writes the class-data sharing archive.
    subprocess.run(["rm", "-rf", out_dir])
    subprocess.run(netvis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nv_runs, pt_runs = [], []
    for _ in range(3):  # alternating, medians: this machine is shared and noisy
        subprocess.run(["rm", "-rf", out_dir])
        nv_runs.append(peak_rss_mb(netvis_cmd))
        pt_runs.append(peak_rss_mb([PY, os.path.join(REPO, "bench/pytorch_baseline.py"), "workflow", MODEL,
                                    os.path.join(SHARED, "images")]))
    nv_wall = statistics.median(r[0] for r in nv_runs)
    nv_rss = max(r[1] for r in nv_runs)
    pt_wall = statistics.median(r[0] for r in pt_runs)
    pt_rss = max(r[1] for r in pt_runs)
    print(f"  runs: netvis {[round(r[0], 2) for r in nv_runs]} s, PyTorch {[round(r[0], 2) for r in pt_runs]} s")
    print(f"  netvis  {nv_wall:6.2f} s, peak RSS {nv_rss:6.0f} MB")
    print(f"  PyTorch {pt_wall:6.2f} s, peak RSS {pt_rss:6.0f} MB")
    print(f"  netvis / PyTorch time {nv_wall / pt_wall:.2f} (target <= 0.5: {'met' if nv_wall / pt_wall <= 0.5 else 'NOT met'}); "
          f"netvis peak RSS < 1 GB: {'met' if nv_rss < 1024 else 'NOT met'}")


if __name__ == "__main__":
    main()
