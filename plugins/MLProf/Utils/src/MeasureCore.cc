#include "MLProf/Utils/interface/MeasureCore.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>
#ifdef __linux__
#include <csignal>
#include <sys/prctl.h>
#endif

namespace mlprof {

  void endWithParent() {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // the parent may have ended before the call: then this process was reparented already
    const char* parent = std::getenv("MLPROF_PARENT_PID");
    if (parent != nullptr && *parent != '\0' && std::strtol(parent, nullptr, 10) != static_cast<long>(getppid()))
      std::raise(SIGKILL);
#endif
  }

  DType parseDType(const std::string& name) {
    if (name == "float32") return DType::Float32;
    if (name == "float64") return DType::Float64;
    if (name == "int32") return DType::Int32;
    if (name == "int64") return DType::Int64;
    if (name == "bool") return DType::Bool;
    throw std::invalid_argument("unknown dtype '" + name + "' (expected float32, float64, int32, int64 or bool)");
  }

  const char* dtypeName(DType dtype) {
    switch (dtype) {
      case DType::Float32:
        return "float32";
      case DType::Float64:
        return "float64";
      case DType::Int32:
        return "int32";
      case DType::Int64:
        return "int64";
      case DType::Bool:
        return "bool";
    }
    return "unknown";
  }

  std::size_t dtypeSize(DType dtype) {
    switch (dtype) {
      case DType::Float32:
      case DType::Int32:
        return 4;
      case DType::Float64:
      case DType::Int64:
        return 8;
      case DType::Bool:
        return 1;
    }
    return 0;
  }

  InputKind parseInputKind(const std::string& name) {
    if (name == "random") return InputKind::Random;
    if (name == "incremental") return InputKind::Incremental;
    if (name == "zeros") return InputKind::Zeros;
    if (name == "ones") return InputKind::Ones;
    throw std::invalid_argument("unknown input kind '" + name + "' (expected random, incremental, zeros or ones)");
  }

  const char* inputKindName(InputKind kind) {
    switch (kind) {
      case InputKind::Random:
        return "random";
      case InputKind::Incremental:
        return "incremental";
      case InputKind::Zeros:
        return "zeros";
      case InputKind::Ones:
        return "ones";
    }
    return "unknown";
  }

  std::vector<int64_t> fullShape(const InputSpec& spec, int64_t batchSize) {
    std::vector<int64_t> shape;
    if (spec.batched) shape.push_back(batchSize);
    shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
    return shape;
  }

  int64_t elementCount(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }

  uint32_t inputSeed(uint64_t seed, int64_t event, int64_t input) {
    return static_cast<uint32_t>(seed + 1000u * static_cast<uint64_t>(event) + static_cast<uint64_t>(input));
  }

  namespace {

    /** 2 pi as JavaScript computes 2 * Math.PI. */
    constexpr double kTwoPi = 6.283185307179586;

    /** Standard normal deviates by Box-Muller, in the order of src/measure/inputs.ts (cos, then sin). */
    class Normal {
    public:
      explicit Normal(Mulberry32& rng) : rng_(rng) {}
      double next() {
        if (haveSpare_) {
          haveSpare_ = false;
          return spare_;
        }
        const double u = 1.0 - rng_.uniform();
        const double v = rng_.uniform();
        const double r = std::sqrt(-2.0 * std::log(u));
        spare_ = r * std::sin(kTwoPi * v);
        haveSpare_ = true;
        return r * std::cos(kTwoPi * v);
      }

    private:
      Mulberry32& rng_;
      double spare_ = 0.0;
      bool haveSpare_ = false;
    };

    /** Writes values gen(i), i < n, converted to the element type T. */
    template <class T, class Gen>
    void fillTyped(void* data, int64_t n, Gen&& gen) {
      T* out = static_cast<T*>(data);
      for (int64_t i = 0; i < n; i++) out[i] = static_cast<T>(gen(i));
    }

