#!/usr/bin/env python3
"""Build the MLProf example models deterministically.

Recreates the example model families of the original MLProf (cms-ml/MLProf,
``examples/dnn`` and ``examples/cnn``) without Keras, tf2onnx or cmsml:

* DNN ``l{layers}u{units}``: 64 inputs -> ``layers`` x ``units`` dense (ELU) -> 8 outputs (softmax).
* CNN ``i{size}c{channels}v{convs}l{layers}u{units}``: flat input of ``size*size*channels``
  values, reshaped to an NHWC image -> ``convs`` x (3x3 conv with 32 filters, ELU, 2x2 max
  pooling) -> flatten -> ``layers`` x ``units`` dense (ELU) -> 8 outputs (softmax).

Weights are drawn once per model with ``numpy.random.default_rng(seed)`` and written, from
the same arrays, as

1. a frozen TensorFlow graph ``frozen_graph_<tag>.pb`` (input ``input``, output ``Identity``),
2. a TensorFlow SavedModel ``saved_model_<tag>/`` (signature ``serving_default``, input
   ``input``, output ``output``, dynamic batch dimension), the source for XLA AOT compilation,
3. an ONNX model ``onnx_graph_<tag>.onnx`` (opset 17, input ``input`` [N, features], output
   ``output`` [N, 8]).

Alongside, the model-file yamls MLProf reads (``model_{tf,onnx,tfaot}_<tag>*.yaml``) are
written with the file names, names, labels and versions of the original examples.

All outputs are byte-identical across runs (with the same package versions); the random
``uuid`` TensorFlow writes into a SavedModel's ``fingerprint.pb`` is replaced by one derived
from the model's content hashes.

Unless ``--no-check`` is given, all three formats are evaluated afterwards on random inputs
at batch sizes 1 and 7 and compared against each other, and a summary table is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import yaml  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from tensorflow.core.protobuf.fingerprint_pb2 import FingerprintDef  # noqa: E402
from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
    convert_variables_to_constants_v2,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

N_DNN_INPUTS = 64
N_OUTPUTS = 8
N_FILTERS = 32
KERNEL_SIZE = 3
POOL_SIZE = 2

INPUT_NAME = "input"
TF_OUTPUT_NAME = "Identity"
OUTPUT_NAME = "output"
SERVING_KEY = "serving_default"

ONNX_OPSET = 17
# IR version 8 is the one that belongs to opset 17 (onnx 1.12); pinning it keeps the files
# loadable by the older ONNX Runtime releases shipped with CMSSW.
ONNX_IR_VERSION = 8
ONNX_PRODUCER = "mlprof-examples"

DEFAULT_SEED = 1
CHECK_SEED = 12345
CHECK_BATCH_SIZES = (1, 7)
CHECK_RTOL = 1e-5

OPT_XLA_FLAGS = ("--xla_cpu_enable_fast_math=true",)
OPT_XLA_COMMENT = (
    "the original MLProf example also sets --xla_cpu_use_xla_runtime=true, which the XLA",
    'of TensorFlow 2.21 rejects ("Unknown flag in XLA_FLAGS"), so only fast math is kept',
)
BS_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


# --------------------------------------------------------------------------------------------
# model specifications and weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of one example model; ``n_convs == 0`` means a plain DNN."""

    family: Literal["dnn", "cnn"]
    n_layers: int
    n_units: int
    image_size: int = 0
    n_channels: int = 0
    n_convs: int = 0

    @property
    def tag(self) -> str:
        """File-name tag as used by the original examples, e.g. ``l10u128`` or ``i32c1v3l10u128``."""
        dense = f"l{self.n_layers}u{self.n_units}"
        if self.family == "dnn":
            return dense
        return f"i{self.image_size}c{self.n_channels}v{self.n_convs}{dense}"

    @property
    def n_inputs(self) -> int:
        """Number of input features per example (the flattened image for CNNs)."""
        if self.family == "dnn":
            return N_DNN_INPUTS
        return self.image_size**2 * self.n_channels

    @property
    def conv_output_size(self) -> int:
        """Spatial edge length after all conv ("valid" padding) and pooling stages."""
        size = self.image_size
        for _ in range(self.n_convs):
            size = (size - KERNEL_SIZE + 1) // POOL_SIZE
        return size

    @property
    def n_flat(self) -> int:
        """Number of features that enter the first dense layer."""
        if self.family == "dnn":
            return self.n_inputs
        return self.conv_output_size**2 * N_FILTERS


