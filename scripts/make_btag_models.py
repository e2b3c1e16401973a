#!/usr/bin/env python3
"""Build the DeepJet-like b-tagging example models (examples/btag) deterministically.

A small stand-in for the CMS DeepJet jet-flavour tagger, untrained, with its structure: five inputs

* ``glob`` [N, 15]: global jet features,
* ``cpf`` [N, 25, 16]: 25 charged particle-flow candidates with 16 features each,
* ``npf`` [N, 25, 6]: 25 neutral particle-flow candidates with 6 features each,
* ``sv`` [N, 4, 12]: 4 secondary vertices with 12 features each,
* ``reg`` [N, 1]: one extra scalar,

a branch per candidate input (``Transpose`` to channels-first -> a stack of 1x1 ``Conv`` + ``Relu``
layers -> ``Transpose`` to time-major -> LSTM, of which only the final hidden state is kept), then
``Concat`` of glob, the three LSTM states and reg (15 + 150 + 50 + 50 + 1 = 266 features) ->
``Gemm`` + ``Relu`` with 200 and 7 x 100 units -> ``Gemm`` to 6 -> ``Softmax``, output ``probs`` [N, 6].
The batch dimension is symbolic ("N"); all weights are float32.

The same weights are written as three ONNX models that differ only in how the graph is expressed:

1. ``onnx_graph_deepjet_fused.onnx``: each LSTM is one ONNX ``LSTM`` node, as tf2onnx emits when it
   recognises a Keras LSTM. The model is a few dozen nodes, and the time is spent in a few large kernels.
2. ``onnx_graph_deepjet_loop.onnx``: each LSTM is an ONNX ``Loop`` over the time steps whose body is
   the cell written out in generic ops (Gather, MatMul, Add, Split, Sigmoid, Tanh, Mul, Identity), as
   tf2onnx emits when it does not fuse the LSTM. One call then runs about 1,000 small kernels
   (25 + 25 + 4 iterations of an 18-node body), so this form exposes the per-kernel (and per-Loop
   iteration) overhead of an ONNX Runtime build, which the fused form hides.

3. ``onnx_graph_deepjet_export.onnx``: the fused form as a PyTorch export (such as CMSSW's DeepJet Run3 model)
   writes it: a ``BatchNormalization`` on each input and after every Conv and hidden Gemm (identities here, so
   that the three forms compute the same function; ONNX Runtime fuses them), and LSTM initial states built at
   run time from the input's shape (``Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape``), the LSTM's
   full output ``Y`` sliced to its last step.

Both share the gate order of the ONNX LSTM (input, output, forget, cell) and a single bias per LSTM,
as in Keras (the recurrence bias of the fused form is zero), so they compute the same function.
The Loop form starts from a zero state made by a MatMul of the first time step with a zero matrix,
which keeps the batch dimension dynamic without shape arithmetic.

Weights are drawn with ``numpy.random.default_rng(seed)``: kernels normal / sqrt(fan_in), biases
uniform in [-0.05, 0.05]. The models use opset 13 and IR version 7, so that ONNX Runtime 1.14 (the
oldest release in CMSSW that MLProf measures) loads them, and are byte-identical from run to run.

Unless ``--no-check`` is given, both models are then evaluated with ONNX Runtime on random inputs at
batch sizes 1 and 7 (finite outputs of shape [N, 6] that sum to 1, and equal outputs of the two forms);
the check is skipped with a message when onnxruntime is not installed. Needs only numpy and onnx
(plus onnxruntime for the check): python scripts/make_btag_models.py
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = Path(__file__).resolve().parent.parent

N_GLOBAL = 15
N_REG = 1
DENSE_UNITS = (200,) + (100,) * 7
N_OUTPUTS = 6

GLOBAL_NAME = "glob"
REG_NAME = "reg"
OUTPUT_NAME = "probs"
BATCH_DIM = "N"

ONNX_OPSET = 13
# IR version 7 belongs to opset 12/13 (onnx 1.7/1.8); ONNX Runtime 1.14 rejects newer IR versions.
ONNX_IR_VERSION = 7
ONNX_PRODUCER = "mlprof-examples"

DEFAULT_SEED = 1
CHECK_SEED = 12345
CHECK_BATCH_SIZES = (1, 7)
CHECK_ATOL = 1e-5

FUSED_FILE = "onnx_graph_deepjet_fused.onnx"
LOOP_FILE = "onnx_graph_deepjet_loop.onnx"
EXPORT_FILE = "onnx_graph_deepjet_export.onnx"
BN_EPSILON = 1e-3


# --------------------------------------------------------------------------------------------
# model specification and weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """One candidate input: ``[N, length, n_features]`` -> 1x1 conv stack -> LSTM with ``hidden`` units."""

    name: str
    length: int
    n_features: int
    filters: tuple[int, ...]
    hidden: int

    @property
    def n_conv_out(self) -> int:
        """Number of channels that enter the LSTM."""
        return self.filters[-1]


BRANCHES = (
    Branch("cpf", 25, 16, (64, 32, 32, 8), 150),
    Branch("npf", 25, 6, (32, 16, 4), 50),
    Branch("sv", 4, 12, (64, 32, 32, 8), 50),
)
N_CONCAT = N_GLOBAL + sum(b.hidden for b in BRANCHES) + N_REG  # 266


@dataclass(frozen=True)
class LSTMWeights:
    """Weights of one LSTM in the ONNX layout: ``w`` [4H, C], ``r`` [4H, H], ``b`` [4H], gates i, o, f, c."""

    w: np.ndarray
    r: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class Weights:
    """float32 weights of the model.

    ``convs[i]`` holds the 1x1 conv kernels ``[out, in, 1]`` and biases of branch ``BRANCHES[i]``;
    dense kernels are ``[in, out]``, the last dense layer is the softmax output layer.
    """

    convs: tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]
    lstms: tuple[LSTMWeights, ...]
    dense: tuple[tuple[np.ndarray, np.ndarray], ...]

    @property
    def n_params(self) -> int:
        """Total number of parameters."""
        conv = sum(k.size + b.size for layers in self.convs for k, b in layers)
        lstm = sum(x.w.size + x.r.size + x.b.size for x in self.lstms)
        return conv + lstm + sum(k.size + b.size for k, b in self.dense)


def _kernel(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """Normal float32 kernel scaled by 1/sqrt(fan_in): activations stay of order one, no saturation."""
    return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def _bias(rng: np.random.Generator, n: int) -> np.ndarray:
    """Small non-zero float32 bias, so that the bias additions are exercised by the checks."""
    return rng.uniform(-0.05, 0.05, size=(n,)).astype(np.float32)


def make_weights(seed: int) -> Weights:
    """Draw all weights from ``numpy.random.default_rng(seed)`` in branch and layer order."""
    rng = np.random.default_rng(seed)
    convs = []
    lstms = []
    for branch in BRANCHES:
        layers = []
        n_in = branch.n_features
        for n_out in branch.filters:
            layers.append((_kernel(rng, (n_out, n_in, 1), n_in), _bias(rng, n_out)))
            n_in = n_out
        convs.append(tuple(layers))
        hidden = branch.hidden
        lstms.append(
            LSTMWeights(
                w=_kernel(rng, (4 * hidden, n_in), n_in),
                r=_kernel(rng, (4 * hidden, hidden), hidden),
                b=_bias(rng, 4 * hidden),
            )
        )
    dense = []
    n_in = N_CONCAT
    for n_out in DENSE_UNITS + (N_OUTPUTS,):
        dense.append((_kernel(rng, (n_in, n_out), n_in), _bias(rng, n_out)))
        n_in = n_out
    return Weights(convs=tuple(convs), lstms=tuple(lstms), dense=tuple(dense))


# --------------------------------------------------------------------------------------------
# ONNX graph construction
# --------------------------------------------------------------------------------------------


class GraphBuilder:
    """Collects the nodes and initializers of one graph; every node is named after its first output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def init(self, name: str, array: np.ndarray) -> str:
        """Add an initializer and return its name."""
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: object) -> list[str]:
        """Add a node with (sorted) attributes and return its outputs."""
        self.nodes.append(make_node(op, inputs, outputs, **attrs))
        return outputs

    def op(self, op: str, inputs: list[str], output: str, **attrs: object) -> str:
        """Add a single-output node and return its output."""
        return self.node(op, inputs, [output], **attrs)[0]


