"""What a user would write by hand instead of `mlprof run PlotRuntimes --model-file
examples/dnn/model_onnx_l10u128.yaml --repeats 1`: the same measurement work in one Python process, and a
matplotlib PDF of the runtime per batch size (median, 16-84 % band), for scripts/bench-cli.ts's comparison.

Usage: python quickstart_onnx.py <model.onnx> <out_dir> [batch sizes, default 1,2,4]
Per batch size: a session as the tool's (one intra-op and inter-op thread, sequential, all graph
optimizations), standard normal float32 inputs [batch, 64], one first call, 10 warm-up calls and 100 calls
each timed with perf_counter_ns; the rows go to runtime_bs_<N>.csv, the plot to runtimes.pdf. Needs
onnxruntime, numpy and matplotlib.
"""
import os
import sys
import time

import numpy as np
import onnxruntime as ort

import matplotlib

matplotlib.use("pdf")
import matplotlib.pyplot as plt  # noqa: E402

model, out = sys.argv[1], sys.argv[2]
batch_sizes = [int(b) for b in (sys.argv[3] if len(sys.argv) > 3 else "1,2,4").split(",")]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1)
medians, lows, highs = [], [], []
for bs in batch_sizes:
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, o, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    feeds = {name: rng.standard_normal((bs, 64), dtype=np.float32)}
    sess.run(None, feeds)
    for _ in range(10):
        sess.run(None, feeds)
    ms = np.empty(100)
    for i in range(100):
        t0 = time.perf_counter_ns()
        sess.run(None, feeds)
        ms[i] = (time.perf_counter_ns() - t0) / 1e6
    with open(os.path.join(out, f"runtime_bs_{bs}.csv"), "w") as f:
        f.write("batch_size,runtime_ms\n")
        f.writelines(f"{bs},{v:.6f}\n" for v in ms)
    per_event = ms / bs
    medians.append(np.median(per_event))
    lows.append(np.percentile(per_event, 16))
    highs.append(np.percentile(per_event, 84))

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.fill_between(batch_sizes, lows, highs, alpha=0.3, label="16-84 %")
ax.plot(batch_sizes, medians, marker="o", label="median")
ax.set_xlabel("Batch size")
ax.set_ylabel("Runtime / batch size [ms]")
ax.set_title("ONNX 10x128", loc="left")
ax.legend()
fig.savefig(os.path.join(out, "runtimes.pdf"))
print(os.path.join(out, "runtimes.pdf"))