DNN_MODELS = tuple(ModelSpec("dnn", n_layers, n_units) for n_layers in (10, 20) for n_units in (128, 256))
CNN_MODELS = (
    ModelSpec("cnn", 10, 128, image_size=32, n_channels=1, n_convs=1),
    ModelSpec("cnn", 10, 128, image_size=32, n_channels=1, n_convs=3),
    ModelSpec("cnn", 20, 128, image_size=32, n_channels=1, n_convs=3),
    ModelSpec("cnn", 10, 128, image_size=64, n_channels=3, n_convs=4),
    ModelSpec("cnn", 20, 128, image_size=64, n_channels=3, n_convs=4),
)
ALL_MODELS = DNN_MODELS + CNN_MODELS


@dataclass(frozen=True)
class Weights:
    """float32 weights of one model.

    Conv kernels are in TensorFlow's HWIO layout, dense kernels are ``[in, out]``; the last
    dense layer is the softmax output layer.
    """

    convs: tuple[tuple[np.ndarray, np.ndarray], ...]
    dense: tuple[tuple[np.ndarray, np.ndarray], ...]

    @property
    def n_params(self) -> int:
        """Total number of parameters."""
        return sum(k.size + b.size for k, b in self.convs + self.dense)


def _glorot_uniform(
    rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int
) -> np.ndarray:
    """Glorot-uniform initialised float32 array (the Keras default kernel initialiser)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def _bias(rng: np.random.Generator, n: int) -> np.ndarray:
    """Small non-zero float32 bias, so that the bias additions are exercised by the checks."""
    return rng.uniform(-0.05, 0.05, size=(n,)).astype(np.float32)


def make_weights(spec: ModelSpec, seed: int) -> Weights:
    """Draw all weights of ``spec`` from ``numpy.random.default_rng(seed)`` in layer order."""
    rng = np.random.default_rng(seed)
    receptive = KERNEL_SIZE * KERNEL_SIZE

    convs = []
    n_in = spec.n_channels
    for _ in range(spec.n_convs):
        shape = (KERNEL_SIZE, KERNEL_SIZE, n_in, N_FILTERS)
        kernel = _glorot_uniform(rng, shape, receptive * n_in, receptive * N_FILTERS)
        convs.append((kernel, _bias(rng, N_FILTERS)))
        n_in = N_FILTERS

    dense = []
    n_in = spec.n_flat
    for n_out in [spec.n_units] * spec.n_layers + [N_OUTPUTS]:
        dense.append((_glorot_uniform(rng, (n_in, n_out), n_in, n_out), _bias(rng, n_out)))
        n_in = n_out

    return Weights(convs=tuple(convs), dense=tuple(dense))


# --------------------------------------------------------------------------------------------
# TensorFlow: SavedModel and frozen graph
# --------------------------------------------------------------------------------------------


class TFExampleModel(tf.Module):
    """TensorFlow module holding the weights as variables, with a ``serve`` function."""

    def __init__(self, spec: ModelSpec, weights: Weights) -> None:
        """Create variables from ``weights`` and the ``serve`` function for ``spec``."""
        super().__init__(name=f"model_{spec.tag}")
        self.spec = spec
        self.conv_kernels = [
            tf.Variable(k, name=f"conv_{i}/kernel") for i, (k, _) in enumerate(weights.convs)
        ]
        self.conv_biases = [tf.Variable(b, name=f"conv_{i}/bias") for i, (_, b) in enumerate(weights.convs)]
        self.dense_kernels = [
            tf.Variable(k, name=f"dense_{i}/kernel") for i, (k, _) in enumerate(weights.dense)
        ]
        self.dense_biases = [tf.Variable(b, name=f"dense_{i}/bias") for i, (_, b) in enumerate(weights.dense)]
        self.serve = tf.function(
            self._forward,
            input_signature=[tf.TensorSpec([None, spec.n_inputs], tf.float32, name=INPUT_NAME)],
        )

    def _forward(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        """Forward pass on a ``[batch, n_inputs]`` tensor, returning ``{"output": probabilities}``."""
        spec = self.spec
        a = x
        if spec.n_convs:
            a = tf.reshape(a, [-1, spec.image_size, spec.image_size, spec.n_channels])
            for kernel, bias in zip(self.conv_kernels, self.conv_biases, strict=True):
                a = tf.nn.conv2d(a, kernel, strides=1, padding="VALID")
                a = tf.nn.elu(tf.nn.bias_add(a, bias))
                a = tf.nn.max_pool2d(a, ksize=POOL_SIZE, strides=POOL_SIZE, padding="VALID")
            a = tf.reshape(a, [-1, spec.n_flat])
        for kernel, bias in zip(self.dense_kernels[:-1], self.dense_biases[:-1], strict=True):
            a = tf.nn.elu(tf.nn.bias_add(tf.matmul(a, kernel), bias))
        logits = tf.nn.bias_add(tf.matmul(a, self.dense_kernels[-1]), self.dense_biases[-1])
        return {OUTPUT_NAME: tf.nn.softmax(logits)}


def write_saved_model(module: TFExampleModel, path: Path) -> None:
    """Save ``module`` as a SavedModel with a single ``serving_default`` signature."""
    if path.exists():
        shutil.rmtree(path)
    tf.saved_model.save(module, str(path), signatures={SERVING_KEY: module.serve.get_concrete_function()})
    _stabilize_fingerprint(path / "fingerprint.pb")


def _stabilize_fingerprint(path: Path) -> None:
    """Replace the random ``uuid`` of a SavedModel fingerprint by one derived from its content hashes.

    All other fingerprint fields are hashes of the saved content, so this makes the whole
    SavedModel directory reproducible; the uuid stays unique for every distinct model.
    """
    fingerprint = FingerprintDef.FromString(path.read_bytes())
    digest = hashlib.sha256(
        f"{fingerprint.saved_model_checksum}:{fingerprint.checkpoint_hash}".encode()
    ).digest()
    fingerprint.uuid = str(int.from_bytes(digest[:16], "big"))
    path.write_bytes(fingerprint.SerializeToString(deterministic=True))


def write_frozen_graph(module: TFExampleModel, path: Path) -> None:
    """Freeze the variables of ``module.serve`` into constants and write the GraphDef."""
    frozen = convert_variables_to_constants_v2(module.serve.get_concrete_function())
    graph_def = frozen.graph.as_graph_def()
    nodes = {node.name: node.op for node in graph_def.node}
    if nodes.get(INPUT_NAME) != "Placeholder" or TF_OUTPUT_NAME not in nodes:
        raise RuntimeError(f"unexpected frozen graph I/O nodes in {path.name}: {sorted(nodes)}")
    path.write_bytes(graph_def.SerializeToString(deterministic=True))


# --------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------


def build_onnx_model(spec: ModelSpec, weights: Weights) -> onnx.ModelProto:
    """Build the ONNX graph of ``spec`` with the onnx helper API (NCHW convolutions)."""
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []

    def init(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: int | list[int]) -> str:
        proto = helper.make_node(op, inputs, [output], name=output)
        proto.attribute.extend(helper.make_attribute(key, value) for key, value in sorted(attrs.items()))
        nodes.append(proto)
        return output

    a = INPUT_NAME
    if spec.n_convs:
        image_shape = np.array([-1, spec.image_size, spec.image_size, spec.n_channels], dtype=np.int64)
        a = node("Reshape", [a, init("reshape/shape", image_shape)], "reshape/nhwc")
        a = node("Transpose", [a], "reshape/nchw", perm=[0, 3, 1, 2])
        for i, (kernel, bias) in enumerate(weights.convs):
            k = init(f"conv_{i}/kernel", np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
            a = node(
                "Conv",
                [a, k, init(f"conv_{i}/bias", bias)],
                f"conv_{i}/conv",
                kernel_shape=[KERNEL_SIZE, KERNEL_SIZE],
                strides=[1, 1],
                pads=[0, 0, 0, 0],
            )
            a = node("Elu", [a], f"conv_{i}/elu")
            a = node(
                "MaxPool",
                [a],
                f"conv_{i}/pool",
                kernel_shape=[POOL_SIZE, POOL_SIZE],
                strides=[POOL_SIZE, POOL_SIZE],
            )
        # flatten in NHWC order, as TensorFlow does
        a = node("Transpose", [a], "flatten/nhwc", perm=[0, 2, 3, 1])
        a = node("Flatten", [a], "flatten/flat", axis=1)

    n_dense = len(weights.dense)
    for i, (kernel, bias) in enumerate(weights.dense):
        a = node("MatMul", [a, init(f"dense_{i}/kernel", kernel)], f"dense_{i}/matmul")
        a = node("Add", [a, init(f"dense_{i}/bias", bias)], f"dense_{i}/add")
        if i < n_dense - 1:
            a = node("Elu", [a], f"dense_{i}/elu")
    nodes.append(helper.make_node("Softmax", [a], [OUTPUT_NAME], name="softmax", axis=-1))

    graph = helper.make_graph(
        nodes,
        f"mlprof_{spec.family}_{spec.tag}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", spec.n_inputs])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", N_OUTPUTS])],
        initializer=initializers,
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


def write_onnx(spec: ModelSpec, weights: Weights, path: Path) -> None:
    """Build and write the ONNX model of ``spec``."""
    path.write_bytes(build_onnx_model(spec, weights).SerializeToString(deterministic=True))


# --------------------------------------------------------------------------------------------
# model-file yamls
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YamlSpec:
    """One model-file yaml, e.g. ``model_tfaot_l10u256_bs.yaml``."""

    model: ModelSpec
    engine: Literal["tf", "onnx", "tfaot"]
    suffix: str = ""  # file-name suffix of variants, e.g. "bs" or "opt"
    label_suffix: str = ""
    batch_sizes: tuple[int, ...] = (1,)
    xla_flags: tuple[str, ...] = ()
    xla_comment: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """File name of the yaml."""
        suffix = f"_{self.suffix}" if self.suffix else ""
        return f"model_{self.engine}_{self.model.tag}{suffix}.yaml"

    @property
    def label(self) -> str:
        """Plot label, as in the original examples."""
        m = self.model
        prefix = {"tf": "TF", "onnx": "ONNX", "tfaot": "AOT" if m.family == "dnn" else "TFAOT"}[self.engine]
        dense = f"{m.n_layers}x{m.n_units}"
        if m.family == "dnn":
            arch = dense
        else:
            arch = rf"{m.image_size}x{m.n_channels}$\circledast${m.n_convs}$\rightarrow${dense}"
        return f"{prefix} {arch}{self.label_suffix}"

    def render(self) -> str:
        """Yaml text, formatted like the original examples."""
        m = self.model
        lines = [
            "model:",
            f"  name: simple_{m.family}_{self.engine}",
            f"  label: {self.label}",
            '  version: "1.0.0"',
            f"  inference_engine: {self.engine}",
        ]
        if self.engine == "tfaot":
            lines += [
                f"  saved_model: ./saved_model_{m.tag}",
                f"  serving_key: {SERVING_KEY}",
                "",
                "compilation:",
                f"  batch_sizes: [{', '.join(map(str, self.batch_sizes))}]",
                "  tf_xla_flags: []",
            ]
            if self.xla_flags:
                lines.append("  xla_flags:")
                lines += [f"    # {line}" for line in self.xla_comment]
                lines += [f"    - {flag}" for flag in self.xla_flags]
            else:
                lines.append("  xla_flags: []")
        else:
            filename, output = (
                (f"frozen_graph_{m.tag}.pb", TF_OUTPUT_NAME)
                if self.engine == "tf"
                else (f"onnx_graph_{m.tag}.onnx", OUTPUT_NAME)
            )
            lines += [
                f"  file: ./{filename}",
                "  inputs:",
                f"    - name: {INPUT_NAME}",
                f"      shape: [{m.n_inputs}]",
                "  outputs:",
                f"    - name: {output}",
            ]
        return "\n".join(lines) + "\n"


def yaml_specs() -> list[YamlSpec]:
    """All yamls: one per model and engine, plus the original's batch-size and optimisation variants."""
    engines: tuple[Literal["tf", "onnx", "tfaot"], ...] = ("tf", "onnx", "tfaot")
    specs = [YamlSpec(m, engine) for m in ALL_MODELS for engine in engines]
    by_tag = {m.tag: m for m in ALL_MODELS}
    specs.append(
        YamlSpec(by_tag["l10u256"], "tfaot", suffix="bs", label_suffix=" BS", batch_sizes=BS_BATCH_SIZES)
    )
    specs.append(
        YamlSpec(
            by_tag["i32c1v3l10u128"],
            "tfaot",
            suffix="opt",
            xla_flags=OPT_XLA_FLAGS,
            xla_comment=OPT_XLA_COMMENT,
        )
    )
    return specs