def make_node(op: str, inputs: list[str], outputs: list[str], **attrs: object) -> onnx.NodeProto:
    """A node named after its first output, with attributes in sorted order."""
    proto = helper.make_node(op, inputs, outputs, name=outputs[0])
    proto.attribute.extend(helper.make_attribute(key, value) for key, value in sorted(attrs.items()))
    return proto


def conv_branch(g: GraphBuilder, branch: Branch, layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    """``[N, L, C]`` (Keras channels-last) -> 1x1 Conv + Relu stack -> time-major ``[L, N, C_out]``."""
    p = branch.name
    a = g.op("Transpose", [p], f"{p}/to_ncl", perm=[0, 2, 1])
    for i, (kernel, bias) in enumerate(layers):
        k = g.init(f"{p}/conv_{i}/kernel", kernel)
        a = g.op("Conv", [a, k, g.init(f"{p}/conv_{i}/bias", bias)], f"{p}/conv_{i}/conv", kernel_shape=[1])
        a = g.op("Relu", [a], f"{p}/conv_{i}/relu")
    return g.op("Transpose", [a], f"{p}/to_lnc", perm=[2, 0, 1])


def lstm_fused(g: GraphBuilder, branch: Branch, seq: str, weights: LSTMWeights) -> str:
    """One ONNX LSTM node on ``seq`` [L, N, C]; returns its final hidden state squeezed to ``[N, H]``."""
    p = f"{branch.name}/lstm"
    w = g.init(f"{p}/W", weights.w[np.newaxis])
    r = g.init(f"{p}/R", weights.r[np.newaxis])
    # ONNX splits the bias into input and recurrence parts (Wb, Rb); Keras has one, tf2onnx sets Rb = 0
    b = g.init(f"{p}/B", np.concatenate([weights.b, np.zeros_like(weights.b)])[np.newaxis])
    _, y_h = g.node("LSTM", [seq, w, r, b], [f"{p}/Y", f"{p}/Y_h"], hidden_size=branch.hidden)
    return g.op("Squeeze", [y_h, g.init(f"{p}/squeeze_axes", np.array([0], np.int64))], f"{p}/h")


def lstm_cell_body(branch: Branch, seq: str, wt: str, rt: str, bias: str) -> onnx.GraphProto:
    """Loop body of one LSTM time step: (iteration, cond, h, c) -> (cond, h', c').

    The time step is read from the outer ``seq`` [L, N, C] and the weights ``wt`` [C, 4H], ``rt`` [H, 4H],
    ``bias`` [4H] from the outer graph's initializers.
    """
    nodes: list[onnx.NodeProto] = []

    def op(op_type: str, inputs: list[str], outputs: list[str], **attrs: object) -> None:
        nodes.append(make_node(op_type, inputs, outputs, **attrs))

    op("Gather", [seq, "t"], ["x_t"], axis=0)  # [N, C]
    op("MatMul", ["x_t", wt], ["xw"])
    op("MatMul", ["h_prev", rt], ["hr"])
    op("Add", ["xw", "hr"], ["gates_sum"])
    op("Add", ["gates_sum", bias], ["gates"])  # [N, 4H]
    op("Split", ["gates"], ["i", "o", "f", "c"], axis=1)
    op("Sigmoid", ["i"], ["i_act"])
    op("Sigmoid", ["o"], ["o_act"])
    op("Sigmoid", ["f"], ["f_act"])
    op("Tanh", ["c"], ["c_act"])
    op("Mul", ["f_act", "c_prev"], ["f_c"])
    op("Mul", ["i_act", "c_act"], ["i_c"])
    op("Add", ["f_c", "i_c"], ["c_new"])
    op("Tanh", ["c_new"], ["c_new_act"])
    op("Mul", ["o_act", "c_new_act"], ["h_new"])
    op("Identity", ["cond"], ["cond_out"])
    op("Identity", ["h_new"], ["h_out"])
    op("Identity", ["c_new"], ["c_out"])

    def state(name: str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [BATCH_DIM, branch.hidden])

    return helper.make_graph(
        nodes,
        f"{branch.name}_lstm_body",
        [
            helper.make_tensor_value_info("t", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            state("h_prev"),
            state("c_prev"),
        ],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), state("h_out"), state("c_out")],
    )


