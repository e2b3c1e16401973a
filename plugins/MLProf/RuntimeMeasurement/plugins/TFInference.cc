/*
 * Measures the inference runtime of a TensorFlow frozen graph in CMSSW (PhysicsTools/TensorFlow), with the
 * measurement core of MLProf/Utils: per event fresh inputs of every dtype, nWarmup untimed calls, nCalls
 * calls timed with steady_clock around tensorflow::run (which includes CMSSW's output handling, as in
 * production), CSV rows appended to outputFile, process metadata written to metaFile at the end.
 *
 * Inputs of event e (numbered from 0: the EDM event number minus one) use seed + 1000 * e + i, like the
 * local runner, so both measure the same values. One session in the GlobalCache, CPU backend, nInterOpThreads
 * inter-op and nThreads intra-op threads (1 and 1 = production: one thread per stream); tensorflow::run uses
 * its default "no_threads" pool, so the ops run in the stream's thread (the local runner does the same).
 */


#include <memory>
#include <string>
#include <vector>

#include "FWCore/Framework/interface/Event.h"
#include "FWCore/Framework/interface/Frameworkfwd.h"
#include "FWCore/Framework/interface/MakerMacros.h"
#include "FWCore/Framework/interface/stream/EDAnalyzer.h"
#include "FWCore/ParameterSet/interface/ParameterSet.h"
#include "FWCore/Utilities/interface/Exception.h"
#include "PhysicsTools/TensorFlow/interface/TensorFlow.h"
#include "tensorflow/core/public/version.h"

#include "MLProf/Utils/interface/MeasureCore.h"
#include "PluginParams.h"

/** The session shared by all streams, with what loading it cost. */
struct MLProfTFCache {
  std::unique_ptr<tensorflow::SessionCache> sessionCache;
  double loadMs = 0.0;
  mlprof::Rss beforeLoad;
  mlprof::Rss afterLoad;
};

class TFInference : public edm::stream::EDAnalyzer<edm::GlobalCache<MLProfTFCache>> {
public:
  explicit TFInference(const edm::ParameterSet&, const MLProfTFCache*);

  static void fillDescriptions(edm::ConfigurationDescriptions&);
  static std::unique_ptr<MLProfTFCache> initializeGlobalCache(const edm::ParameterSet&);
  static void globalEndJob(const MLProfTFCache*);

private:
  void analyze(const edm::Event&, const edm::EventSetup&) override;
  void endStream() override;
  /** The thread pool of tensorflow::run: "no_threads" (CMSSW's default) for one thread, else "tensorflow". */
  std::string threadPool() const {
    return params_.nThreads == 1 && params_.nInterOpThreads == 1 ? "no_threads" : "tensorflow";
  }

  mlprof::PluginParams params_;
  mlprof::LoopStats stats_;
};

namespace {
  tensorflow::DataType toTF(mlprof::DType dtype) {
    switch (dtype) {
      case mlprof::DType::Float32:
        return tensorflow::DT_FLOAT;
      case mlprof::DType::Float64:
        return tensorflow::DT_DOUBLE;
      case mlprof::DType::Int32:
        return tensorflow::DT_INT32;
      case mlprof::DType::Int64:
        return tensorflow::DT_INT64;
      case mlprof::DType::Bool:
        return tensorflow::DT_BOOL;
    }
    return tensorflow::DT_FLOAT;
  }
}  // namespace

std::unique_ptr<MLProfTFCache> TFInference::initializeGlobalCache(const edm::ParameterSet& config) {
  const auto params = mlprof::readPluginParams(config);
  auto cache = std::make_unique<MLProfTFCache>();
  cache->beforeLoad = mlprof::readRss();
  const auto t0 = mlprof::Clock::now();
  tensorflow::Options options{tensorflow::Backend::cpu};
  options.setThreading(1);
  options.getSessionOptions().config.set_intra_op_parallelism_threads(params.nThreads);
  options.getSessionOptions().config.set_inter_op_parallelism_threads(params.nInterOpThreads);
  cache->sessionCache =
      std::make_unique<tensorflow::SessionCache>(mlprof::resolveGraphPath(params.graphPath), options);
  cache->loadMs = mlprof::elapsedMs(t0, mlprof::Clock::now());
  cache->afterLoad = mlprof::readRss();
  return cache;
}

// the SessionCache closes its session when the global cache is destroyed
void TFInference::globalEndJob(const MLProfTFCache*) {}

void TFInference::fillDescriptions(edm::ConfigurationDescriptions& descriptions) {
  edm::ParameterSetDescription desc;
  mlprof::describePluginParams(desc);
  descriptions.addWithDefaultLabel(desc);
}

TFInference::TFInference(const edm::ParameterSet& config, const MLProfTFCache*)
    : params_(mlprof::readPluginParams(config)) {}

void TFInference::analyze(const edm::Event& event, const edm::EventSetup&) {
  const int64_t e = static_cast<int64_t>(event.id().event()) - 1;
  // inputs of this event, drawn by the core straight into the tensors (outside the clock)
  tensorflow::NamedTensorList inputs;
  for (std::size_t i = 0; i < params_.inputs.size(); i++) {
    const auto& spec = params_.inputs[i];
    tensorflow::TensorShape shape;
    for (int64_t d : mlprof::fullShape(spec, params_.loop.batchSize)) shape.AddDim(d);
    tensorflow::Tensor tensor(toTF(spec.dtype), shape);
    mlprof::fillInput(spec, params_.inputKind, mlprof::inputSeed(params_.seed, e, static_cast<int64_t>(i)),
                      tensor.data(), tensor.NumElements());
    inputs.emplace_back(spec.name, tensor);
  }

  std::vector<tensorflow::Tensor> outputs;
  const tensorflow::Session* session = globalCache()->sessionCache->getSession();
  const std::size_t first = stats_.runtimesMs.size();
  // CMSSW's default "no_threads" pool runs every op in the calling thread and ignores the session's thread
  // settings; more than one thread needs TensorFlow's own pools
  const std::string pool = threadPool();
  // the outputs of a call are released after the clock stops, not inside the next call
  mlprof::measureEvent(
      params_.loop, stats_, [&] { tensorflow::run(session, inputs, params_.outputNames, &outputs, pool); },
      [&] { outputs.clear(); }, nullptr);
  mlprof::writeCsv(params_.outputFile, params_.loop.batchSize, stats_.runtimesMs, true, first);
}

void TFInference::endStream() {
  if (params_.metaFile.empty()) return;
  const mlprof::Rss end = mlprof::readRss();
  mlprof::ProcessMeta meta;
  meta.engineName = "tensorflow";
  meta.engineVersion = TF_VERSION_STRING;
  meta.binding = "CMSSW PhysicsTools/TensorFlow";
  // the threads in effect: one with CMSSW's default "no_threads" pool
  const bool single = threadPool() == "no_threads";
  meta.intraOpThreads = single ? 1 : params_.nThreads;
  meta.interOpThreads = single ? 1 : params_.nInterOpThreads;
  meta.clock = "std::chrono::steady_clock (CLOCK_MONOTONIC) around tensorflow::run";
  meta.loadMs = globalCache()->loadMs;
  meta.rssBeforeLoadKb = globalCache()->beforeLoad.rssKb;
  meta.rssAfterLoadKb = globalCache()->afterLoad.rssKb;
  mlprof::recordLoop(meta, params_.loop, stats_, end);
  mlprof::writeTextFile(params_.metaFile, mlprof::processMetaJson(meta));
}

DEFINE_FWK_MODULE(TFInference);