# --------------------------------------------------------------------------------------------
# generation and checks
# --------------------------------------------------------------------------------------------


def model_paths(out_dir: Path, spec: ModelSpec) -> dict[str, Path]:
    """Paths of the three model files of ``spec``, keyed by engine."""
    family_dir = out_dir / spec.family
    return {
        "tf": family_dir / f"frozen_graph_{spec.tag}.pb",
        "tfaot": family_dir / f"saved_model_{spec.tag}",
        "onnx": family_dir / f"onnx_graph_{spec.tag}.onnx",
    }


def generate_model(out_dir: Path, spec: ModelSpec, weights: Weights) -> None:
    """Write the frozen graph, SavedModel and ONNX file of ``spec`` from ``weights``."""
    paths = model_paths(out_dir, spec)
    paths["tf"].parent.mkdir(parents=True, exist_ok=True)
    module = TFExampleModel(spec, weights)
    write_frozen_graph(module, paths["tf"])
    write_saved_model(module, paths["tfaot"])
    write_onnx(spec, weights, paths["onnx"])


def write_yamls(out_dir: Path) -> list[Path]:
    """Write all model-file yamls and return their paths."""
    paths = []
    for spec in yaml_specs():
        path = out_dir / spec.model.family / spec.filename
        path.write_text(spec.render())
        paths.append(path)
    return paths


