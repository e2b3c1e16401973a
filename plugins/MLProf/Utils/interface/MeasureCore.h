#ifndef MLPROF_UTILS_MEASURECORE_H
#define MLPROF_UTILS_MEASURECORE_H

/*
 * The one measurement core of MLProf, shared by the CMSSW plugins (MLProf/RuntimeMeasurement) and the
 * local native runners (plugins/runners). Plain C++17, no CMSSW or engine includes.
 *
 * - Inputs: every dtype (float32/64, int32/64, bool) and kind (random, incremental, zeros, ones, or a
 *   constant value), drawn anew per event. Random values use the generator of src/measure/inputs.ts:
 *   mulberry32 seeded with (seed + 1000 * event + input) mod 2^32, standard normal floats by Box-Muller
 *   (cos value first, then the sin value), integers lo + floor(u * (hi - lo)) with [lo, hi) default
 *   [0, 10), bools u < 0.5 ? false : true. Integer and bool values equal the JavaScript generator's bit
 *   for bit; floats may differ in the last bit where libm's log/sin/cos round differently than V8's.
 * - Timing: std::chrono::steady_clock read right before and right after the inference call only.
 * - Output: CSV rows "batch_size,runtime_ms" (milliseconds with 6 decimals, no header), process
 *   metadata as JSON, current and peak RSS (VmRSS/VmHWM of /proc/self/status), progress lines.
 */

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace mlprof {

  // ---- element types and input kinds ---------------------------------------------------------------

  enum class DType { Float32, Float64, Int32, Int64, Bool };

  /** Parses "float32", "float64", "int32", "int64" or "bool"; throws std::invalid_argument otherwise. */
  DType parseDType(const std::string& name);
  /** The name of an element type as model files spell it. */
  const char* dtypeName(DType dtype);
  /** Bytes per element (bool: 1). */
  std::size_t dtypeSize(DType dtype);

  enum class InputKind { Random, Incremental, Zeros, Ones };

  /** Parses "random", "incremental", "zeros" or "ones"; throws std::invalid_argument otherwise. */
  InputKind parseInputKind(const std::string& name);
  const char* inputKindName(InputKind kind);

  /** One declared model input; `shape` excludes the batch dimension when `batched`. */
  struct InputSpec {
    std::string name;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    bool batched = true;
    /** A constant input (e.g. a learning-phase flag fed false) gets `value` whatever the kind. */
    bool hasValue = false;
    double value = 0.0;
    /** Range [rangeLow, rangeHigh) of random integers. */
    int64_t rangeLow = 0;
    int64_t rangeHigh = 10;
  };

  /** The shape of an input at a batch size (the batch dimension prepended when batched). */
  std::vector<int64_t> fullShape(const InputSpec& spec, int64_t batchSize);
  /** The number of elements of a shape (1 for a scalar). */
  int64_t elementCount(const std::vector<int64_t>& shape);
  /** The seed of input `input` in event `event`: (seed + 1000 * event + input) mod 2^32. */
  uint32_t inputSeed(uint64_t seed, int64_t event, int64_t input);

  /** mulberry32: small, fast, seedable; uniform doubles in [0, 1). Same sequence as src/measure/inputs.ts. */
  class Mulberry32 {
  public:
    explicit Mulberry32(uint32_t seed) : state_(seed) {}
    double uniform() {
      state_ += 0x6d2b79f5u;
      uint32_t t = state_;
      t = (t ^ (t >> 15)) * (t | 1u);
      t ^= t + (t ^ (t >> 7)) * (t | 61u);
      return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
    }

  private:
    uint32_t state_;
  };

  /**
   * Fills `n` elements of type spec.dtype at `data` (n * dtypeSize bytes) for one event: the constant
   * value when the input has one, else by kind (random: normal floats, uniform integers in the range, fair
   * coin bools; incremental: 0, 1, 2, ... per element, bools alternate 0, 1; zeros; ones). Bools are
   * written as bytes 0/1. `seed` is used by the random kind only.
   */
  void fillInput(const InputSpec& spec, InputKind kind, uint32_t seed, void* data, int64_t n);

  /** A typed, owned buffer holding one input of one event. */
  class InputBuffer {
  public:
    InputBuffer(const InputSpec& spec, int64_t batchSize);
    /** Redraws the values for an event (seed from inputSeed). */
    void fill(InputKind kind, uint32_t seed) { fillInput(spec_, kind, seed, bytes_.data(), count_); }
    void* data() { return bytes_.data(); }
    const void* data() const { return bytes_.data(); }
    std::size_t byteSize() const { return bytes_.size(); }
    int64_t count() const { return count_; }
    const std::vector<int64_t>& shape() const { return shape_; }
    const InputSpec& spec() const { return spec_; }

  private:
    InputSpec spec_;
    std::vector<int64_t> shape_;
    int64_t count_;
    std::vector<unsigned char> bytes_;
  };

  // ---- memory --------------------------------------------------------------------------------------

  /** Current and peak resident set size in kB (VmRSS, VmHWM); zeros where /proc is unavailable. */
  struct Rss {
    long rssKb = 0;
    long peakKb = 0;
  };
  Rss readRss();

  /**
   * Makes this process end with its parent (Linux: prctl(PR_SET_PDEATHSIG, SIGKILL)), so that a measurement
   * never outlives the run that started it, e.g. after `kill -9` of that run, and never times beside the next
   * one. Closes the race of a parent that ended before: when the environment names the parent
   * (MLPROF_PARENT_PID) and getppid() differs, the process ends at once. Elsewhere it does nothing.
   */
  void endWithParent();

  // ---- competition -------------------------------------------------------------------------------

  /**
   * Counters of what competed with the calling thread (src/measure/competition.ts): its run-queue wait
   * (/proc/thread-self/schedstat, 2nd field, ns), involuntary context switches (/proc/thread-self/status),
   * minor and major page faults (/proc/thread-self/stat fields 10 and 12), and the host's stolen ticks
   * (/proc/stat, cpu line, 8th value, USER_HZ). `known` is false where /proc/thread-self is missing.
   */
  struct CompetitionCounters {
    bool known = false;
    double runQueueWaitNs = 0;
    double involuntarySwitches = 0;
    double minorFaults = 0;
    double majorFaults = 0;
    double stealTicks = 0;
  };
  CompetitionCounters readCompetition();

  /** The competition of all timed windows of a process together (sums of the differences). */
  struct Competition {
    /** Whether every timed window had its counters read. */
    bool known = true;
    int windows = 0;
    double windowMs = 0;
    double runQueueWaitMs = 0;
    double involuntarySwitches = 0;
    double stealMs = 0;
    double minorFaults = 0;
    double majorFaults = 0;
    /** Adds the window between two readings lasting `wallMs`. */
    void add(const CompetitionCounters& before, const CompetitionCounters& after, double wallMs);
  };

  // ---- timing --------------------------------------------------------------------------------------

  using Clock = std::chrono::steady_clock;

  /** Milliseconds between two time points, as a double. */
  inline double elapsedMs(Clock::time_point start, Clock::time_point end) {
    return std::chrono::duration<double, std::milli>(end - start).count();
  }

  /** Prints progress lines {"type":"progress","done":k,"total":n,"phase":"..."} to a stream (stdout by default). */
  class Progress {
  public:
    /** Progress over `total` = nEvents * nCalls calls, `callsPerEvent` = nCalls. */
    Progress(long total, long callsPerEvent, long every = 5000, std::FILE* out = stdout)
        : total_(total), perEvent_(callsPerEvent), every_(every), out_(out) {}
    /** Reports when `done` is a multiple of the interval or `force` is set. */
    void report(long done, const char* phase, bool force = false) const;
    long total() const { return total_; }
    /** Calls of the events before event `events` (extra calls of --min-duration are not counted). */
    long doneBefore(int64_t events) const { return static_cast<long>(events) * perEvent_; }

  private:
    long total_;
    long perEvent_;
    long every_;
    std::FILE* out_;
  };

  /** Measurement settings of one process (or one CMSSW stream). */
  struct LoopConfig {
    int64_t batchSize = 1;
    int64_t nEvents = 1;
    int64_t nCalls = 100;
    int64_t nWarmup = 10;
    /** Warm-up goes on beyond nWarmup calls until it has lasted this long per event (0: by count only). */
    double warmupMs = 0.0;
    /** Timed calls go on beyond nCalls until the event's timed loop has lasted this long (0: by count only). */
    double minDurationMs = 0.0;
    /**
     * Measure windows of nCalls calls until the medians of the last three agree within `stability` (each
     * within that fraction of their mean, as Triton's perf_analyzer) or `maxDurationMs` has passed; the last
     * three windows are the timed calls, earlier ones count as warm-up.
     */
    bool untilStable = false;
    double stability = 0.02;
    double maxDurationMs = 60000.0;
  };

  /** The windows of one event measured until stable. */
  struct EventStability {
    std::vector<double> windowMediansMs;
    bool stable = false;
    /** Calls of the windows before the last three (treated as warm-up). */
    int64_t discardedCalls = 0;
  };

  /** The median of values (0 for none). */
  double medianOf(std::vector<double> values);
  /** Whether the last three of `medians` each lie within `stability` (a fraction) of their mean. */
  bool lastThreeAgree(const std::vector<double>& medians, double stability);

  /** What the timed loop collects across events. */
  struct LoopStats {
    std::vector<double> runtimesMs;
    double warmupMs = 0.0;
    double measureMs = 0.0;
    Rss afterWarmup;
    bool warmupRecorded = false;
    /** The first inference call after loading, timed on its own (cold start); < 0 until it ran. */
    double firstCallMs = -1.0;
    /** Per event with untilStable: the windows and whether they agreed. */
    std::vector<EventStability> stability;
    int64_t eventsDone = 0;
    /** The phase being run, for error reports: "warm-up" or "timed calls". */
    const char* phase = "";
    /** What competed with the timed calls, read right before the first and after the last of each event. */
    Competition competition;
  };

  /**
   * Runs one event: `nWarmup` untimed calls (continued until `warmupMs` has passed), then `nCalls` calls
   * (continued until the timed loop has lasted `minDurationMs`), each timed with steady_clock around
   * `call()` alone; `after()` runs after each call outside the clock (release outputs, check status).
   * Appends the runtimes to stats.runtimesMs, adds to the warm-up and measure times, records the RSS after
   * the first event's warm-up, and reports progress of the nCalls calls (`done` counts earlier events).
   */
  template <class Call, class After>
  void measureEvent(const LoopConfig& cfg, LoopStats& stats, Call&& call, After&& after, const Progress* progress) {
    if (stats.firstCallMs < 0) {
      // the first call after loading: timed on its own, before the warm-up
      stats.phase = "first call";
      const auto start = Clock::now();
      call();
      stats.firstCallMs = elapsedMs(start, Clock::now());
      after();
    }
    stats.phase = "warm-up";
    const auto w0 = Clock::now();
    for (int64_t i = 0; i < cfg.nWarmup; i++) {
      call();
      after();
    }
    while (cfg.warmupMs > 0 && elapsedMs(w0, Clock::now()) < cfg.warmupMs) {
      call();
      after();
    }
    stats.warmupMs += elapsedMs(w0, Clock::now());
    if (!stats.warmupRecorded) {
      stats.afterWarmup = readRss();
      stats.warmupRecorded = true;
    }
    stats.phase = "timed calls";
    const long before = progress ? progress->doneBefore(stats.eventsDone) : 0;
    const auto timedWindow = [&](std::vector<double>& out, bool report) {
      auto end = Clock::now();
      for (int64_t i = 0; i < cfg.nCalls; i++) {
        const auto start = Clock::now();
        call();
        end = Clock::now();
        out.push_back(elapsedMs(start, end));
        after();
        // periodic reports only: the one of the window's end follows the competition counters, so that the
        // parent waking to read it (on this CPU, as often as not) is not counted as competition
        if (report && progress && i + 1 < cfg.nCalls)
          progress->report(before + static_cast<long>(i) + 1, "timed calls", false);
      }
      return end;
    };
    const CompetitionCounters countersBefore = readCompetition();
    const auto m0 = Clock::now();
    auto lastEnd = m0;
    if (cfg.untilStable) {
      EventStability es;
      std::vector<std::vector<double>> windows;
      auto reported = m0;
      for (;;) {
        std::vector<double> window;
        window.reserve(static_cast<std::size_t>(cfg.nCalls));
        const auto end = timedWindow(window, false);
        lastEnd = end;
        es.windowMediansMs.push_back(medianOf(window));
        windows.push_back(std::move(window));
        if (windows.size() > 3) {
          es.discardedCalls += static_cast<int64_t>(windows.front().size());
          windows.erase(windows.begin());
        }
        if (progress && elapsedMs(reported, end) > 1000) {
          // about once a second: the windows so far (windows of fast models last microseconds)
          progress->report(static_cast<long>(es.windowMediansMs.size()), "windows until stable", true);
          reported = end;
        }
        if (windows.size() < 3) continue;
        if (lastThreeAgree(es.windowMediansMs, cfg.stability)) {
          es.stable = true;
          break;
        }
        if (elapsedMs(m0, end) >= cfg.maxDurationMs) break;
      }
      for (const auto& w : windows) stats.runtimesMs.insert(stats.runtimesMs.end(), w.begin(), w.end());
      stats.stability.push_back(std::move(es));
    } else {
      stats.runtimesMs.reserve(stats.runtimesMs.size() + static_cast<std::size_t>(cfg.nCalls));
      auto end = timedWindow(stats.runtimesMs, true);
      while (cfg.minDurationMs > 0 && elapsedMs(m0, end) < cfg.minDurationMs) {
        const auto start = Clock::now();
        call();
        end = Clock::now();
        stats.runtimesMs.push_back(elapsedMs(start, end));
        after();
      }
      lastEnd = end;
    }
    stats.competition.add(countersBefore, readCompetition(), elapsedMs(m0, lastEnd));
    if (!cfg.untilStable && progress) progress->report(before + static_cast<long>(cfg.nCalls), "timed calls", true);
    stats.measureMs += elapsedMs(m0, Clock::now());
    stats.eventsDone++;
  }

  /** measureEvent without an after-call step. */
  template <class Call>
  void measureEvent(const LoopConfig& cfg, LoopStats& stats, Call&& call, const Progress* progress) {
    measureEvent(cfg, stats, call, [] {}, progress);
  }

  // ---- output --------------------------------------------------------------------------------------

  /** CSV rows "batch_size,runtime_ms\n" (6 decimals) for runtimes[from, end). */
  std::string csvRows(int64_t batchSize, const std::vector<double>& runtimesMs, std::size_t from = 0);
  /**
   * Writes (or appends to) a CSV file of rows; throws std::runtime_error naming the path and the system's
   * reason when it cannot (a file written anew is removed then; appended rows are checked by the reader).
   */
  void writeCsv(const std::string& path, int64_t batchSize, const std::vector<double>& runtimesMs, bool append,
                std::size_t from = 0);

  /** A JSON string literal of a text (quotes, backslashes and control characters escaped). */
  std::string jsonString(const std::string& text);
  /** A JSON number (shortest round-trip form; NaN and infinities become null). */
  std::string jsonNumber(double value);

  /** What a measurement process reports about itself (src/measure/job.ts MeasureProcessMeta). */
  struct ProcessMeta {
    std::string engineName;
    std::string engineVersion;
    std::string binding;
    /** Further engine facts, written as JSON strings. */
    std::map<std::string, std::string> engineExtra;
    int intraOpThreads = 1;
    int interOpThreads = 1;
    std::string clock = "std::chrono::steady_clock (CLOCK_MONOTONIC) around the inference call";
    double loadMs = 0.0;
    /** The first inference call after loading (cold start), ms; < 0 when none ran. */
    double firstCallMs = -1.0;
    double warmupMs = 0.0;
    double measureMs = 0.0;
    long rssBeforeLoadKb = 0;
    long rssAfterLoadKb = 0;
    long rssAfterWarmupKb = 0;
    long rssAfterTimingKb = 0;
    long peakRssKb = 0;
    long rows = 0;
    long pid = 0;
    /** With untilStable: the settings and the windows of each event. */
    bool untilStable = false;
    int64_t windowCalls = 0;
    double stabilityThreshold = 0.0;
    double maxDurationMs = 0.0;
    std::vector<EventStability> stability;
    /** What competed with the timed calls (written when known). */
    Competition competition;
  };

  /**
   * Records what the timed loop measured: the first call, warm-up and measurement times, resident memory
   * after warm-up, at the end (`end`, read after timing) and at its peak, the number of rows, the windows
   * until stable, and this process's pid.
   */
  void recordLoop(ProcessMeta& meta, const LoopConfig& cfg, const LoopStats& stats, const Rss& end);

  /** The metadata as a JSON document. */
  std::string processMetaJson(const ProcessMeta& meta);
  /**
   * Writes a text file; throws std::runtime_error naming the path and the system's reason ("No space left
   * on device") when it cannot, and removes what was cut off.
   */
  void writeTextFile(const std::string& path, const std::string& text);

}  // namespace mlprof

#endif  // MLPROF_UTILS_MEASURECORE_H
