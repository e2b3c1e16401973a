/**
 * What a model's graph file is, read from its content before an engine sees it: an ONNX model, a
 * TensorFlow GraphDef (frozen graph), a SavedModel's saved_model.pb, a Git LFS pointer, an empty file, a
 * text file, another kind of file. An engine given the wrong kind would fail with its own words (ONNX
 * Runtime's "ModelProto does not have a graph" with a C++ signature) or, worse, load an empty graph.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The kinds of graph files told apart. */
export type GraphFileKind =
  "onnx" | "graphdef" | "savedmodel-pb" | "empty" | "lfs-pointer" | "hdf5" | "zip" | "text" | "other";

/** How messages describe each kind ("an ONNX model (ModelProto)"). */
export const KIND_TEXT: Record<GraphFileKind, string> = {
  onnx: "an ONNX model (a ModelProto)",
  graphdef: "a TensorFlow frozen graph (a GraphDef)",
  "savedmodel-pb":
    "the saved_model.pb of a TensorFlow SavedModel (a SavedModel is a folder, for the tfaot engine)",
  empty: "an empty file",
  "lfs-pointer": "a Git LFS pointer, not the model",
  hdf5: "an HDF5 file (a Keras .h5 model?)",
  zip: "a zip archive (a .keras or PyTorch file?)",
  text: "a text file",
  other: "neither an ONNX model nor a TensorFlow graph (not a protobuf message)",
};

/** The first line of a Git LFS pointer file. */
const LFS_POINTER = "version https://git-lfs.github.com/spec/v1";

/** Protobuf wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Reads a file by position through a 64 KiB window (a graph file may be larger than memory allows). */
class Reader {
  private readonly window = Buffer.alloc(64 * 1024);
  private start = 0;
  private length = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}
  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.length) {
      this.start = pos;
      this.length = readSync(this.fd, this.window, 0, this.window.length, pos);
      if (this.length === 0) return -1;
    }
    return this.window[pos - this.start]!;
  }
  /** A varint at `pos`: its value (exact up to 2^53) and the position after it; undefined when invalid. */
  varint(pos: number): { value: number; next: number } | undefined {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(pos + i);
      if (b < 0) return undefined;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
    }
    return undefined;
  }
}

/**
 * The top-level fields of a protobuf message filling the whole file, as "number:wiretype" (e.g. "7:2"),
 * or undefined when the file is not one well-formed message.
 */
function topLevelFields(reader: Reader): Set<string> | undefined {
  const fields = new Set<string>();
  let pos = 0;
  while (pos < reader.size) {
    const tag = reader.varint(pos);
    if (!tag) return undefined;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) return undefined;
    pos = tag.next;
    if (wire === VARINT) {
      const v = reader.varint(pos);
      if (!v) return undefined;
      pos = v.next;
    } else if (wire === I64) pos += 8;
    else if (wire === I32) pos += 4;
    else if (wire === LEN) {
      const len = reader.varint(pos);
      if (!len) return undefined;
      pos = len.next + len.value;
    } else return undefined;
    fields.add(`${field}:${wire}`);
  }
  return pos === reader.size ? fields : undefined;
}

/** The kind of a protobuf message by its top-level fields (ModelProto, GraphDef, SavedModel). */
function protobufKind(fields: Set<string>): GraphFileKind {
  const only = (allowed: string[]) => [...fields].every((f) => allowed.includes(f));
  // ModelProto: ir_version 1, producer 2-3, domain 4, model_version 5, doc 6, graph 7, opsets 8, ...
  if (fields.has("7:2") && !fields.has("1:2")) return "onnx";
  // GraphDef: node 1, library 2, version 3 (deprecated), versions 4
  if ((fields.has("1:2") || fields.has("4:2")) && only(["1:2", "2:2", "3:0", "4:2"])) return "graphdef";
  // SavedModel: saved_model_schema_version 1, meta_graphs 2
  if (fields.has("2:2") && only(["1:0", "2:2"])) return "savedmodel-pb";
  return "other";
}

/** Whether a buffer is text: no NUL, few control characters besides tab, newline and carriage return. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  return control / head.length < 0.01;
}

/** What the graph file at `path` is, from its content (see GraphFileKind). */
export function graphFileKind(path: string): GraphFileKind {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return "empty";
    const head = Buffer.alloc(Math.min(size, 512));
    readSync(fd, head, 0, head.length, 0);
    if (head.subarray(0, LFS_POINTER.length).toString("latin1") === LFS_POINTER) return "lfs-pointer";
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])))
      return "hdf5";
    if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return "zip";
    const fields = topLevelFields(new Reader(fd, size));
    if (fields) return protobufKind(fields);
    return looksLikeText(head) ? "text" : "other";
  } finally {
    closeSync(fd);
  }
}
