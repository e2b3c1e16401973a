#include "RunnerSupport.h"


#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>

namespace mlprof {

  namespace {

    std::vector<std::string> split(const std::string& text, char sep) {
      std::vector<std::string> parts;
      std::size_t start = 0;
      while (true) {
        const std::size_t pos = text.find(sep, start);
        parts.push_back(text.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
        if (pos == std::string::npos) return parts;
        start = pos + 1;
      }
    }

    int64_t toInt(const std::string& text, const std::string& what) {
      std::size_t used = 0;
      long long v = 0;
      try {
        v = std::stoll(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size()) throw std::runtime_error(what + ": expected an integer, found '" + text + "'");
      return v;
    }

    double toDouble(const std::string& text, const std::string& what) {
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size()) throw std::runtime_error(what + ": expected a number, found '" + text + "'");
      return v;
    }

    InputSpec parseInput(const std::string& value, const std::string& where) {
      const auto f = split(value, '\t');
      if (f.size() != 6) throw std::runtime_error(where + ": expected 6 tab-separated fields of an input");
      InputSpec spec;
      spec.name = f[0];
      spec.dtype = parseDType(f[1]);
      spec.batched = f[2] == "1";
      if (!f[3].empty()) {
        for (const auto& d : split(f[3], ',')) spec.shape.push_back(toInt(d, where + " (shape)"));
      }
      if (f[4] != "-") {
        spec.hasValue = true;
        spec.value = toDouble(f[4], where + " (value)");
      }
      if (f[5] != "-") {
        const auto r = split(f[5], ',');
        if (r.size() != 2) throw std::runtime_error(where + ": expected a range 'low,high'");
        spec.rangeLow = toInt(r[0], where + " (range)");
        spec.rangeHigh = toInt(r[1], where + " (range)");
      }
      return spec;
    }

    std::string elementJson(DType dtype, const void* data, int64_t i) {
      switch (dtype) {
        case DType::Float32:
          return jsonNumber(static_cast<const float*>(data)[i]);
        case DType::Float64:
          return jsonNumber(static_cast<const double*>(data)[i]);
        case DType::Int32:
          return std::to_string(static_cast<const int32_t*>(data)[i]);
        case DType::Int64:
          return std::to_string(static_cast<const int64_t*>(data)[i]);
        case DType::Bool:
          return static_cast<const unsigned char*>(data)[i] ? "1" : "0";
      }
      return "null";
    }

    void namedTensors(std::ostringstream& o, const std::vector<std::pair<std::string, TensorView>>& tensors) {
      o << "{";
      for (std::size_t i = 0; i < tensors.size(); i++) {
        o << (i ? ", " : "") << jsonString(tensors[i].first) << ": " << tensorJson(tensors[i].second);
      }
      o << "}";
    }

    /**
     * Writes the error file and the error on stderr; when the file cannot be written (a full disk),
     * writeTextFile leaves none, and the parent reads the error from stderr.
     */
    void writeError(const std::string& path, const std::string& phase, const std::string& message, bool known) {
      const std::string text = "{\"phase\": " + jsonString(phase) + ", \"message\": " + jsonString(message) +
                               ", \"known\": " + (known ? "true" : "false") + "}\n";
      try {
        if (!path.empty()) writeTextFile(path, text);
      } catch (const std::exception&) {
        std::remove(path.c_str());
      }
      std::fprintf(stderr, "error (%s): %s\n", phase.c_str(), message.c_str());
    }

  }  // namespace