    template <class Gen>
    void fillAs(DType dtype, void* data, int64_t n, Gen&& gen) {
      switch (dtype) {
        case DType::Float32:
          fillTyped<float>(data, n, gen);
          break;
        case DType::Float64:
          fillTyped<double>(data, n, gen);
          break;
        case DType::Int32:
          fillTyped<int32_t>(data, n, gen);
          break;
        case DType::Int64:
          fillTyped<int64_t>(data, n, gen);
          break;
        case DType::Bool: {
          unsigned char* out = static_cast<unsigned char*>(data);
          for (int64_t i = 0; i < n; i++) out[i] = gen(i) != 0 ? 1 : 0;
          break;
        }
      }
    }

  }  // namespace

  void fillInput(const InputSpec& spec, InputKind kind, uint32_t seed, void* data, int64_t n) {
    const DType dt = spec.dtype;
    if (spec.hasValue) {
      const double v = spec.value;
      fillAs(dt, data, n, [v](int64_t) { return v; });
      return;
    }
    switch (kind) {
      case InputKind::Zeros:
        fillAs(dt, data, n, [](int64_t) { return 0.0; });
        return;
      case InputKind::Ones:
        fillAs(dt, data, n, [](int64_t) { return 1.0; });
        return;
      case InputKind::Incremental:
        if (dt == DType::Bool) {
          fillAs(dt, data, n, [](int64_t i) { return static_cast<double>(i % 2); });
        } else {
          fillAs(dt, data, n, [](int64_t i) { return static_cast<double>(i); });
        }
        return;
      case InputKind::Random: {
        Mulberry32 rng(seed);
        if (dt == DType::Float32 || dt == DType::Float64) {
          Normal normal(rng);
          fillAs(dt, data, n, [&normal](int64_t) { return normal.next(); });
        } else if (dt == DType::Bool) {
          fillAs(dt, data, n, [&rng](int64_t) { return rng.uniform() < 0.5 ? 0.0 : 1.0; });
        } else {
          const double lo = static_cast<double>(spec.rangeLow);
          const double width = static_cast<double>(spec.rangeHigh - spec.rangeLow);
          fillAs(dt, data, n, [&rng, lo, width](int64_t) { return lo + std::floor(rng.uniform() * width); });
        }
        return;
      }
    }
  }

  InputBuffer::InputBuffer(const InputSpec& spec, int64_t batchSize)
      : spec_(spec),
        shape_(fullShape(spec, batchSize)),
        count_(elementCount(shape_)),
        bytes_(static_cast<std::size_t>(count_) * dtypeSize(spec.dtype)) {}

