#!/usr/bin/env python3
"""Builds the TensorFlow test graphs of the test suite (test/fixtures/tf/*.pb) deterministically.

tf1_keras.pb imitates a TF1-era CMS Keras graph frozen with cmsml: every input is a tf.compat.v1
placeholder, most without a static shape, of every element type (float32, float64, int32, int64), of
different ranks, plus a scalar bool learning-phase placeholder `keras_learning_phase` that switches a
dropout-like branch (tf.cond: Switch/Merge ops) and must be fed; two outputs named like Keras layers,
`ID_pred/Softmax` (float32, [N, 4]) and `aux/Sum` (float64, [N]). Weights are constants from
numpy.random.default_rng(7). The model files test/fixtures/tf/*.yaml describe it.

tf1_learning_phase.pb is a graph as TF1 Keras froze them: the learning phase `keras_learning_phase` is a
bool placeholder without any shape that switches a branch with TF1 control flow (Switch/Merge, whose
predicate must be a scalar), so a learning phase fed with a batch dimension fails only at run time.

Run with TensorFlow installed (e.g. the venv of `mlprof setup tf`):
    python scripts/make_tf_test_graphs.py [--out test/fixtures/tf]
"""

import argparse
import os

import numpy as np
import tensorflow as tf


def tf1_keras_graph() -> tf.compat.v1.GraphDef:
    rng = np.random.default_rng(7)
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        # float32 [N, 4] without a static shape, int64 [N, 3] without shape, int32 [N, 2] with a partial
        # shape, float64 [N, 2, 2] (a different rank), and the learning phase: bool, scalar, no batch axis
        x = v1.placeholder(tf.float32, shape=None, name="input_1")
        ids = v1.placeholder(tf.int64, shape=None, name="ids")
        counts = v1.placeholder(tf.int32, shape=[None, 2], name="counts")
        scale = v1.placeholder(tf.float64, shape=[None, 2, 2], name="scale")
        learning_phase = v1.placeholder(tf.bool, shape=[], name="keras_learning_phase")

        w_x = tf.constant(rng.normal(0, 0.5, (4, 6)).astype(np.float32), name="dense_1/kernel")
        w_ids = tf.constant(rng.normal(0, 0.1, (3, 6)).astype(np.float32), name="dense_ids/kernel")
        w_counts = tf.constant(rng.normal(0, 0.1, (2, 6)).astype(np.float32), name="dense_counts/kernel")
        b = tf.constant(rng.normal(0, 0.1, (6,)).astype(np.float32), name="dense_1/bias")
        w_out = tf.constant(rng.normal(0, 0.5, (6, 4)).astype(np.float32), name="ID_pred/kernel")
        b_out = tf.constant(rng.normal(0, 0.1, (4,)).astype(np.float32), name="ID_pred/bias")

        x2 = tf.reshape(x, [-1, 4])
        ids2 = tf.cast(tf.reshape(ids, [-1, 3]), tf.float32)
        scale_sum = tf.reduce_sum(scale, axis=[1, 2])  # float64 [N]
        h = tf.matmul(x2, w_x) + tf.matmul(ids2, w_ids) + tf.matmul(tf.cast(counts, tf.float32), w_counts) + b
        h = h + tf.cast(scale_sum, tf.float32)[:, None]
        with tf.name_scope("dense_1"):
            h = tf.nn.elu(h, name="Elu")
        with tf.name_scope("dropout_1"):
            h = tf.cond(learning_phase, lambda: h * 0.5, lambda: h)
        with tf.name_scope("ID_pred"):
            logits = tf.matmul(h, w_out) + b_out
            tf.nn.softmax(logits, name="Softmax")
        with tf.name_scope("aux"):
            tf.reduce_sum(scale * tf.cast(tf.reduce_mean(h), tf.float64), axis=[1, 2], name="Sum")
    return graph.as_graph_def()


def tf1_learning_phase_graph() -> tf.compat.v1.GraphDef:
    rng = np.random.default_rng(11)
    v1 = tf.compat.v1
    v1.disable_control_flow_v2()
    try:
        graph = tf.Graph()
        with graph.as_default():
            x = v1.placeholder(tf.float32, shape=[None, 4], name="input_1")
            learning_phase = v1.placeholder(tf.bool, shape=None, name="keras_learning_phase")
            w = tf.constant(rng.normal(0, 0.5, (4, 3)).astype(np.float32), name="dense/kernel")
            h = tf.matmul(x, w)
            with tf.name_scope("dropout"):
                h = v1.cond(learning_phase, lambda: h * 0.5, lambda: h)
            tf.nn.softmax(h, name="output/Softmax")
        return graph.as_graph_def()
    finally:
        v1.enable_control_flow_v2()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join("test", "fixtures", "tf"), help="output folder")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, graph in [("tf1_keras.pb", tf1_keras_graph), ("tf1_learning_phase.pb", tf1_learning_phase_graph)]:
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(graph().SerializeToString(deterministic=True))
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
