"""Independent reference for MLProf's TensorFlow runner: a tf.compat.v1.Session loop on a job's frozen graph.

Usage: python tf_loop.py <job.runner> <out.csv>  (writes batch_size,runtime_ms rows; prints a JSON line)
Same work as the runner: the job's graph, feeds (constant inputs such as keras_learning_phase fed as scalars)
and exactly its fetches; ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=-1 for
one inter-op thread: ops in the calling thread, as the runner and CMSSW's no_threads pool); oneDNN as in the
environment (TF_ENABLE_ONEDNN_OPTS, read by TensorFlow at import, as by the runner). The call is the lean
TF_SessionRunCallable path (Session._make_callable_from_options, as Keras' TF1 backend uses): Session.run
and make_callable add ~0.1 ms of Python feed conversion per call in TF 2.21.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import config_pb2  # noqa: E402

from job_inputs import arrays, read_job, timed  # noqa: E402


def tensor_name(n):
    return n if ":" in n.rsplit("/", 1)[-1] else n + ":0"


job = read_job(sys.argv[1])
gd = tf.compat.v1.GraphDef()
with open(job["model_path"], "rb") as f:
    gd.ParseFromString(f.read())
graph = tf.Graph()
with graph.as_default():
    tf.import_graph_def(gd, name="")
inter = -1 if job["inter_op_threads"] == 1 else job["inter_op_threads"]
config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=job["threads"], inter_op_parallelism_threads=inter)
sess = tf.compat.v1.Session(graph=graph, config=config)
inputs = arrays(job, np)
names = [tensor_name(n) for n, _ in inputs]
values = [v for _, v in inputs]
fn = sess._make_callable_from_options(
    config_pb2.CallableOptions(feed=names, fetch=[tensor_name(o) for o in job["outputs"]])
)
ms = timed(lambda: fn(*values), job["n_warmup"], job["n_calls"], np)
with open(sys.argv[2], "w") as f:
    f.writelines(f"{job['batch_size']},{v:.6f}\n" for v in ms)
print(json.dumps({"engine": "tensorflow (Python, Session callable)", "version": tf.__version__,
                  "median_ms": float(np.median(ms)), "n": len(ms),
                  "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}))
