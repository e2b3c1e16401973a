"""Independent reference for MLProf's ONNX throughput: S Python threads on one onnxruntime session.

Usage: python onnx_streams_loop.py <model.onnx> <batch size> <streams> <threads> <warm-up s> <window s>
Prints one JSON line: {"events_per_s", "calls", "window_s"}. Written apart from the tool's process
(plugins/runners/onnx_throughput.py): the inputs come from the session's own input metadata (standard normal
floats, zeros for integers), each thread counts the calls it completes while a shared deadline runs, and the
rate is the calls completed inside the window divided by its length (no fit). Session: intra-op threads as
given, one inter-op thread, sequential execution, all graph optimizations; each thread binds its own inputs and
outputs once and calls run_with_iobinding.
"""
import json
import sys
import threading
import time

import numpy as np
import onnxruntime as ort

model, batch, streams, threads, warmup_s, window_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
opts.log_severity_level = 3
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
kinds = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
         "tensor(int32)": np.int32, "tensor(bool)": np.bool_}
rng = np.random.default_rng(7)


def feeds():
    out = {}
    for i in sess.get_inputs():
        shape = [batch if not isinstance(d, int) or d < 0 else d for d in i.shape]
        if i.shape and not isinstance(i.shape[0], int):
            shape[0] = batch
        dtype = kinds[i.type]
        out[i.name] = (rng.standard_normal(shape) if dtype in (np.float32, np.float64) else np.zeros(shape)).astype(dtype)
    return out


bindings = []
for _ in range(streams):
    f = feeds()
    io = sess.io_binding()
    for name, value in f.items():
        io.bind_cpu_input(name, value)
    for o in sess.get_outputs():
        io.bind_output(o.name, "cpu")
    sess.run_with_iobinding(io)
    bindings.append((io, f))

start = time.perf_counter() + 0.05
window_open = start + warmup_s
window_close = window_open + window_s
counts = [0] * streams


def stream(k):
    io = bindings[k][0]
    while time.perf_counter() < start:
        pass
    while time.perf_counter() < window_open:
        sess.run_with_iobinding(io)
    n = 0
    while True:
        sess.run_with_iobinding(io)
        if time.perf_counter() > window_close:
            break
        n += 1
    counts[k] = n


workers = [threading.Thread(target=stream, args=(k,)) for k in range(streams)]
for w in workers:
    w.start()
for w in workers:
    w.join()
calls = sum(counts)
print(json.dumps({"events_per_s": calls * batch / window_s, "calls": calls, "window_s": window_s}))
