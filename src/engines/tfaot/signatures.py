"""Writes a SavedModel with one serving signature per batch size, for saved_model_cli aot_compile_cpu.

As cms-tfaot / cmsml do before compiling: the signature `serving_key` of the SavedModel is wrapped in a
concrete function per batch size N, named `<serving_key>_bs<N>`, whose inputs have the leading (batch)
dimension fixed to N and are named `<input>_bs<N>`.

Known problems (missing serving key, inputs without a batch dimension or with other dynamic dimensions)
are printed on stderr as "mlprof: <message>" with exit code 3.

Usage: python signatures.py SAVED_MODEL OUT_DIR SERVING_KEY SIZES (comma-separated)
"""

import sys


def fail(message: str) -> None:
    print(f"mlprof: {message}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    src, dst, key, sizes_csv = sys.argv[1:5]
    sizes = sorted({int(s) for s in sizes_csv.split(",")})

    import tensorflow as tf

    model = tf.saved_model.load(src)
    if key not in model.signatures:
        fail(f"the SavedModel {src} has no serving signature '{key}'; it has: {', '.join(model.signatures) or 'none'}")
    func = model.signatures[key]
    inputs = func.structured_input_signature[1]
    for name, spec in inputs.items():
        dims = spec.shape.as_list() if spec.shape.rank is not None else None
        if not dims or dims[0] is not None:
            fail(
                f"input '{name}' of '{key}' has the shape {dims}, without a dynamic batch dimension first; "
                "CMSSW's TensorFlowAOT splits every input by batch element"
            )
        if any(d is None for d in dims[1:]):
            fail(f"input '{name}' of '{key}' has the shape {dims}: AOT compilation needs static dimensions besides the batch")

    signatures = {}
    for bs in sizes:
        specs = {
            name: tf.TensorSpec([bs] + spec.shape.as_list()[1:], spec.dtype, name=f"{name}_bs{bs}")
            for name, spec in inputs.items()
        }
        signatures[f"{key}_bs{bs}"] = tf.function(func).get_concrete_function(**specs)
    tf.saved_model.save(model, dst, signatures=signatures)


if __name__ == "__main__":
    main()