def lstm_loop(g: GraphBuilder, branch: Branch, seq: str, weights: LSTMWeights) -> str:
    """The LSTM on ``seq`` [L, N, C] as an ONNX Loop over its time steps; returns the final ``[N, H]``."""
    p = f"{branch.name}/lstm"
    wt = g.init(f"{p}/W_t", np.ascontiguousarray(weights.w.T))
    rt = g.init(f"{p}/R_t", np.ascontiguousarray(weights.r.T))
    bias = g.init(f"{p}/B", weights.b)
    # zero initial state [N, H] with the dynamic batch size: first time step times a zero matrix
    x0 = g.op("Gather", [seq, g.init(f"{p}/t0", np.array(0, np.int64))], f"{p}/x0", axis=0)
    zeros = g.init(f"{p}/zeros", np.zeros((branch.n_conv_out, branch.hidden), np.float32))
    state0 = g.op("MatMul", [x0, zeros], f"{p}/state0")
    n_steps = g.init(f"{p}/n_steps", np.array(branch.length, np.int64))
    cond = g.init(f"{p}/cond", np.array(True))
    h, _ = g.node(
        "Loop",
        [n_steps, cond, state0, state0],
        [f"{p}/h", f"{p}/c"],
        body=lstm_cell_body(branch, seq, wt, rt, bias),
    )
    return h


