#!/usr/bin/env python3
"""Builds the small ONNX models of the test suite (test/fixtures/*.onnx) deterministically.

They exercise what real CMS models need beyond the examples: several inputs of different ranks and
element types, names such as "x:0" or "a/b/ids:0", a scalar bool flag without batch dimension, dynamic
axes beyond the batch axis, a fixed batch dimension, and a Reshape that fails at run time for odd batch
sizes. Run in a Python environment with the `onnx` package: python scripts/make_test_models.py
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]


def save(model: onnx.ModelProto, path: str) -> None:
    model.producer_name = "mlprof-tests"
    model.ir_version = 8  # loadable by the ONNX Runtime releases in CMSSW and onnxruntime-node
    onnx.checker.check_model(model)
    onnx.save(model, path)


def multi_input() -> onnx.ModelProto:
    """x:0 float32 [N,4]; a/b/ids:0 int64 [N,3]; mask bool [N,3]; scale float64 [N,2,2]; training bool [] (no batch)."""
    inputs = [
        helper.make_tensor_value_info("x:0", TensorProto.FLOAT, ["N", 4]),
        helper.make_tensor_value_info("a/b/ids:0", TensorProto.INT64, ["N", 3]),
        helper.make_tensor_value_info("mask", TensorProto.BOOL, ["N", 3]),
        helper.make_tensor_value_info("scale", TensorProto.DOUBLE, ["N", 2, 2]),
        helper.make_tensor_value_info("training", TensorProto.BOOL, []),
    ]
    outputs = [helper.make_tensor_value_info("out/Softmax:0", TensorProto.FLOAT, ["N", 4])]
    axes1 = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1")
    axes12 = numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "axes12")
    nodes = [
        helper.make_node("Cast", ["a/b/ids:0"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["ids_f", "mask_f"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axes1"], ["ids_sum"], keepdims=1),  # [N,1]
        helper.make_node("ReduceSum", ["scale", "axes12"], ["scale_sum"], keepdims=0),  # [N]
        helper.make_node("Cast", ["scale_sum"], ["scale_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["scale_f", "axes1"], ["scale_col"]),  # [N,1]
        helper.make_node("Cast", ["training"], ["training_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["x:0", "ids_sum"], ["t1"]),
        helper.make_node("Add", ["t1", "scale_col"], ["t2"]),
        helper.make_node("Add", ["t2", "training_f"], ["t3"]),
        helper.make_node("Softmax", ["t3"], ["out/Softmax:0"], axis=1),
    ]
    graph = helper.make_graph(nodes, "multi_input", inputs, outputs, initializer=[axes1, axes12])
    return helper.make_model(graph, opset_imports=OPSET)


def dynamic_axes() -> onnx.ModelProto:
    """seq float32 [N,T,8] with T dynamic → mean over T → MatMul [8,2]."""
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array(rng.standard_normal((8, 2)).astype(np.float32), "w")
    nodes = [
        helper.make_node("ReduceMean", ["seq"], ["mean"], axes=[1], keepdims=0),  # opset 17: axes attribute
        helper.make_node("MatMul", ["mean", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "dynamic_axes",
        [helper.make_tensor_value_info("seq", TensorProto.FLOAT, ["N", "T", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        initializer=[w],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def fixed_batch() -> onnx.ModelProto:
    """input float32 [1,4] (batch fixed to 1) → Relu."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["output"])],
        "fixed_batch",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def reshape_odd() -> onnx.ModelProto:
    """input float32 [N,6] → Reshape to [-1,4]: fails at run time when 6 N is not a multiple of 4 (odd N)."""
    shape = numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "shape")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["input", "shape"], ["output"])],
        "reshape_odd",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 6])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["M", 4])],
        initializer=[shape],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def identity() -> onnx.ModelProto:
    """input float32 [N,1] → Identity: the trivial model of the per-call overhead benchmark."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["output"])],
        "identity",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 1])],
    )
    return helper.make_model(graph, opset_imports=OPSET)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, build in [
        ("multi_input", multi_input),
        ("dynamic_axes", dynamic_axes),
        ("fixed_batch", fixed_batch),
        ("reshape_odd", reshape_odd),
        ("identity", identity),
    ]:
        save(build(), os.path.join(args.out, f"{name}.onnx"))
        print(f"wrote {name}.onnx")


if __name__ == "__main__":
    main()
