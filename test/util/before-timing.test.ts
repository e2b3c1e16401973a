/** Work registered to end before timed work (a browser kept for the next plot) ends before a measurement starts. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { beforeTimedWork } from "../../src/util/before-timing.js";
import { withMeasurementLock } from "../../src/util/lock.js";

const dir = mkdtempSync(join(tmpdir(), "mlprof-before-timing-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the hooks run once the host-wide lock is held, before the timed work, at every measurement", async () => {
  const saved = process.env.MLPROF_LOCK_DIR;
  process.env.MLPROF_LOCK_DIR = dir;
  try {
    const events: string[] = [];
    const closeBrowser = () => {
      events.push("browser closed");
      return Promise.resolve();
    };
    beforeTimedWork(closeBrowser);
    beforeTimedWork(closeBrowser); // registered once
    beforeTimedWork(() => Promise.reject(new Error("a failing hook does not stop the measurement")));
    for (const k of [1, 2]) {
      await withMeasurementLock({ what: `measurement ${k}` }, () => {
        events.push(`measurement ${k}`);
        return Promise.resolve();
      });
    }
    assert.deepEqual(events, ["browser closed", "measurement 1", "browser closed", "measurement 2"]);
  } finally {
    if (saved === undefined) delete process.env.MLPROF_LOCK_DIR;
    else process.env.MLPROF_LOCK_DIR = saved;
  }
});