def batch_norm(g: GraphBuilder, x: str, channels: int, name: str) -> str:
    """An inference BatchNormalization that is the identity (scale 1, bias 0, mean 0, variance 1 - epsilon), as a
    PyTorch export keeps each of the model's normalisations as a node of its own."""
    one = np.ones(channels, np.float32)
    zero = np.zeros(channels, np.float32)
    inputs = [
        x,
        g.init(f"{name}/scale", one),
        g.init(f"{name}/bias", zero),
        g.init(f"{name}/mean", zero),
        g.init(f"{name}/var", np.full(channels, 1.0 - BN_EPSILON, np.float32)),
    ]
    return g.op("BatchNormalization", inputs, f"{name}/bn", epsilon=BN_EPSILON)


def conv_branch_export(g: GraphBuilder, branch: Branch, layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    """The conv branch as PyTorch exports it: a BatchNormalization of the input and after every 1x1 Conv."""
    p = branch.name
    a = g.op("Transpose", [p], f"{p}/to_ncl", perm=[0, 2, 1])
    a = batch_norm(g, a, branch.n_features, f"{p}/input_norm")
    for i, (kernel, bias) in enumerate(layers):
        k = g.init(f"{p}/conv_{i}/kernel", kernel)
        a = g.op("Conv", [a, k, g.init(f"{p}/conv_{i}/bias", bias)], f"{p}/conv_{i}/conv", kernel_shape=[1])
        a = batch_norm(g, a, kernel.shape[0], f"{p}/conv_{i}/norm")
        a = g.op("Relu", [a], f"{p}/conv_{i}/relu")
    return g.op("Transpose", [a], f"{p}/to_lnc", perm=[2, 0, 1])


def lstm_export(g: GraphBuilder, branch: Branch, seq: str, weights: LSTMWeights) -> str:
    """The LSTM as PyTorch exports it: zero initial states built at run time from the input's shape
    (Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape), the full output Y sliced to its last step."""
    p = f"{branch.name}/lstm"
    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    shape = g.op("Shape", [seq], f"{p}/shape")
    n = g.op("Gather", [shape, g.init(f"{p}/batch_axis", np.array(1, np.int64))], f"{p}/n", axis=0)
    n = g.op("Unsqueeze", [n, g.init(f"{p}/unsqueeze_axes", i64(0))], f"{p}/n_1d")
    dims = g.op("Concat", [g.init(f"{p}/layers", i64(1)), n, g.init(f"{p}/hidden", i64(branch.hidden))], f"{p}/dims", axis=0)
    zero = helper.make_tensor("value", TensorProto.FLOAT, [1], [0.0])
    h0 = g.op("ConstantOfShape", [dims], f"{p}/h0", value=zero)
    c0 = g.op("ConstantOfShape", [dims], f"{p}/c0", value=zero)
    w = g.init(f"{p}/W", weights.w[np.newaxis])
    r = g.init(f"{p}/R", weights.r[np.newaxis])
    b = g.init(f"{p}/B", np.concatenate([weights.b, np.zeros_like(weights.b)])[np.newaxis])
    y, _, _ = g.node("LSTM", [seq, w, r, b, "", h0, c0], [f"{p}/Y", f"{p}/Y_h", f"{p}/Y_c"], hidden_size=branch.hidden)
    ends = g.init(f"{p}/slice_ends", i64(np.iinfo(np.int64).max))
    last = g.op("Slice", [y, g.init(f"{p}/slice_starts", i64(-1)), ends, g.init(f"{p}/slice_axes", i64(0))], f"{p}/last")
    return g.op("Squeeze", [last, g.init(f"{p}/squeeze_axes", i64(0, 1))], f"{p}/h")


def build_model(weights: Weights, form: str) -> onnx.ModelProto:
    """Build the DeepJet-like model with its LSTMs in ``form`` "fused" or "loop", or in the "export" form of a
    PyTorch export (the fused LSTM with run-time initial states, and identity BatchNormalizations)."""
    g = GraphBuilder()
    lstm = {"fused": lstm_fused, "loop": lstm_loop, "export": lstm_export}[form]
    branch_of = conv_branch_export if form == "export" else conv_branch
    states = []
    for branch, layers, lstm_weights in zip(BRANCHES, weights.convs, weights.lstms, strict=True):
        states.append(lstm(g, branch, branch_of(g, branch, layers), lstm_weights))
    glob = batch_norm(g, GLOBAL_NAME, N_GLOBAL, "glob_norm") if form == "export" else GLOBAL_NAME
    a = g.op("Concat", [glob, *states, REG_NAME], "concat", axis=1)  # [N, 266]
    for i, (kernel, bias) in enumerate(weights.dense):
        k, b = g.init(f"dense_{i}/kernel", kernel), g.init(f"dense_{i}/bias", bias)
        a = g.op("Gemm", [a, k, b], f"dense_{i}/gemm")
        if i < len(weights.dense) - 1:
            if form == "export":
                a = batch_norm(g, a, kernel.shape[1], f"dense_{i}/norm")
            a = g.op("Relu", [a], f"dense_{i}/relu")
    g.op("Softmax", [a], OUTPUT_NAME, axis=1)

    def value_info(name: str, shape: Sequence[int]) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [BATCH_DIM, *shape])

    graph = helper.make_graph(
        g.nodes,
        f"mlprof_btag_deepjet_{form}",
        [value_info(name, shape) for name, shape in input_shapes().items()],
        [value_info(OUTPUT_NAME, [N_OUTPUTS])],
        initializer=g.initializers,
        doc_string=f"DeepJet-like b-tagging example of MLProf, LSTMs in {form} form (untrained)",
    )
    model = helper.make_model(
        graph,
        producer_name=ONNX_PRODUCER,
        producer_version="1.0.0",
        opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
    )
    model.ir_version = ONNX_IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def input_shapes() -> dict[str, list[int]]:
    """Input names and shapes without the batch dimension, in model order."""
    shapes = {GLOBAL_NAME: [N_GLOBAL]}
    shapes.update({b.name: [b.length, b.n_features] for b in BRANCHES})
    shapes[REG_NAME] = [N_REG]
    return shapes