  Rss readRss() {
    Rss rss;
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) rss.rssKb = std::atol(line.c_str() + 6);
      if (line.rfind("VmHWM:", 0) == 0) rss.peakKb = std::atol(line.c_str() + 6);
    }
    return rss;
  }

  namespace {
    /** The text of a /proc file, "" where it cannot be read. */
    std::string procText(const char* path) {
      std::ifstream file(path);
      if (!file) return std::string();
      std::ostringstream text;
      text << file.rdbuf();
      return text.str();
    }
  }  // namespace

  CompetitionCounters readCompetition() {
    CompetitionCounters c;
    const std::string schedstat = procText("/proc/thread-self/schedstat");
    const std::string stat = procText("/proc/thread-self/stat");
    const std::string status = procText("/proc/thread-self/status");
    if (schedstat.empty() || stat.empty() || status.empty()) return c;
    c.known = true;
    {
      std::istringstream in(schedstat);
      double run = 0;
      in >> run >> c.runQueueWaitNs;
    }
    {
      // fields after the command name (in parentheses, which may hold spaces): state is field 3
      std::istringstream in(stat.substr(stat.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 12 && (in >> field); i++) {
        if (i == 10) c.minorFaults = std::atof(field.c_str());
        if (i == 12) c.majorFaults = std::atof(field.c_str());
      }
    }
    const std::string key = "nonvoluntary_ctxt_switches:";
    const auto at = status.find(key);
    if (at != std::string::npos) c.involuntarySwitches = std::atof(status.c_str() + at + key.size());
    const std::string cpu = procText("/proc/stat");
    if (cpu.rfind("cpu ", 0) == 0) {
      std::istringstream in(cpu.substr(4, cpu.find('\n') - 4));
      double v = 0;
      for (int i = 1; i <= 8 && (in >> v); i++)
        if (i == 8) c.stealTicks = v;
    }
    return c;
  }

  void Competition::add(const CompetitionCounters& before, const CompetitionCounters& after, double wallMs) {
    if (!before.known || !after.known) {
      known = false;
      return;
    }
    const auto diff = [](double a, double b) { return b > a ? b - a : 0.0; };
    windows++;
    windowMs += wallMs;
    runQueueWaitMs += diff(before.runQueueWaitNs, after.runQueueWaitNs) / 1e6;
    involuntarySwitches += diff(before.involuntarySwitches, after.involuntarySwitches);
    // USER_HZ is 100 on every Linux architecture: a tick is 10 ms
    stealMs += diff(before.stealTicks, after.stealTicks) * 10.0;
    minorFaults += diff(before.minorFaults, after.minorFaults);
    majorFaults += diff(before.majorFaults, after.majorFaults);
  }

  void Progress::report(long done, const char* phase, bool force) const {
    if (!out_ || (!force && (every_ <= 0 || done % every_ != 0))) return;
    std::fprintf(out_, "{\"type\":\"progress\",\"done\":%ld,\"total\":%ld,\"phase\":%s}\n", done, total_,
                 jsonString(phase).c_str());
    std::fflush(out_);
  }

  std::string csvRows(int64_t batchSize, const std::vector<double>& runtimesMs, std::size_t from) {
    std::string out;
    out.reserve((runtimesMs.size() - std::min(from, runtimesMs.size())) * 16);
    char buf[64];
    for (std::size_t i = from; i < runtimesMs.size(); i++) {
      const int len = std::snprintf(buf, sizeof(buf), "%lld,%.6f\n", static_cast<long long>(batchSize), runtimesMs[i]);
      out.append(buf, static_cast<std::size_t>(len));
    }
    return out;
  }

  namespace {
    /** ": <strerror(errno)>" of the last failed system call (e.g. ": No space left on device"), or "". */
    std::string systemReason() {
      const int code = errno;
      return code != 0 ? std::string(": ") + std::strerror(code) : std::string();
    }
  }  // namespace

  void writeCsv(const std::string& path, int64_t batchSize, const std::vector<double>& runtimesMs, bool append,
                std::size_t from) {
    errno = 0;
    std::ofstream file(path, append ? std::ios::out | std::ios::app : std::ios::out | std::ios::trunc);
    if (!file) throw std::runtime_error("cannot open the CSV file " + path + " for writing" + systemReason());
    file << csvRows(batchSize, runtimesMs, from);
    file.close();
    if (!file) {
      const std::string reason = systemReason();
      // a file written anew and cut off (a full disk) is removed; appended rows are checked by their reader
      if (!append) std::remove(path.c_str());
      throw std::runtime_error("cannot write the CSV file " + path + reason);
    }
  }

  std::string jsonString(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"";
  }

  std::string jsonNumber(double value) {
    if (!std::isfinite(value)) return "null";
    char buf[32];
    // the shortest of %.15g / %.17g that reads back exactly
    std::snprintf(buf, sizeof(buf), "%.15g", value);
    if (std::strtod(buf, nullptr) != value) std::snprintf(buf, sizeof(buf), "%.17g", value);
    return buf;
  }

  double medianOf(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  }

  bool lastThreeAgree(const std::vector<double>& medians, double stability) {
    if (medians.size() < 3) return false;
    const double a = medians[medians.size() - 3], b = medians[medians.size() - 2], c = medians[medians.size() - 1];
    const double mean = (a + b + c) / 3.0;
    if (!(mean > 0)) return false;
    for (const double m : {a, b, c})
      if (std::fabs(m - mean) > stability * mean) return false;
    return true;
  }

  void recordLoop(ProcessMeta& meta, const LoopConfig& cfg, const LoopStats& stats, const Rss& end) {
    meta.firstCallMs = stats.firstCallMs;
    meta.untilStable = cfg.untilStable;
    meta.windowCalls = cfg.nCalls;
    meta.stabilityThreshold = cfg.stability;
    meta.maxDurationMs = cfg.maxDurationMs;
    meta.stability = stats.stability;
    meta.competition = stats.competition;
    meta.warmupMs = stats.warmupMs;
    meta.measureMs = stats.measureMs;
    meta.rssAfterWarmupKb = stats.afterWarmup.rssKb;
    meta.rssAfterTimingKb = end.rssKb;
    meta.peakRssKb = end.peakKb;
    meta.rows = static_cast<long>(stats.runtimesMs.size());
    meta.pid = static_cast<long>(getpid());
  }

  std::string processMetaJson(const ProcessMeta& m) {
    std::ostringstream o;
    o << "{\n  \"engine\": {\"name\": " << jsonString(m.engineName) << ", \"version\": " << jsonString(m.engineVersion);
    if (!m.binding.empty()) o << ", \"binding\": " << jsonString(m.binding);
    for (const auto& kv : m.engineExtra) o << ", " << jsonString(kv.first) << ": " << jsonString(kv.second);
    o << "},\n  \"threads\": {\"intraOp\": " << m.intraOpThreads << ", \"interOp\": " << m.interOpThreads << "},\n";
    o << "  \"clock\": " << jsonString(m.clock) << ",\n";
    o << "  \"timings\": {\"loadMs\": " << jsonNumber(m.loadMs);
    if (m.firstCallMs >= 0) o << ", \"firstCallMs\": " << jsonNumber(m.firstCallMs);
    o << ", \"warmupMs\": " << jsonNumber(m.warmupMs) << ", \"measureMs\": " << jsonNumber(m.measureMs) << "},\n";
    if (m.untilStable) {
      o << "  \"stability\": {\"windowCalls\": " << m.windowCalls << ", \"threshold\": " << jsonNumber(m.stabilityThreshold)
        << ", \"maxDurationMs\": " << jsonNumber(m.maxDurationMs) << ", \"events\": [";
      for (std::size_t e = 0; e < m.stability.size(); e++) {
        const auto& es = m.stability[e];
        o << (e ? ", " : "") << "{\"windowMediansMs\": [";
        for (std::size_t i = 0; i < es.windowMediansMs.size(); i++) o << (i ? ", " : "") << jsonNumber(es.windowMediansMs[i]);
        o << "], \"stable\": " << (es.stable ? "true" : "false") << ", \"discardedCalls\": " << es.discardedCalls << "}";
      }
      o << "]},\n";
    }
    const Competition& c = m.competition;
    if (c.known && c.windows > 0) {
      o << "  \"competition\": {\"windowMs\": " << jsonNumber(c.windowMs) << ", \"runQueueWaitMs\": " << jsonNumber(c.runQueueWaitMs)
        << ", \"involuntarySwitches\": " << jsonNumber(c.involuntarySwitches) << ", \"stealMs\": " << jsonNumber(c.stealMs)
        << ", \"minorFaults\": " << jsonNumber(c.minorFaults) << ", \"majorFaults\": " << jsonNumber(c.majorFaults)
        << ", \"hostCpus\": " << sysconf(_SC_NPROCESSORS_ONLN) << ", \"source\": "
        << jsonString("the measuring thread's /proc/thread-self/schedstat, status and stat; the host's /proc/stat steal; "
                      "read right before the first and right after the last timed call of each event")
        << "},\n";
    }
    o << "  \"memory\": {\"rssBeforeLoadKb\": " << m.rssBeforeLoadKb << ", \"rssAfterLoadKb\": " << m.rssAfterLoadKb
      << ", \"rssAfterWarmupKb\": " << m.rssAfterWarmupKb << ", \"rssAfterTimingKb\": " << m.rssAfterTimingKb
      << ", \"peakRssKb\": " << m.peakRssKb << "},\n";
    o << "  \"rows\": " << m.rows << ",\n  \"pid\": " << m.pid << "\n}\n";
    return o.str();
  }

  void writeTextFile(const std::string& path, const std::string& text) {
    errno = 0;
    std::ofstream file(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file) throw std::runtime_error("cannot open " + path + " for writing" + systemReason());
    file << text;
    file.close();
    if (!file) {
      const std::string reason = systemReason();
      std::remove(path.c_str());
      throw std::runtime_error("cannot write " + path + reason);
    }
  }

}  // namespace mlprof
