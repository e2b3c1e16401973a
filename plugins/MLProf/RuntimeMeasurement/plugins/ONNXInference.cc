/*
 * Measures the inference runtime of an ONNX model in CMSSW (PhysicsTools/ONNXRuntime), with the
 * measurement core of MLProf/Utils: per event fresh inputs, nWarmup untimed calls, nCalls calls timed with
 * steady_clock around cms::Ort::ONNXRuntime::run (which copies the outputs into vectors, as in
 * production), CSV rows appended to outputFile, process metadata written to metaFile at the end.
 *
 * CMSSW's ONNXRuntime::run feeds float32 arrays only: other input dtypes are refused with a clear error.
 * Inputs of event e (the EDM event number minus one) use seed + 1000 * e + i, as the local engines do.
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
#include "PhysicsTools/ONNXRuntime/interface/ONNXRuntime.h"

#include "MLProf/Utils/interface/MeasureCore.h"
#include "PluginParams.h"

/** The ONNX Runtime session shared by all streams, with what loading it cost. */
struct MLProfONNXCache {
  std::unique_ptr<cms::Ort::ONNXRuntime> runtime;
  double loadMs = 0.0;
  mlprof::Rss beforeLoad;
  mlprof::Rss afterLoad;
};

class ONNXInference : public edm::stream::EDAnalyzer<edm::GlobalCache<MLProfONNXCache>> {
public:
  explicit ONNXInference(const edm::ParameterSet&, const MLProfONNXCache*);

  static void fillDescriptions(edm::ConfigurationDescriptions&);
  static std::unique_ptr<MLProfONNXCache> initializeGlobalCache(const edm::ParameterSet&);
  static void globalEndJob(const MLProfONNXCache*) {}

private:
  void analyze(const edm::Event&, const edm::EventSetup&) override;
  void endStream() override;

  mlprof::PluginParams params_;
  mlprof::LoopStats stats_;
  std::vector<std::vector<int64_t>> inputShapes_;
  cms::Ort::FloatArrays inputArrays_;  // each stream holds its own inputs
};

std::unique_ptr<MLProfONNXCache> ONNXInference::initializeGlobalCache(const edm::ParameterSet& config) {
  const auto params = mlprof::readPluginParams(config);
  auto cache = std::make_unique<MLProfONNXCache>();
  cache->beforeLoad = mlprof::readRss();
  const auto t0 = mlprof::Clock::now();
  auto options = cms::Ort::ONNXRuntime::defaultSessionOptions(cms::Ort::Backend::cpu);
  options.SetIntraOpNumThreads(params.nThreads);
  options.SetInterOpNumThreads(params.nInterOpThreads);
  // inter-op threads only act in parallel execution mode (as in the local ONNX engine)
  if (params.nInterOpThreads > 1) options.SetExecutionMode(ExecutionMode::ORT_PARALLEL);
  cache->runtime = std::make_unique<cms::Ort::ONNXRuntime>(mlprof::resolveGraphPath(params.graphPath), &options);
  cache->loadMs = mlprof::elapsedMs(t0, mlprof::Clock::now());
  cache->afterLoad = mlprof::readRss();
  return cache;
}

void ONNXInference::fillDescriptions(edm::ConfigurationDescriptions& descriptions) {
  edm::ParameterSetDescription desc;
  mlprof::describePluginParams(desc);
  descriptions.addWithDefaultLabel(desc);
}

ONNXInference::ONNXInference(const edm::ParameterSet& config, const MLProfONNXCache*)
    : params_(mlprof::readPluginParams(config)) {
  for (const auto& spec : params_.inputs) {
    if (spec.dtype != mlprof::DType::Float32) {
      throw cms::Exception("UnsupportedDType")
          << "input " << spec.name << " is " << mlprof::dtypeName(spec.dtype)
          << ", but CMSSW's cms::Ort::ONNXRuntime::run feeds float32 inputs only";
    }
    inputShapes_.push_back(mlprof::fullShape(spec, params_.loop.batchSize));
    inputArrays_.emplace_back(static_cast<std::size_t>(mlprof::elementCount(inputShapes_.back())), 0.0f);
  }
}

void ONNXInference::analyze(const edm::Event& event, const edm::EventSetup&) {
  const int64_t e = static_cast<int64_t>(event.id().event()) - 1;
  for (std::size_t i = 0; i < params_.inputs.size(); i++) {
    auto& values = inputArrays_[i];
    mlprof::fillInput(params_.inputs[i], params_.inputKind, mlprof::inputSeed(params_.seed, e, static_cast<int64_t>(i)),
                      values.data(), static_cast<int64_t>(values.size()));
  }
  const cms::Ort::ONNXRuntime* runtime = globalCache()->runtime.get();
  cms::Ort::FloatArrays outputs;
  const std::size_t first = stats_.runtimesMs.size();
  mlprof::measureEvent(
      params_.loop,
      stats_,
      [&] {
        outputs = runtime->run(params_.inputNames, inputArrays_, inputShapes_, params_.outputNames, params_.loop.batchSize);
      },
      // the previous call's outputs are released after the clock stops, not inside the next call
      [&] { outputs.clear(); },
      nullptr);
  mlprof::writeCsv(params_.outputFile, params_.loop.batchSize, stats_.runtimesMs, true, first);
}

void ONNXInference::endStream() {
  if (params_.metaFile.empty()) return;
  const mlprof::Rss end = mlprof::readRss();
  mlprof::ProcessMeta meta;
  meta.engineName = "onnxruntime";
  meta.engineVersion = OrtGetApiBase()->GetVersionString();
  meta.binding = "CMSSW PhysicsTools/ONNXRuntime";
  meta.intraOpThreads = params_.nThreads;
  meta.interOpThreads = params_.nInterOpThreads;
  meta.clock = "std::chrono::steady_clock (CLOCK_MONOTONIC) around cms::Ort::ONNXRuntime::run";
  meta.loadMs = globalCache()->loadMs;
  meta.rssBeforeLoadKb = globalCache()->beforeLoad.rssKb;
  meta.rssAfterLoadKb = globalCache()->afterLoad.rssKb;
  mlprof::recordLoop(meta, params_.loop, stats_, end);
  mlprof::writeTextFile(params_.metaFile, mlprof::processMetaJson(meta));
}

DEFINE_FWK_MODULE(ONNXInference);