def count_nodes(graph: onnx.GraphProto) -> tuple[int, int]:
    """Numbers of top-level nodes and of nodes inside subgraphs (Loop bodies), recursively."""
    inner = 0
    for node in graph.node:
        for attr in node.attribute:
            for sub in ([attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)):
                top, deeper = count_nodes(sub)
                inner += top + deeper
    return len(graph.node), inner


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def check_models(paths: dict[str, Path]) -> None:
    """Evaluate the models with ONNX Runtime at the check batch sizes; raises on a failed check."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not importable: skipping the ONNX Runtime checks")
        return
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    sessions = {
        form: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for form, path in paths.items()
    }
    print(f"checking with onnxruntime {ort.__version__}")
    rng = np.random.default_rng(CHECK_SEED)
    for batch_size in CHECK_BATCH_SIZES:
        feeds = {
            name: rng.standard_normal((batch_size, *shape)).astype(np.float32)
            for name, shape in input_shapes().items()
        }
        outputs = {}
        for form, session in sessions.items():
            (probs,) = session.run([OUTPUT_NAME], feeds)
            if probs.shape != (batch_size, N_OUTPUTS):
                raise RuntimeError(f"{form}, batch size {batch_size}: output shape {probs.shape}")
            if not np.all(np.isfinite(probs)):
                raise RuntimeError(f"{form}, batch size {batch_size}: non-finite outputs")
            deviation = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
            if deviation > CHECK_ATOL:
                raise RuntimeError(f"{form}, batch size {batch_size}: rows sum to 1 +- {deviation:.1e}")
            print(
                f"  {form:<5} batch size {batch_size}: shape {list(probs.shape)}, finite, "
                f"rows sum to 1 (max deviation {deviation:.1e})"
            )
            outputs[form] = probs
        for form in outputs:
            if form == "fused":
                continue
            diff = float(np.max(np.abs(outputs[form] - outputs["fused"])))
            if diff > CHECK_ATOL:
                raise RuntimeError(f"batch size {batch_size}: {form} and fused outputs differ by {diff:.1e}")
            print(f"  {form} vs fused batch size {batch_size}: max abs difference {diff:.1e}")
    print(f"checks passed: every form gives valid probabilities and they agree within {CHECK_ATOL:.0e} (absolute)")


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "examples" / "btag",
        help="output directory (default: examples/btag of the repository)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="weight seed (default: %(default)s)")
    parser.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime checks")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Write the three forms of the model, then check them."""
    args = parse_args(argv)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = make_weights(args.seed)
    print(f"DeepJet-like model: {weights.n_params:,} parameters (seed {args.seed})")
    paths = {"fused": out_dir / FUSED_FILE, "loop": out_dir / LOOP_FILE, "export": out_dir / EXPORT_FILE}
    for form, path in paths.items():
        model = build_model(weights, form)
        path.write_bytes(model.SerializeToString(deterministic=True))
        top, inner = count_nodes(model.graph)
        print(
            f"wrote {path}: {top} top-level nodes, {inner} in Loop bodies, "
            f"{path.stat().st_size / 1e6:.2f} MB"
        )
    if not args.no_check:
        check_models(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
