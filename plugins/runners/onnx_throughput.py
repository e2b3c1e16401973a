"""Throughput measurement process of MLProf's onnx engine: S Python threads share one InferenceSession.

Usage: python onnx_throughput.py <throughput job.json>  (src/measure/throughput-job.ts describes the job and
the report; the onnxruntime wheel of the tool-managed venv runs it).

As CMSSW's ONNXRuntime in a module's GlobalCache: one session, called concurrently by every stream; its
options as MLProf's latency path (intra-op threads of the job, one inter-op thread, sequential execution, all
graph optimizations). Each stream binds its own inputs (drawn by the tool, read from the job's raw files) and
its own preallocated outputs once (IOBinding); a timed call is one `run_with_iobinding`, which releases the
GIL while ONNX Runtime runs, between two time.monotonic_ns() stamps (CLOCK_MONOTONIC). The stream threads
wait on a barrier, warm up together for warmupMs (and nWarmup calls each), then time calls until the main
thread closes the window (at least minDurationMs and minCalls calls in all, at most maxDurationMs).
"""
import json
import os
import resource
import sys
import threading
import time

PHASE = ["load the model"]


def rss():
    """Current and peak resident set size in kB (/proc/self/status)."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def main(job):
    import numpy as np
    import onnxruntime as ort

    dtypes = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64,
              "bool": np.bool_}
    streams = job["streams"]
    rss_before_load, _ = rss()
    t0 = time.monotonic_ns()
    options = ort.SessionOptions()
    options.intra_op_num_threads = job["threads"]
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(job["modelPath"], options, providers=["CPUExecutionProvider"])
    except Exception as err:  # the engine's refusal, as the user must see it
        raise KnownError(f"ONNX Runtime cannot load {job['modelPath']}: {err}")
    t1 = time.monotonic_ns()
    rss_after_load, _ = rss()

    PHASE[0] = "bind the streams' inputs and outputs"
    bindings = []
    arrays = []  # kept alive: the bindings point into them
    for k in range(streams):
        feeds = {inp["name"]: np.fromfile(inp["files"][k], dtype=dtypes[inp["dtype"]]).reshape(inp["shape"])
                 for inp in job["inputs"]}
        try:
            first = session.run(job["outputs"], feeds)
        except Exception as err:
            raise KnownError(f"ONNX Runtime cannot run {job['modelPath']}: {err}")
        io = session.io_binding()
        for name, value in feeds.items():
            io.bind_cpu_input(name, value)
        outs = []
        for name, ref in zip(job["outputs"], first):
            buf = np.empty_like(ref)
            outs.append(buf)
            io.bind_output(name, "cpu", 0, buf.dtype, list(buf.shape), buf.ctypes.data)
        arrays.append((feeds, outs))
        bindings.append(io)
    t2 = time.monotonic_ns()
    rss_after_streams, _ = rss()

    PHASE[0] = "warm-up and timed calls"
    state = {"timed": False, "stop": False}
    warm = [0] * streams
    starts = [[] for _ in range(streams)]
    ends = [[] for _ in range(streams)]
    errors = []
    barrier = threading.Barrier(streams + 1)
    run = session.run_with_iobinding
    clock = time.monotonic_ns

    def stream(k):
        io = bindings[k]
        s, e = starts[k], ends[k]
        try:
            barrier.wait()
            n = 0
            while not state["timed"]:
                run(io)
                n += 1
            warm[k] = n
            while not state["stop"]:
                a = clock()
                run(io)
                b = clock()
                s.append(a)
                e.append(b)
        except Exception as err:  # noqa: BLE001 - reported by the main thread
            errors.append(f"stream {k}: {err}")
            state["stop"] = True

    threads = [threading.Thread(target=stream, args=(k,), daemon=True) for k in range(streams)]
    for t in threads:
        t.start()
    barrier.wait()
    w0 = clock()
    while not errors:
        time.sleep(0.01)
        if clock() - w0 >= job["warmupMs"] * 1e6:
            break
    state["timed"] = True
    window_start = clock()
    cpu0 = cpu_seconds()
    min_ns = job["minDurationMs"] * 1e6
    max_ns = job["maxDurationMs"] * 1e6
    last_report = window_start
    while not errors:
        time.sleep(0.02)
        now = clock()
        done = sum(len(e) for e in ends)
        if now - last_report > 1e9:
            print(json.dumps({"type": "progress", "done": done, "total": job["minCalls"],
                              "phase": "timed calls"}), flush=True)
            last_report = now
        if (now - window_start >= min_ns and done >= job["minCalls"]) or now - window_start >= max_ns:
            break
    state["stop"] = True
    window_end = clock()
    cpu1 = cpu_seconds()
    for t in threads:
        t.join()
    if errors:
        raise KnownError("; ".join(errors))
    few = [k for k in range(streams) if warm[k] < job["nWarmup"]]
    if few:
        raise KnownError(
            f"streams {few} made fewer than {job['nWarmup']} warm-up calls in {job['warmupMs']} ms: "
            "give a longer --warmup-duration")
    rss_after_window, peak = rss()

    PHASE[0] = "write results"
    with open(job["callsPath"], "w") as f:
        for k in range(streams):
            f.writelines(f"{k},{a - window_start},{b - window_start}\n" for a, b in zip(starts[k], ends[k]))
    meta = {
        "engine": {"name": "onnxruntime", "version": ort.__version__,
                   "binding": f"onnxruntime Python API (CPython {sys.version.split()[0]})",
                   "library": ort.__file__, "graphOptimization": "all"},
        "sharing": "shared-session",
        "streams": streams,
        "threads": {"intraOp": job["threads"], "interOp": 1},
        "clock": "time.monotonic_ns() (CLOCK_MONOTONIC, ns)",
        "timedCall": "InferenceSession.run_with_iobinding on the stream's own IOBinding (inputs and preallocated "
                     "outputs bound once), GIL released inside; the loop's Python work between calls is outside",
        "window": {"startNs": window_start, "endNs": window_end},
        "timings": {"loadMs": (t1 - t0) / 1e6, "streamsMs": (t2 - t1) / 1e6, "warmupMs": (window_start - w0) / 1e6},
        "warmupCalls": warm,
        "cpu": {"userSeconds": cpu1[0] - cpu0[0], "systemSeconds": cpu1[1] - cpu0[1]},
        "memory": {"rssBeforeLoadKb": rss_before_load, "rssAfterLoadKb": rss_after_load,
                   "rssAfterStreamsKb": rss_after_streams, "rssAfterWindowKb": rss_after_window,
                   "peakRssKb": peak},
        "pid": os.getpid(),
    }
    with open(job["metaPath"], "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


class KnownError(Exception):
    """An error of the model or engine the user must see as is."""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: onnx_throughput.py <job.json>\n")
        sys.exit(2)
    with open(sys.argv[1]) as f:
        job_file = json.load(f)
    try:
        main(job_file)
    except Exception as error:  # noqa: BLE001 - every failure becomes the error file
        with open(job_file["errorPath"], "w") as f:
            json.dump({"phase": PHASE[0], "message": str(error), "known": isinstance(error, KnownError)}, f)
        sys.exit(3)
