/*
 * A runner with a synthetic engine, for the tests of the measurement core (test/native-core.test.ts): it
 * speaks the runner protocol of RunnerSupport.h, draws the declared inputs with the core for every event,
 * and its "inference" spins for x.spin_ns nanoseconds (default 2000) and sums the inputs. The dump holds the
 * last event's inputs and, as outputs, the inputs of every event ("e<event>/<input>") and the sum.
 * x.fail = load | prepare | call | later-call makes it fail there (call: the first, later-call: the second), to
 * test error reports.
 */

#include <map>
#include <string>
#include <vector>

#include "MLProf/Utils/interface/MeasureCore.h"
#include "RunnerSupport.h"

namespace {

  class CheckEngine : public mlprof::RunnerEngine {
  public:
    void load(const mlprof::RunnerJob& job) override {
      job_ = job;
      const auto it = job.extra.find("spin_ns");
      spinNs_ = it == job.extra.end() ? 2000 : std::stoll(it->second);
      const auto growth = job.extra.find("spin_growth_ns");
      growthNs_ = growth == job.extra.end() ? 0 : std::stoll(growth->second);
      const auto fail = job.extra.find("fail");
      fail_ = fail == job.extra.end() ? "" : fail->second;
      if (fail_ == "load") throw mlprof::KnownError("synthetic failure while loading");
      for (const auto& spec : job.inputs) buffers_.emplace_back(spec, job.loop.batchSize);
    }

    void describe(mlprof::ProcessMeta& meta) const override {
      meta.engineName = "check";
      meta.engineVersion = "1";
      meta.binding = "synthetic";
      meta.intraOpThreads = job_.threads;
      meta.interOpThreads = job_.interOpThreads;
    }

    void prepareEvent(int64_t event) override {
      if (fail_ == "prepare") throw mlprof::KnownError("synthetic failure while preparing inputs");
      for (std::size_t i = 0; i < buffers_.size(); i++) {
        buffers_[i].fill(job_.inputKind, mlprof::inputSeed(job_.seed, event, static_cast<int64_t>(i)));
        const auto* bytes = static_cast<const unsigned char*>(buffers_[i].data());
        history_.push_back({"e" + std::to_string(event) + "/" + buffers_[i].spec().name, buffers_[i].shape(),
                            buffers_[i].spec().dtype, std::vector<unsigned char>(bytes, bytes + buffers_[i].byteSize())});
      }
    }

    void call() override {
      const auto start = mlprof::Clock::now();
      double sum = 0.0;
      for (const auto& b : buffers_) sum += static_cast<double>(static_cast<const unsigned char*>(b.data())[0]);
      while (std::chrono::duration_cast<std::chrono::nanoseconds>(mlprof::Clock::now() - start).count() < spinNs_) {
        sum += 1e-9;
      }
      spinNs_ += growthNs_;
      sum_ = sum;
    }

    void afterCall() override {
      calls_++;
      // "call": the first call (the cold one) fails; "later-call": the second
      if (fail_ == "call" || (fail_ == "later-call" && calls_ == 2))
        throw mlprof::KnownError("synthetic failure in a call");
    }

    std::string dump() override {
      call();
      std::vector<std::pair<std::string, mlprof::TensorView>> ins, outs;
      for (const auto& b : buffers_) ins.push_back({b.spec().name, {b.shape(), b.spec().dtype, b.data()}});
      for (const auto& h : history_) outs.push_back({h.name, {h.shape, h.dtype, h.bytes.data()}});
      outs.push_back({"sum", {{}, mlprof::DType::Float64, &sum_}});
      return mlprof::dumpJson(ins, outs);
    }

  private:
    struct Copy {
      std::string name;
      std::vector<int64_t> shape;
      mlprof::DType dtype;
      std::vector<unsigned char> bytes;
    };
    mlprof::RunnerJob job_;
    std::vector<mlprof::InputBuffer> buffers_;
    std::vector<Copy> history_;
    long long spinNs_ = 2000;
    /** x.spin_growth_ns: each call spins this much longer than the one before (a drifting engine). */
    long long growthNs_ = 0;
    std::string fail_;
    long calls_ = 0;
    double sum_ = 0.0;
  };

}  // namespace

int main(int argc, char** argv) {
  CheckEngine engine;
  return mlprof::runnerMain(argc, argv, engine);
}
