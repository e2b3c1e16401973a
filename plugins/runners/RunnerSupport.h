#ifndef MLPROF_RUNNERS_RUNNERSUPPORT_H
#define MLPROF_RUNNERS_RUNNERSUPPORT_H

/*
 * What every local native runner shares (the TensorFlow runner, later the tfaot runner): the line-based
 * job file written by src/native/jobfile.ts, the measurement process protocol of src/measure/job.ts
 * (CSV rows, process metadata JSON, error file and exit code 3, progress lines, output dumps) and the
 * event loop around the measurement core.
 *
 * Job file (UTF-8, one entry per line, '#' lines ignored; the first line is "mlprof-runner-job 1"):
 *   key=value            for engine, model_path, model_label, batch_size, n_events, n_calls, n_warmup,
 *                        warmup_ms, min_duration_ms, input_data, seed, threads, inter_op_threads,
 *                        csv_path, meta_path, error_path, dump_path (optional)
 *   input=NAME<TAB>DTYPE<TAB>BATCHED(0|1)<TAB>DIMS(comma-separated, may be empty)<TAB>VALUE|-<TAB>LOW,HIGH|-
 *   output=NAME
 *   x.KEY=VALUE          engine-specific extras
 */

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "MLProf/Utils/interface/MeasureCore.h"

namespace mlprof {

  /** An error the user must see as is (wrong inputs, engine refusal): written with "known": true. */
  class KnownError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
  };

  /** One measurement job as the parent process describes it. */
  struct RunnerJob {
    std::string engine;
    std::string modelPath;
    std::string modelLabel;
    std::vector<InputSpec> inputs;
    std::vector<std::string> outputs;
    LoopConfig loop;
    InputKind inputKind = InputKind::Random;
    uint64_t seed = 0;
    int threads = 1;
    int interOpThreads = 1;
    std::string csvPath;
    std::string metaPath;
    std::string errorPath;
    std::string dumpPath;
    std::map<std::string, std::string> extra;
  };

  /** Reads a job file; throws std::runtime_error naming the line of any problem. */
  RunnerJob readRunnerJob(const std::string& path);

  /** A tensor for a dump file: its shape, element type and elements (not owned). */
  struct TensorView {
    std::vector<int64_t> shape;
    DType dtype;
    const void* data;
  };

  /** {"shape": [...], "data": [...]} of a tensor (bools as 0/1, non-finite floats as null). */
  std::string tensorJson(const TensorView& tensor);
  /** {"inputs": {...}, "outputs": {...}} of named tensors, the format of src/measure/job.ts dumps. */
  std::string dumpJson(const std::vector<std::pair<std::string, TensorView>>& inputs,
                       const std::vector<std::pair<std::string, TensorView>>& outputs);

  /** An engine as a runner drives it; only call() runs inside the clock. */
  class RunnerEngine {
  public:
    virtual ~RunnerEngine() = default;
    /**
     * Starts what the engine needs before any model (e.g. an embedded interpreter and its modules), before the
     * memory and time of loading are read: they then count the model alone.
     */
    virtual void start(const RunnerJob& /*job*/) {}
    /** Loads the model and checks the declared inputs and outputs against it. */
    virtual void load(const RunnerJob& job) = 0;
    /** Engine name, version, binding and threads for the metadata (after load). */
    virtual void describe(ProcessMeta& meta) const = 0;
    /** Draws the inputs of one event (outside the clock). */
    virtual void prepareEvent(int64_t event) = 0;
    /** One inference call on the prepared inputs: the only thing inside the clock. */
    virtual void call() = 0;
    /** Runs after each call, outside the clock: releases outputs, checks the call's status. */
    virtual void afterCall() {}
    /** Runs one more call and returns the dump JSON of the current inputs and that call's outputs. */
    virtual std::string dump() = 0;
  };

  /**
   * The main function of a runner: `<runner> <job file>`. Ends with its parent (endWithParent), loads the
   * model, runs every event (fresh inputs, warm-up, timed calls), writes the CSV rows, the dump when asked
   * and the metadata; on failure writes the error file ({"phase", "message", "known"}) and returns 3 (2 on
   * a usage error).
   */
  int runnerMain(int argc, char** argv, RunnerEngine& engine);

}  // namespace mlprof

#endif  // MLPROF_RUNNERS_RUNNERSUPPORT_H