  RunnerJob readRunnerJob(const std::string& path) {
    std::ifstream file(path);
    if (!file) throw std::runtime_error("cannot read the job file " + path);
    RunnerJob job;
    std::string line;
    int number = 0;
    bool sawHeader = false;
    while (std::getline(file, line)) {
      number++;
      const std::string where = path + ", line " + std::to_string(number);
      if (!sawHeader) {
        if (line != "mlprof-runner-job 1") throw std::runtime_error(where + ": not an MLProf runner job (version 1)");
        sawHeader = true;
        continue;
      }
      if (line.empty() || line[0] == '#') continue;
      const std::size_t eq = line.find('=');
      if (eq == std::string::npos) throw std::runtime_error(where + ": expected key=value");
      const std::string key = line.substr(0, eq);
      const std::string value = line.substr(eq + 1);
      if (key == "engine") job.engine = value;
      else if (key == "model_path") job.modelPath = value;
      else if (key == "model_label") job.modelLabel = value;
      else if (key == "batch_size") job.loop.batchSize = toInt(value, where);
      else if (key == "n_events") job.loop.nEvents = toInt(value, where);
      else if (key == "n_calls") job.loop.nCalls = toInt(value, where);
      else if (key == "n_warmup") job.loop.nWarmup = toInt(value, where);
      else if (key == "warmup_ms") job.loop.warmupMs = toDouble(value, where);
      else if (key == "min_duration_ms") job.loop.minDurationMs = toDouble(value, where);
      else if (key == "until_stable") job.loop.untilStable = toInt(value, where) != 0;
      else if (key == "stability") job.loop.stability = toDouble(value, where);
      else if (key == "max_duration_ms") job.loop.maxDurationMs = toDouble(value, where);
      else if (key == "input_data") job.inputKind = parseInputKind(value);
      else if (key == "seed") job.seed = static_cast<uint64_t>(toInt(value, where));
      else if (key == "threads") job.threads = static_cast<int>(toInt(value, where));
      else if (key == "inter_op_threads") job.interOpThreads = static_cast<int>(toInt(value, where));
      else if (key == "csv_path") job.csvPath = value;
      else if (key == "meta_path") job.metaPath = value;
      else if (key == "error_path") job.errorPath = value;
      else if (key == "dump_path") job.dumpPath = value;
      else if (key == "input") job.inputs.push_back(parseInput(value, where));
      else if (key == "output") job.outputs.push_back(value);
      else if (key.rfind("x.", 0) == 0) job.extra[key.substr(2)] = value;
      else throw std::runtime_error(where + ": unknown key '" + key + "'");
    }
    if (!sawHeader) throw std::runtime_error("the job file " + path + " is empty");
    if (job.modelPath.empty() || job.csvPath.empty() || job.metaPath.empty() || job.errorPath.empty()) {
      throw std::runtime_error("the job file " + path + " lacks one of model_path, csv_path, meta_path, error_path");
    }
    if (job.loop.batchSize < 1 || job.loop.nEvents < 1 || job.loop.nCalls < 1 || job.loop.nWarmup < 0 || job.threads < 1 ||
        job.interOpThreads < 1) {
      throw std::runtime_error("the job file " + path + " has a non-positive batch size, event, call or thread count");
    }
    return job;
  }

  std::string tensorJson(const TensorView& tensor) {
    std::ostringstream o;
    o << "{\"shape\": [";
    for (std::size_t i = 0; i < tensor.shape.size(); i++) o << (i ? ", " : "") << tensor.shape[i];
    o << "], \"data\": [";
    const int64_t n = elementCount(tensor.shape);
    for (int64_t i = 0; i < n; i++) o << (i ? ", " : "") << elementJson(tensor.dtype, tensor.data, i);
    o << "]}";
    return o.str();
  }

  std::string dumpJson(const std::vector<std::pair<std::string, TensorView>>& inputs,
                       const std::vector<std::pair<std::string, TensorView>>& outputs) {
    std::ostringstream o;
    o << "{\"inputs\": ";
    namedTensors(o, inputs);
    o << ", \"outputs\": ";
    namedTensors(o, outputs);
    o << "}\n";
    return o.str();
  }

  int runnerMain(int argc, char** argv, RunnerEngine& engine) {
    endWithParent();
    if (argc != 2) {
      std::fprintf(stderr, "usage: %s <job file>\n", argc > 0 ? argv[0] : "runner");
      return 2;
    }
    RunnerJob job;
    try {
      job = readRunnerJob(argv[1]);
    } catch (const std::exception& err) {
      std::fprintf(stderr, "error: %s\n", err.what());
      return 2;
    }
    std::string phase = "start the engine";
    LoopStats stats;
    try {
      engine.start(job);
      phase = "load";
      ProcessMeta meta;
      meta.rssBeforeLoadKb = readRss().rssKb;
      const auto t0 = Clock::now();
      engine.load(job);
      meta.loadMs = elapsedMs(t0, Clock::now());
      meta.rssAfterLoadKb = readRss().rssKb;
      engine.describe(meta);

      const Progress progress(static_cast<long>(job.loop.nEvents * job.loop.nCalls), static_cast<long>(job.loop.nCalls));
      const auto call = [&engine] { engine.call(); };
      const auto after = [&engine] { engine.afterCall(); };
      for (int64_t event = 0; event < job.loop.nEvents; event++) {
        phase = "prepare inputs";
        engine.prepareEvent(event);
        stats.phase = "warm-up";
        try {
          measureEvent(job.loop, stats, call, after, &progress);
        } catch (...) {
          phase = stats.phase;
          throw;
        }
      }
      const Rss end = readRss();
      phase = "write results";
      writeCsv(job.csvPath, job.loop.batchSize, stats.runtimesMs, false);
      if (!job.dumpPath.empty()) {
        phase = "dump";
        writeTextFile(job.dumpPath, engine.dump());
      }
      recordLoop(meta, job.loop, stats, end);
      phase = "write results";
      writeTextFile(job.metaPath, processMetaJson(meta));
    } catch (const KnownError& err) {
      writeError(job.errorPath, phase, err.what(), true);
      return 3;
    } catch (const std::exception& err) {
      writeError(job.errorPath, phase, err.what(), false);
      return 3;
    }
    return 0;
  }

}  // namespace mlprof
