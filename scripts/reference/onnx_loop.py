"""Independent reference for MLProf's ONNX engine: Python onnxruntime's IOBinding loop on a job's model.

Usage: python onnx_loop.py <job.json> <out.csv>  (writes batch_size,runtime_ms rows; prints a JSON line)
Session as the tool's: intra-op and inter-op threads of the job, sequential execution (parallel when inter-op
> 1), all graph optimizations; inputs bound once (the job's tensors, drawn as the tool draws them), outputs
bound once to preallocated arrays; only session.run_with_iobinding is inside perf_counter_ns.
"""
import json
import sys

import numpy as np
import onnxruntime as ort

from job_inputs import arrays, read_job, timed

job = read_job(sys.argv[1])
o = ort.SessionOptions()
o.intra_op_num_threads = job["threads"]
o.inter_op_num_threads = job["inter_op_threads"]
o.execution_mode = ort.ExecutionMode.ORT_PARALLEL if job["inter_op_threads"] > 1 else ort.ExecutionMode.ORT_SEQUENTIAL
o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
o.log_severity_level = 3
sess = ort.InferenceSession(job["model_path"], o, providers=["CPUExecutionProvider"])
feeds = dict(arrays(job, np))
first = sess.run(job["outputs"], feeds)
io = sess.io_binding()
for name, value in feeds.items():
    io.bind_cpu_input(name, np.ascontiguousarray(value))
outs = []
for name, ref in zip(job["outputs"], first):
    buf = np.empty_like(ref)
    outs.append(buf)
    io.bind_output(name, "cpu", 0, buf.dtype, list(buf.shape), buf.ctypes.data)
ms = timed(lambda: sess.run_with_iobinding(io), job["n_warmup"], job["n_calls"], np)
with open(sys.argv[2], "w") as f:
    f.writelines(f"{job['batch_size']},{v:.6f}\n" for v in ms)
print(json.dumps({"engine": "onnxruntime (Python, IOBinding)", "version": ort.__version__,
                  "median_ms": float(np.median(ms)), "n": len(ms)}))
