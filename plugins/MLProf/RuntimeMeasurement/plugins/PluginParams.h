#ifndef MLPROF_RUNTIMEMEASUREMENT_PLUGINPARAMS_H
#define MLPROF_RUNTIMEMEASUREMENT_PLUGINPARAMS_H

/*
 * The parameters every MLProf inference plugin takes (rendered by the cmsRun configs of cmssw-templates/), read into
 * the measurement core's types. Inputs are parallel lists: one entry per input in each of
 * inputTensorNames, inputDTypes, inputRanks (rank without the batch dimension), inputBatched (0/1),
 * inputHasValue (0/1), inputValues, inputRangeLows, inputRangeHighs; flatInputSizes holds the dimensions
 * of all inputs one after the other.
 */

#include <string>
#include <vector>

#include "FWCore/ParameterSet/interface/ConfigurationDescriptions.h"
#include "FWCore/ParameterSet/interface/FileInPath.h"
#include "FWCore/ParameterSet/interface/ParameterSet.h"
#include "FWCore/ParameterSet/interface/ParameterSetDescription.h"
#include "FWCore/Utilities/interface/Exception.h"

#include "MLProf/Utils/interface/MeasureCore.h"

namespace mlprof {

  /** Everything an inference plugin needs to measure. */
  struct PluginParams {
    std::string graphPath;
    std::vector<InputSpec> inputs;
    std::vector<std::string> inputNames;
    std::vector<std::string> outputNames;
    std::string outputFile;
    std::string metaFile;
    InputKind inputKind = InputKind::Random;
    LoopConfig loop;
    uint64_t seed = 0;
    int nThreads = 1;
    int nInterOpThreads = 1;
  };

  /** Declares the parameters (fillDescriptions generates the module's _cfi from it). */
  inline void describePluginParams(edm::ParameterSetDescription& desc) {
    desc.add<std::string>("graphPath");
    desc.add<std::vector<std::string>>("inputTensorNames");
    desc.add<std::vector<std::string>>("inputDTypes");
    desc.add<std::vector<int>>("inputRanks");
    desc.add<std::vector<int>>("flatInputSizes");
    desc.add<std::vector<int>>("inputBatched");
    desc.add<std::vector<int>>("inputHasValue");
    desc.add<std::vector<double>>("inputValues");
    desc.add<std::vector<int>>("inputRangeLows");
    desc.add<std::vector<int>>("inputRangeHighs");
    desc.add<std::vector<std::string>>("outputTensorNames");
    desc.add<std::string>("outputFile");
    desc.add<std::string>("metaFile", "");
    desc.add<std::string>("inputType", "random");
    desc.add<int>("batchSize", 1);
    desc.add<int>("nCalls", 100);
    desc.add<int>("nWarmup", 10);
    desc.add<int>("seed", 12345);
    desc.add<double>("warmupMs", 0.0);
    desc.add<double>("minDurationMs", 0.0);
    desc.add<bool>("untilStable", false);
    desc.add<double>("stability", 0.02);
    desc.add<double>("maxDurationMs", 60000.0);
    desc.add<int>("nThreads", 1);
    desc.add<int>("nInterOpThreads", 1);
  }

  /** The graph file: an absolute path as is, else looked up with edm::FileInPath (CMSSW_SEARCH_PATH). */
  inline std::string resolveGraphPath(const std::string& path) {
    return !path.empty() && path[0] == '/' ? path : edm::FileInPath(path).fullPath();
  }

