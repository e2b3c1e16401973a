/**
 * A one-MatMul ONNX model with large weights (y = x · W, W float32 [k, m] of seeded values), encoded here
 * as protobuf (onnx.proto field numbers), so that a test can show how much memory a session holds.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

type Field = [number, number | string | Buffer];

/** A protobuf message of varint (numbers) and length-delimited (strings, buffers) fields. */
function message(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [field, value] of fields) {
    if (typeof value === "number") {
      parts.push(Buffer.from([...varint((field << 3) | 0), ...varint(value)]));
    } else {
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
      parts.push(Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes);
    }
  }
  return Buffer.concat(parts);
}

const FLOAT = 1;

/** ValueInfoProto of a float tensor with a symbolic batch dimension N and fixed dims. */
function floatInfo(name: string, dims: number[]): Buffer {
  const shape = message([[1, message([[2, "N"]])], ...dims.map((d): Field => [1, message([[1, d]])])]);
  return message([
    [1, name],
    [
      2,
      message([
        [
          1,
          message([
            [1, FLOAT],
            [2, shape],
          ]),
        ],
      ]),
    ],
  ]);
}

/**
 * Writes <dir>/<name>.onnx (W: k × m float32, 4 k m bytes) and its model file <dir>/<name>.yaml; returns the
 * yaml's path and the weights' size in bytes.
 */
export function writeWeightsModel(
  dir: string,
  name: string,
  k: number,
  m: number,
): { yaml: string; bytes: number } {
  const weights = new Float32Array(k * m);
  for (let i = 0; i < weights.length; i++)
    weights[i] = ((Math.imul(i, 2654435761) >>> 0) % 1000) / 1000 - 0.5;
  const raw = Buffer.from(weights.buffer);
  const tensor = message([
    [1, k],
    [1, m],
    [2, FLOAT],
    [8, "W"],
    [9, raw],
  ]);
  const node = message([
    [1, "x"],
    [1, "W"],
    [2, "y"],
    [3, "matmul"],
    [4, "MatMul"],
  ]);
  const graph = message([
    [1, node],
    [2, name],
    [5, tensor],
    [11, floatInfo("x", [k])],
    [12, floatInfo("y", [m])],
  ]);
  const model = message([
    [1, 8],
    [
      8,
      message([
        [1, ""],
        [2, 17],
      ]),
    ],
    [7, graph],
  ]);
  writeFileSync(join(dir, `${name}.onnx`), model);
  const yaml = join(dir, `${name}.yaml`);
  writeFileSync(
    yaml,
    `model:\n  name: ${name}\n  inference_engine: onnx\n  file: ./${name}.onnx\n  inputs:\n    - name: x\n      shape: [${k}]\n  outputs:\n    - name: y\n`,
  );
  return { yaml, bytes: raw.length };
}