def run_frozen_graph(path: Path, x: np.ndarray) -> np.ndarray:
    """Evaluate a frozen graph with a TF1-style session."""
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run(f"{TF_OUTPUT_NAME}:0", feed_dict={f"{INPUT_NAME}:0": x})


def run_saved_model(path: Path, x: np.ndarray) -> np.ndarray:
    """Evaluate the ``serving_default`` signature of a SavedModel."""
    signature = tf.saved_model.load(str(path)).signatures[SERVING_KEY]
    return signature(**{INPUT_NAME: tf.constant(x)})[OUTPUT_NAME].numpy()


def run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    """Evaluate an ONNX model with ONNX Runtime on the CPU."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative difference of ``a`` with respect to ``b``."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(np.float32).tiny)))


def check_model(out_dir: Path, spec: ModelSpec) -> tuple[float, float]:
    """Compare SavedModel and ONNX outputs against the frozen graph at the check batch sizes.

    Returns the largest relative deviations (SavedModel, ONNX); raises if one exceeds the tolerance.
    """
    paths = model_paths(out_dir, spec)
    rng = np.random.default_rng(CHECK_SEED)
    worst_sm = worst_onnx = 0.0
    for batch_size in CHECK_BATCH_SIZES:
        x = rng.standard_normal((batch_size, spec.n_inputs)).astype(np.float32)
        ref = run_frozen_graph(paths["tf"], x)
        if ref.shape != (batch_size, N_OUTPUTS):
            raise RuntimeError(f"{spec.tag}: unexpected output shape {ref.shape}")
        worst_sm = max(worst_sm, max_rel_diff(run_saved_model(paths["tfaot"], x), ref))
        worst_onnx = max(worst_onnx, max_rel_diff(run_onnx(paths["onnx"], x), ref))
    if max(worst_sm, worst_onnx) > CHECK_RTOL:
        raise RuntimeError(
            f"{spec.tag}: outputs differ (SavedModel {worst_sm:.2e}, ONNX {worst_onnx:.2e}, "
            f"tolerance {CHECK_RTOL:.0e})"
        )
    return worst_sm, worst_onnx


def check_yamls(yaml_paths: list[Path]) -> None:
    """Make sure every yaml parses and every model file it references exists."""
    for path in yaml_paths:
        model = yaml.safe_load(path.read_text())["model"]
        ref = model.get("file") or model["saved_model"]
        if not (path.parent / ref).exists():
            raise RuntimeError(f"{path.name}: referenced model {ref} does not exist")


def size_of(path: Path) -> int:
    """Size in bytes of a file, or of all files below a directory."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def print_summary(out_dir: Path, rows: Sequence[tuple[ModelSpec, int, tuple[float, float] | None]]) -> None:
    """Print a table with parameter counts, file sizes and check results."""
    columns = ("frozen", "saved", "onnx", "dSaved", "dONNX")
    header = f"{'model':<20} {'params':>10} {'inputs':>7} " + " ".join(f"{c:>9}" for c in columns)
    print(header)
    print("-" * len(header))
    for spec, n_params, diffs in rows:
        paths = model_paths(out_dir, spec)
        sizes = [f"{size_of(paths[e]) / 1e6:7.2f}MB" for e in ("tf", "tfaot", "onnx")]
        checks = [f"{d:9.1e}" for d in diffs] if diffs else ["-".rjust(9)] * 2
        name = f"{spec.family}/{spec.tag}"
        print(f"{name:<20} {n_params:>10,} {spec.n_inputs:>7} " + " ".join(sizes + checks))
    print(f"total size of {out_dir}: {size_of(out_dir) / 1e6:.1f} MB")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "examples",
        help="output directory, receives dnn/ and cnn/ (default: examples/ of the repository)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="weight seed (default: %(default)s)")
    parser.add_argument("--no-check", action="store_true", help="skip the cross-format equivalence checks")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generate all example models and yamls, then check them."""
    args = parse_args(argv)
    out_dir: Path = args.out
    rows = []
    for spec in ALL_MODELS:
        print(f"generating {spec.family}/{spec.tag}", flush=True)
        weights = make_weights(spec, args.seed)
        generate_model(out_dir, spec, weights)
        rows.append((spec, weights.n_params))
    yaml_paths = write_yamls(out_dir)
    print(f"wrote {len(yaml_paths)} yamls")

    if args.no_check:
        print_summary(out_dir, [(spec, n, None) for spec, n in rows])
        return 0
    check_yamls(yaml_paths)
    checked = [(spec, n, check_model(out_dir, spec)) for spec, n in rows]
    print_summary(out_dir, checked)
    print(f"checks passed: frozen graph, SavedModel and ONNX agree within {CHECK_RTOL:.0e} (relative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
