#ifndef MLPROF_RUNNERS_THROUGHPUTSUPPORT_H
#define MLPROF_RUNNERS_THROUGHPUTSUPPORT_H

/*
 * Throughput mode of the local native runners: S streams (threads) call one model concurrently in one
 * process, as CMSSW's streams do. A runner job with the extras x.mode=throughput, x.streams, x.min_calls and
 * x.max_duration_ms asks for it; warmup_ms, n_warmup and min_duration_ms (the window) come from the job.
 * Writes `stream,start_ns,end_ns` lines (steady_clock = CLOCK_MONOTONIC, ns from the window's start) to
 * csv_path and the report of src/measure/throughput-job.ts (ThroughputProcessMeta) to meta_path.
 */

#include <string>

#include "MLProf/Utils/interface/MeasureCore.h"
#include "RunnerSupport.h"

namespace mlprof {

  /** An engine that S streams call concurrently; only callStream() runs inside the clock. */
  class StreamEngine {
  public:
    virtual ~StreamEngine() = default;
    /** "shared-session" (one model all streams call) or "instance-per-stream". */
    virtual std::string sharing() const = 0;
    /** What lies inside a timed call, for the report. */
    virtual std::string timedCall() const = 0;
    /** Loads what all streams share (after RunnerEngine::load), builds the streams' own state: stream k gets the
     * inputs of event k; each stream makes one call here (outputs allocated, instances warm). */
    virtual void prepareStreams(int streams) = 0;
    /** One inference call of stream k; called concurrently for different k. */
    virtual void callStream(int k) = 0;
    /** After each call of stream k, outside the clock: releases outputs, throws on a failed call. */
    virtual void afterStreamCall(int k) { (void)k; }
    /** Called on the main thread right before the stream threads start, and after they ended (e.g. to hand an
     * interpreter's lock to the streams and take it back). */
    virtual void beginStreams() {}
    virtual void endStreams() {}
    /** Adds what the streams hold to the engine facts of the report (e.g. the number of model instances). */
    virtual void describeStreams(ProcessMeta& meta) const { (void)meta; }
  };

  /**
   * The main function of a runner with both modes: a throughput job (x.mode=throughput) runs S streams
   * of `streams`, any other job the latency loop of runnerMain.
   */
  int runnerOrThroughputMain(int argc, char** argv, RunnerEngine& engine, StreamEngine& streams);

}  // namespace mlprof

#endif  // MLPROF_RUNNERS_THROUGHPUTSUPPORT_H
