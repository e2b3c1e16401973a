#include "ThroughputSupport.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "MLProf/Utils/interface/MeasureCore.h"

namespace mlprof {

  namespace {

    int64_t nowNs() {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
    }

    /** User and system CPU seconds of the whole process (every thread). */
    std::pair<double, double> cpuSeconds() {
      rusage r{};
      getrusage(RUSAGE_SELF, &r);
      const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
      return {s(r.ru_utime), s(r.ru_stime)};
    }

    long extraInt(const RunnerJob& job, const std::string& key) {
      const auto it = job.extra.find(key);
      if (it == job.extra.end()) throw std::runtime_error("the throughput job has no x." + key);
      return std::stol(it->second);
    }

    void writeErrorFile(const std::string& path, const std::string& phase, const std::string& message, bool known) {
      std::FILE* f = std::fopen(path.c_str(), "w");
      if (!f) {
        std::fprintf(stderr, "error (%s): %s\n", phase.c_str(), message.c_str());
        return;
      }
      std::fprintf(f, "{\"phase\": %s, \"message\": %s, \"known\": %s}\n", jsonString(phase).c_str(),
                   jsonString(message).c_str(), known ? "true" : "false");
      std::fclose(f);
    }

    /** The S stream threads, their stamps, and the window the main thread opens and closes. */
    int throughputLoop(const RunnerJob& job, RunnerEngine& engine, StreamEngine& se, std::string& phase) {
      const int streams = static_cast<int>(extraInt(job, "streams"));
      const long minCalls = extraInt(job, "min_calls");
      const double maxDurationMs = static_cast<double>(extraInt(job, "max_duration_ms"));
      if (streams < 1) throw std::runtime_error("x.streams must be at least 1");
      ProcessMeta meta;
      phase = "start the engine";
      engine.start(job);
      phase = "load";
      const long rssBeforeLoad = readRss().rssKb;
      const auto t0 = Clock::now();
      engine.load(job);
      const auto t1 = Clock::now();
      const long rssAfterLoad = readRss().rssKb;
      engine.describe(meta);
      phase = "prepare the streams";
      se.prepareStreams(streams);
      se.describeStreams(meta);
      const auto t2 = Clock::now();
      const long rssAfterStreams = readRss().rssKb;

      phase = "warm-up and timed calls";
      std::atomic<int> state{0};  // 0: warm-up, 1: timed, 2: stop
      std::vector<std::vector<int64_t>> starts(static_cast<std::size_t>(streams));
      std::vector<std::vector<int64_t>> ends(static_cast<std::size_t>(streams));
      std::vector<long> warm(static_cast<std::size_t>(streams), 0);
      // what competed with each stream thread over its timed calls (validity: src/stats/competition.ts)
      std::vector<Competition> competition(static_cast<std::size_t>(streams));
      std::vector<std::atomic<long>> done(static_cast<std::size_t>(streams));
      for (auto& d : done) d = 0;
      std::mutex mutex;
      std::condition_variable cv;
      int ready = 0;
      bool go = false;
      std::string failure;
      bool failureKnown = false;
      std::vector<std::thread> threads;
      se.beginStreams();
      for (int k = 0; k < streams; k++) {
        threads.emplace_back([&, k] {
          auto& s = starts[static_cast<std::size_t>(k)];
          auto& e = ends[static_cast<std::size_t>(k)];
          s.reserve(1 << 16);
          e.reserve(1 << 16);
          try {
            {
              std::unique_lock<std::mutex> lock(mutex);
              ready++;
              cv.notify_all();
              cv.wait(lock, [&] { return go; });
            }
            long n = 0;
            while (state.load(std::memory_order_relaxed) == 0) {
              se.callStream(k);
              se.afterStreamCall(k);
              n++;
            }
            warm[static_cast<std::size_t>(k)] = n;
            const CompetitionCounters before = readCompetition();
            const int64_t timed0 = nowNs();
            while (state.load(std::memory_order_relaxed) == 1) {
              const int64_t a = nowNs();
              se.callStream(k);
              const int64_t b = nowNs();
              se.afterStreamCall(k);
              s.push_back(a);
              e.push_back(b);
              done[static_cast<std::size_t>(k)].store(static_cast<long>(e.size()), std::memory_order_relaxed);
            }
            competition[static_cast<std::size_t>(k)].add(before, readCompetition(),
                                                         static_cast<double>(nowNs() - timed0) / 1e6);
          } catch (const std::exception& err) {
            std::lock_guard<std::mutex> lock(mutex);
            if (failure.empty()) {
              failure = "stream " + std::to_string(k) + ": " + err.what();
              failureKnown = dynamic_cast<const KnownError*>(&err) != nullptr;
            }
            state = 2;
          }
        });
      }
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return ready == streams; });
        go = true;
        cv.notify_all();
      }
      const auto w0 = Clock::now();
      while (state.load() == 0 && elapsedMs(w0, Clock::now()) < job.loop.warmupMs)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      int expected = 0;
      state.compare_exchange_strong(expected, 1);
      const int64_t windowStart = nowNs();
      const auto cpu0 = cpuSeconds();
      auto lastReport = Clock::now();
      while (state.load() == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        long total = 0;
        for (auto& d : done) total += d.load(std::memory_order_relaxed);
        const double elapsed = static_cast<double>(nowNs() - windowStart) / 1e6;
        if (elapsedMs(lastReport, Clock::now()) > 1000) {
          std::printf("{\"type\":\"progress\",\"done\":%ld,\"total\":%ld,\"phase\":\"timed calls\"}\n", total, minCalls);
          std::fflush(stdout);
          lastReport = Clock::now();
        }
        if ((elapsed >= job.loop.minDurationMs && total >= minCalls) || elapsed >= maxDurationMs) break;
      }
      expected = 1;
      state.compare_exchange_strong(expected, 2);
      const int64_t windowEnd = nowNs();
      const auto cpu1 = cpuSeconds();
      for (auto& t : threads) t.join();
      se.endStreams();
      if (!failure.empty()) {
        if (failureKnown) throw KnownError(failure);
        throw std::runtime_error(failure);
      }
      for (int k = 0; k < streams; k++) {
        if (warm[static_cast<std::size_t>(k)] < job.loop.nWarmup)
          throw KnownError("stream " + std::to_string(k) + " made " + std::to_string(warm[static_cast<std::size_t>(k)]) +
                           " warm-up calls, fewer than " + std::to_string(job.loop.nWarmup) +
                           ": give a longer --warmup-duration");
      }
      const Rss end = readRss();

      phase = "write results";
      std::string csv;
      for (int k = 0; k < streams; k++) {
        const auto& s = starts[static_cast<std::size_t>(k)];
        const auto& e = ends[static_cast<std::size_t>(k)];
        for (std::size_t i = 0; i < s.size(); i++)
          csv += std::to_string(k) + "," + std::to_string(s[i] - windowStart) + "," + std::to_string(e[i] - windowStart) + "\n";
      }
      writeTextFile(job.csvPath, csv);
      std::ostringstream o;
      o << "{\n  \"engine\": {\"name\": " << jsonString(meta.engineName) << ", \"version\": " << jsonString(meta.engineVersion)
        << ", \"binding\": " << jsonString(meta.binding);
      for (const auto& [key, value] : meta.engineExtra) o << ", " << jsonString(key) << ": " << jsonString(value);
      o << "},\n  \"sharing\": " << jsonString(se.sharing()) << ",\n  \"streams\": " << streams
        << ",\n  \"threads\": {\"intraOp\": " << meta.intraOpThreads << ", \"interOp\": " << meta.interOpThreads << "}"
        << ",\n  \"clock\": " << jsonString("std::chrono::steady_clock (CLOCK_MONOTONIC, ns)")
        << ",\n  \"timedCall\": " << jsonString(se.timedCall())
        << ",\n  \"window\": {\"startNs\": " << windowStart << ", \"endNs\": " << windowEnd << "}"
        << ",\n  \"timings\": {\"loadMs\": " << jsonNumber(elapsedMs(t0, t1)) << ", \"streamsMs\": " << jsonNumber(elapsedMs(t1, t2))
        << ", \"warmupMs\": " << jsonNumber(static_cast<double>(windowStart - std::chrono::duration_cast<std::chrono::nanoseconds>(w0.time_since_epoch()).count()) / 1e6)
        << "},\n  \"warmupCalls\": [";
      for (int k = 0; k < streams; k++) o << (k ? ", " : "") << warm[static_cast<std::size_t>(k)];
      o << "],\n  \"cpu\": {\"userSeconds\": " << jsonNumber(cpu1.first - cpu0.first)
        << ", \"systemSeconds\": " << jsonNumber(cpu1.second - cpu0.second) << "}"
        << ",\n  \"competition\": [";
      for (int k = 0; k < streams; k++) {
        const Competition& c = competition[static_cast<std::size_t>(k)];
        o << (k ? ", " : "");
        if (!c.known || c.windows == 0) {
          o << "null";
          continue;
        }
        o << "{\"windowMs\": " << jsonNumber(c.windowMs) << ", \"runQueueWaitMs\": " << jsonNumber(c.runQueueWaitMs)
          << ", \"involuntarySwitches\": " << jsonNumber(c.involuntarySwitches) << ", \"stealMs\": " << jsonNumber(c.stealMs)
          << ", \"minorFaults\": " << jsonNumber(c.minorFaults) << ", \"majorFaults\": " << jsonNumber(c.majorFaults)
          << ", \"hostCpus\": " << sysconf(_SC_NPROCESSORS_ONLN) << ", \"source\": "
          << jsonString("the stream thread's /proc/thread-self/schedstat, status and stat; the host's /proc/stat steal; "
                        "read right before its first and right after its last timed call")
          << "}";
      }
      o << "]"
        << ",\n  \"memory\": {\"rssBeforeLoadKb\": " << rssBeforeLoad << ", \"rssAfterLoadKb\": " << rssAfterLoad
        << ", \"rssAfterStreamsKb\": " << rssAfterStreams << ", \"rssAfterWindowKb\": " << end.rssKb
        << ", \"peakRssKb\": " << end.peakKb << "},\n  \"pid\": " << static_cast<long>(getpid()) << "\n}\n";
      writeTextFile(job.metaPath, o.str());
      return 0;
    }

  }  // namespace

  int runnerOrThroughputMain(int argc, char** argv, RunnerEngine& engine, StreamEngine& streams) {
    if (argc != 2) return runnerMain(argc, argv, engine);
    RunnerJob job;
    try {
      job = readRunnerJob(argv[1]);
    } catch (const std::exception&) {
      return runnerMain(argc, argv, engine);  // reports the job file's problem
    }
    const auto mode = job.extra.find("mode");
    if (mode == job.extra.end() || mode->second != "throughput") return runnerMain(argc, argv, engine);
    endWithParent();
    std::string phase = "load";
    try {
      return throughputLoop(job, engine, streams, phase);
    } catch (const KnownError& err) {
      writeErrorFile(job.errorPath, phase, err.what(), true);
    } catch (const std::exception& err) {
      writeErrorFile(job.errorPath, phase, err.what(), false);
    }
    return 3;
  }

}  // namespace mlprof
