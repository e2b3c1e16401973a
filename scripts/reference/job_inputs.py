"""The inputs of an MLProf measurement job, drawn exactly as the tool draws them.

Both kinds of job file are read: the JSON job of a Node.js measurement process (src/measure/job.ts) and the
line-based job of a native runner (src/native/jobfile.ts). Random values use MLProf's generator (mulberry32
seeded with seed + 1000 * event + input, Box-Muller for normal floats), so a reference loop feeds the same
tensors the tool's loop does.
"""
import json
import math


def read_job(path):
    """A job as a dict: batch_size, n_calls, n_warmup, threads, inter_op_threads, seed, input_data,
    model_path, inputs [{name, dtype, shape, batched, value, range}], outputs [names]."""
    text = open(path).read()
    if text.startswith("mlprof-runner-job 1"):
        job = {"inputs": [], "outputs": []}
        for line in text.splitlines()[1:]:
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition("=")
            if key == "input":
                name, dtype, batched, dims, val, rng = value.split("\t")
                job["inputs"].append({
                    "name": name, "dtype": dtype, "batched": batched == "1",
                    "shape": [int(d) for d in dims.split(",")] if dims else [],
                    "value": None if val == "-" else float(val),
                    "range": None if rng == "-" else [int(x) for x in rng.split(",")],
                })
            elif key == "output":
                job["outputs"].append(value)
            else:
                job[key] = value
        for key in ("batch_size", "n_calls", "n_warmup", "threads", "inter_op_threads", "seed"):
            job[key] = int(job.get(key, 1))
        return job
    j = json.loads(text)
    return {
        "batch_size": j["batchSize"], "n_calls": j["nCalls"], "n_warmup": j["nWarmup"], "threads": j["threads"],
        "inter_op_threads": j["interOpThreads"], "seed": j["seed"], "input_data": j["inputData"],
        "model_path": j["modelPath"], "outputs": j["outputs"],
        "inputs": [{"name": i["name"], "dtype": i["dtype"], "shape": i["shape"], "batched": i["batched"],
                    "value": None if i.get("value") is None else float(i["value"]), "range": i.get("range")}
                   for i in j["inputs"]],
    }


class Mulberry32:
    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF

    def uniform(self):
        self.s = (self.s + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.s
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + ((t ^ (t >> 7)) * (t | 61) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0


def draw(inp, kind, seed, n):
    """One input of one event as a list of doubles (src/measure/inputs.ts makeInputData)."""
    if inp["value"] is not None:
        return [inp["value"]] * n
    if kind == "zeros":
        return [0.0] * n
    if kind == "ones":
        return [1.0] * n
    if kind == "incremental":
        return [float(i % 2) if inp["dtype"] == "bool" else float(i) for i in range(n)]
    rng = Mulberry32(seed)
    if inp["dtype"] in ("float32", "float64"):
        out, spare = [], None
        while len(out) < n:
            if spare is not None:
                out.append(spare)
                spare = None
                continue
            u = 1.0 - rng.uniform()
            v = rng.uniform()
            r = math.sqrt(-2.0 * math.log(u))
            spare = r * math.sin(2 * math.pi * v)
            out.append(r * math.cos(2 * math.pi * v))
        return out
    if inp["dtype"] == "bool":
        return [0.0 if rng.uniform() < 0.5 else 1.0 for _ in range(n)]
    lo, hi = inp["range"] or [0, 10]
    return [lo + math.floor(rng.uniform() * (hi - lo)) for _ in range(n)]


def arrays(job, np):
    """(name, numpy array) of every input of event 0."""
    dt = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64, "bool": np.bool_}
    out = []
    for i, inp in enumerate(job["inputs"]):
        shape = ([job["batch_size"]] if inp["batched"] else []) + inp["shape"]
        n = int(np.prod(shape)) if shape else 1
        data = draw(inp, job.get("input_data", "random"), (job["seed"] + i) & 0xFFFFFFFF, n)
        out.append((inp["name"], np.array(data, dtype=np.float64).astype(dt[inp["dtype"]]).reshape(shape)))
    return out


def timed(call, warmup, calls, np):
    """Runs `warmup` untimed calls, then times `calls` calls (perf_counter_ns around the call only); ms."""
    import time
    for _ in range(warmup):
        call()
    t = np.empty(calls, dtype=np.int64)
    pc = time.perf_counter_ns
    for i in range(calls):
        t0 = pc()
        call()
        t[i] = pc() - t0
    return t / 1e6
