/** Graph files told apart by content before an engine sees them. */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { graphFileKind } from "../../src/model/file-kind.js";
import { EXAMPLES, FIXTURES } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "mlprof-kind-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const write = (name: string, content: string | Buffer) => {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
};

test("the examples' and fixtures' graphs: ONNX, GraphDef, a SavedModel's saved_model.pb", () => {
  assert.equal(graphFileKind(join(FIXTURES, "identity.onnx")), "onnx");
  assert.equal(graphFileKind(join(EXAMPLES, "btag", "onnx_graph_deepjet_fused.onnx")), "onnx");
  assert.equal(graphFileKind(join(EXAMPLES, "dnn", "frozen_graph_l10u128.pb")), "graphdef");
  assert.equal(graphFileKind(join(FIXTURES, "tf", "tf1_keras.pb")), "graphdef");
  assert.equal(
    graphFileKind(join(EXAMPLES, "cnn", "saved_model_i32c1v1l10u128", "saved_model.pb")),
    "savedmodel-pb",
  );
});

test("whatever the name says: a GraphDef renamed .onnx is a GraphDef", () => {
  const renamed = join(scratch, "renamed.onnx");
  cpSync(join(EXAMPLES, "dnn", "frozen_graph_l10u128.pb"), renamed);
  assert.equal(graphFileKind(renamed), "graphdef");
});

test("empty, Git LFS pointer, HDF5, zip, text and other bytes", () => {
  assert.equal(graphFileKind(write("empty.onnx", "")), "empty");
  const pointer =
    "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0".repeat(64) + "\nsize 1234\n";
  assert.equal(graphFileKind(write("lfs.onnx", pointer)), "lfs-pointer");
  assert.equal(
    graphFileKind(write("k.h5", Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0]))),
    "hdf5",
  );
  assert.equal(graphFileKind(write("k.keras", Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))), "zip");
  assert.equal(graphFileKind(write("model.yaml", "model:\n  inference_engine: onnx\n")), "text");
  assert.equal(graphFileKind(write("junk.onnx", Buffer.from([0xff, 0xff, 0xff, 0x00, 0x07]))), "other");
});