  /** Reads and checks the parameters; every problem is a cms::Exception naming the parameter. */
  inline PluginParams readPluginParams(const edm::ParameterSet& ps) {
    PluginParams p;
    p.graphPath = ps.getParameter<std::string>("graphPath");
    p.inputNames = ps.getParameter<std::vector<std::string>>("inputTensorNames");
    const auto dtypes = ps.getParameter<std::vector<std::string>>("inputDTypes");
    const auto ranks = ps.getParameter<std::vector<int>>("inputRanks");
    const auto sizes = ps.getParameter<std::vector<int>>("flatInputSizes");
    const auto batched = ps.getParameter<std::vector<int>>("inputBatched");
    const auto hasValue = ps.getParameter<std::vector<int>>("inputHasValue");
    const auto values = ps.getParameter<std::vector<double>>("inputValues");
    const auto lows = ps.getParameter<std::vector<int>>("inputRangeLows");
    const auto highs = ps.getParameter<std::vector<int>>("inputRangeHighs");
    const std::size_t n = p.inputNames.size();
    if (dtypes.size() != n || ranks.size() != n || batched.size() != n || hasValue.size() != n || values.size() != n ||
        lows.size() != n || highs.size() != n) {
      throw cms::Exception("InvalidInputs") << "inputTensorNames, inputDTypes, inputRanks, inputBatched, inputHasValue, "
                                            << "inputValues, inputRangeLows and inputRangeHighs need one entry per input";
    }
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; i++) {
      InputSpec spec;
      spec.name = p.inputNames[i];
      try {
        spec.dtype = parseDType(dtypes[i]);
      } catch (const std::exception& e) {
        throw cms::Exception("InvalidDType") << "input " << spec.name << ": " << e.what();
      }
      if (ranks[i] < 0 || offset + ranks[i] > sizes.size()) {
        throw cms::Exception("InvalidFlatInputSizes") << "input " << spec.name << ": rank " << ranks[i]
                                                      << " does not fit flatInputSizes of length " << sizes.size();
      }
      for (int d = 0; d < ranks[i]; d++, offset++) {
        if (sizes[offset] < 1) throw cms::Exception("InvalidInputSize") << "input " << spec.name << ": sizes must be positive";
        spec.shape.push_back(sizes[offset]);
      }
      spec.batched = batched[i] != 0;
      spec.hasValue = hasValue[i] != 0;
      spec.value = values[i];
      spec.rangeLow = lows[i];
      spec.rangeHigh = highs[i];
      if (spec.rangeHigh <= spec.rangeLow) throw cms::Exception("InvalidRange") << "input " << spec.name << ": empty range";
      p.inputs.push_back(spec);
    }
    if (offset != sizes.size()) {
      throw cms::Exception("InvalidFlatInputSizes") << "the input ranks sum to " << offset << " but flatInputSizes has "
                                                    << sizes.size() << " entries";
    }
    p.outputNames = ps.getParameter<std::vector<std::string>>("outputTensorNames");
    p.outputFile = ps.getParameter<std::string>("outputFile");
    p.metaFile = ps.getParameter<std::string>("metaFile");
    try {
      p.inputKind = parseInputKind(ps.getParameter<std::string>("inputType"));
    } catch (const std::exception& e) {
      throw cms::Exception("InvalidInputType") << e.what();
    }
    p.loop.batchSize = ps.getParameter<int>("batchSize");
    p.loop.nCalls = ps.getParameter<int>("nCalls");
    p.loop.nWarmup = ps.getParameter<int>("nWarmup");
    p.seed = static_cast<uint64_t>(ps.getParameter<int>("seed"));
    p.loop.warmupMs = ps.getParameter<double>("warmupMs");
    p.loop.minDurationMs = ps.getParameter<double>("minDurationMs");
    p.loop.untilStable = ps.getParameter<bool>("untilStable");
    p.loop.stability = ps.getParameter<double>("stability");
    p.loop.maxDurationMs = ps.getParameter<double>("maxDurationMs");
    p.nThreads = ps.getParameter<int>("nThreads");
    p.nInterOpThreads = ps.getParameter<int>("nInterOpThreads");
    if (p.loop.batchSize < 1 || p.loop.nCalls < 1 || p.loop.nWarmup < 0 || p.nThreads < 1 || p.nInterOpThreads < 1) {
      throw cms::Exception("InvalidParameter")
          << "batchSize, nCalls, nThreads and nInterOpThreads must be positive, nWarmup not negative";
    }
    return p;
  }

}  // namespace mlprof

#endif  // MLPROF_RUNTIMEMEASUREMENT_PLUGINPARAMS_H
