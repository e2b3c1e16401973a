/** SimpleMemoryCheck's end-of-job report, parsed from logs recorded in CMSSW's issue tracker. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSimpleMemoryCheck } from "../../src/report/memory.js";

// https://github.com/cms-sw/cmssw/issues/40437 (2023-07-11), a 4-thread Run 3 reprocessing job
const RUN3_REPROCESSING = `
MemoryReport> Peak virtual size 11058.1 Mbytes
 Key events increasing vsize:
[2] run: 355381 lumi: 163 event: 248769791  vsize = 10786.1 deltaVsize = 0.0234375 rss = 5850.15 delta = 102.191
[9] run: 355381 lumi: 163 event: 247962262  vsize = 10898.1 deltaVsize = 112 rss = 5984 delta = 133.844
[46] run: 355381 lumi: 163 event: 248157109  vsize = 11058.1 deltaVsize = 160 rss = 5596.11 delta = -387.883
[0] run: 0 lumi: 0 event: 0  vsize = 0 deltaVsize = 0 rss = 0 delta = 0
[0] run: 0 lumi: 0 event: 0  vsize = 0 deltaVsize = 0 rss = 0 delta = 0
[48] run: 355381 lumi: 163 event: 248125758  vsize = 11058.1 deltaVsize = 0 rss = 5615.21 delta = 19.0977
[47] run: 355381 lumi: 163 event: 248187497  vsize = 11058.1 deltaVsize = 0 rss = 5603.02 delta = 6.90625
[46] run: 355381 lumi: 163 event: 248157109  vsize = 11058.1 deltaVsize = 160 rss = 5596.11 delta = -374.398
`;

// https://github.com/cms-sw/cmssw/pull/49221, the end of a cmsRun log of CMSSW 15/16 (jemalloc, EndJob line)
const WITH_ENDJOB = `
TimeReport> Time report complete in 1131.58 seconds
MemoryReport> EndJob: virtual size 10025.8 Mbytes, RSS 4878.72 Mbytes, PSS 4879.06 MBytes, Private 4879
 AnonHugePages 0 Mbytes
 Jemalloc allocated 3235.97 MBytes, active 3346.5 MBytes
MemoryReport> Peak virtual size 10025.8 Mbytes (RSS 6520.79)
 Jemalloc allocated 6472.68 active 6637.82 resident 6757.52 mapped 6783.6 metadata 76.0108
`;

test("SimpleMemoryCheck's report: peak vsize, key events, the largest RSS", () => {
  const r = parseSimpleMemoryCheck(`%MSG\nBegin processing the 1st record.\n${RUN3_REPROCESSING}`);
  assert.equal(r.peakVsizeMib, 11058.1);
  assert.equal(r.keyEvents.length, 6, "the two unset [0] slots are dropped");
  assert.deepEqual(r.keyEvents[1], {
    count: 9,
    run: 355381,
    lumi: 163,
    event: 247962262,
    vsize: 10898.1,
    deltaVsize: 112,
    rss: 5984,
    deltaRss: 133.844,
  });
  assert.equal(r.keyEvents[2]!.deltaRss, -387.883);
  assert.equal(r.peakRssMib, 5984, "no 'Peak rss size' line: the largest RSS of the key events");
  assert.equal(r.endJobRssMib, undefined);
});

test("SimpleMemoryCheck's newer report: the EndJob RSS and a 'Peak rss size' line", () => {
  const r = parseSimpleMemoryCheck(WITH_ENDJOB);
  assert.equal(r.peakVsizeMib, 10025.8);
  assert.equal(r.endJobRssMib, 4878.72);
  assert.equal(r.peakRssMib, undefined, "the RSS at the vsize peak is not the RSS peak");
  // the line as SimpleMemoryCheck.cc (postEndJob) writes it since CMSSW 12
  const withPeakRss = parseSimpleMemoryCheck(
    `${WITH_ENDJOB}MemoryReport> Peak rss size 6757.1 Mbytes (VSIZE 9981.2)\n`,
  );
  assert.equal(withPeakRss.peakRssMib, 6757.1);
  assert.throws(
    () => parseSimpleMemoryCheck("TimeReport> Time report complete"),
    /no 'MemoryReport> Peak virtual size'/,
  );
});
