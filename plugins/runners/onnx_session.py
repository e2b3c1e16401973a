"""The onnxruntime wheel's side of the local ONNX runner (plugins/runners/onnx_runner.cc).

The runner embeds the Python of the tool-managed venv that holds the onnxruntime wheel, imports this module
and calls its functions outside the clock; inside the clock it calls only the wheel's extension function
`InferenceSession._sess.run_with_iobinding(binding, None)`, which releases the GIL around ORT's Run.

Per-call work: the inputs are bound once per event as OrtValues over the runner's own buffers (no copy);
each output is bound to the CPU device without a buffer, so ORT allocates it on every call, as
cms::Ort::ONNXRuntime::run lets ORT allocate its outputs. CMSSW additionally wraps its inputs as tensors on
every call and copies the outputs into std::vector<float>; both are a few hundred nanoseconds
(docs/onnx-runtime.md has the measured comparison).
"""

import os

import numpy as np
import onnxruntime as ort

# ONNX type strings of the wheel's NodeArg.type -> the element types of model files
_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(bool)": "bool",
    "tensor(float16)": "float16",
    "tensor(uint8)": "uint8",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(string)": "string",
}

_NUMPY = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64, "bool": np.bool_}


def load(model_path, intra_op, inter_op):
    """A session on the CPU provider with the job's threads, sequential execution with one inter-op thread,
    all graph optimizations (as onnxruntime-node's session and CMSSW's cms::Ort::ONNXRuntime)."""
    o = ort.SessionOptions()
    o.intra_op_num_threads = intra_op
    o.inter_op_num_threads = inter_op
    o.execution_mode = ort.ExecutionMode.ORT_PARALLEL if inter_op > 1 else ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.log_severity_level = 3
    return ort.InferenceSession(model_path, o, providers=["CPUExecutionProvider"])


def _tensor(arg):
    """(name, element type, dims) of a NodeArg; dims -1 where dynamic, None for an unknown shape."""
    shape = arg.shape
    dims = None if shape is None else [d if isinstance(d, int) and d >= 0 else -1 for d in shape]
    return (arg.name, _TYPES.get(arg.type, arg.type), dims)


def signature(session):
    """The model's inputs and outputs as the session reports them: two lists of (name, type, dims)."""
    return ([_tensor(a) for a in session.get_inputs()], [_tensor(a) for a in session.get_outputs()])


def describe():
    """(version, file) of the wheel's ONNX Runtime: its version and the extension module that holds it (the
    wheel links ORT into onnxruntime_pybind11_state; its libonnxruntime.so is the same build for C API users)."""
    from onnxruntime.capi import onnxruntime_pybind11_state

    return (ort.__version__, os.path.realpath(onnxruntime_pybind11_state.__file__))


def bind(session, inputs, outputs):
    """Binds the inputs (name, memoryview over the runner's buffer, element type, shape) as OrtValues that
    share the buffers, and each output to the CPU device; returns (function, arguments) of the timed call and
    the objects that must stay alive while it is used."""
    binding = session.io_binding()
    keep = []
    for name, view, dtype, shape in inputs:
        array = np.frombuffer(view, dtype=_NUMPY[dtype]).reshape(shape)
        value = ort.OrtValue.ortvalue_from_numpy(array)
        binding.bind_ortvalue_input(name, value)
        keep.append((array, value))
    for name in outputs:
        binding.bind_output(name, "cpu")
    return session._sess.run_with_iobinding, (binding._iobinding, None), (binding, keep)


def outputs(alive):
    """The outputs of the last call, as numpy arrays (for dumps)."""
    binding = alive[0]
    return [np.ascontiguousarray(a) for a in binding.copy_outputs_to_cpu()]
