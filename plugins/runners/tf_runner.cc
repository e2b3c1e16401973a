/*
 * Local TensorFlow runner: measures a frozen GraphDef through the TensorFlow C API, the local analogue of
 * cmsRun with the TFInference plugin. `tf_runner <job file>` (see RunnerSupport.h for the protocol).
 *
 * One session (intra-op and inter-op threads from the job; with one inter-op thread the ops run in the
 * calling thread, as in CMSSW); inputs are drawn by the measurement core into TF_Tensors allocated once
 * per event and reused for its calls; only TF_SessionRun is timed.
 * Works with TF1-era graphs: placeholders without shape, scalar learning-phase flags fed by constant
 * inputs, input and output names with or without an ":<index>" suffix.
 * A throughput job (ThroughputSupport.h) runs S threads calling TF_SessionRun on the one session, each
 * with its own inputs (those of event k), as CMSSW's streams call the session of the SessionCache.
 */

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"

#include "MLProf/Utils/interface/MeasureCore.h"
#include "RunnerSupport.h"
#include "ThroughputSupport.h"

namespace {

  using mlprof::DType;
  using mlprof::KnownError;

  struct StatusDeleter {
    void operator()(TF_Status* s) const { TF_DeleteStatus(s); }
  };
  using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;

  /** Throws a KnownError "<what>: <TF message>" when the status is not OK. */
  void check(TF_Status* status, const std::string& what) {
    if (TF_GetCode(status) != TF_OK) throw KnownError(what + ": " + TF_Message(status));
  }

  const char* tfTypeName(TF_DataType t) {
    switch (t) {
      case TF_FLOAT:
        return "float32";
      case TF_DOUBLE:
        return "float64";
      case TF_INT32:
        return "int32";
      case TF_INT64:
        return "int64";
      case TF_BOOL:
        return "bool";
      case TF_HALF:
        return "float16";
      case TF_BFLOAT16:
        return "bfloat16";
      case TF_UINT8:
        return "uint8";
      case TF_INT8:
        return "int8";
      case TF_INT16:
        return "int16";
      case TF_UINT16:
        return "uint16";
      case TF_UINT32:
        return "uint32";
      case TF_UINT64:
        return "uint64";
      case TF_STRING:
        return "string";
      default:
        return "other";
    }
  }

  TF_DataType toTfType(DType d) {
    switch (d) {
      case DType::Float32:
        return TF_FLOAT;
      case DType::Float64:
        return TF_DOUBLE;
      case DType::Int32:
        return TF_INT32;
      case DType::Int64:
        return TF_INT64;
      case DType::Bool:
        return TF_BOOL;
    }
    return TF_FLOAT;
  }

  bool fromTfType(TF_DataType t, DType& out) {
    switch (t) {
      case TF_FLOAT:
        out = DType::Float32;
        return true;
      case TF_DOUBLE:
        out = DType::Float64;
        return true;
      case TF_INT32:
        out = DType::Int32;
        return true;
      case TF_INT64:
        out = DType::Int64;
        return true;
      case TF_BOOL:
        out = DType::Bool;
        return true;
      default:
        return false;
    }
  }

  /** "op" or "op:3" → ("op", 3). */
  std::pair<std::string, int> splitTensorName(const std::string& name) {
    const std::size_t colon = name.rfind(':');
    if (colon != std::string::npos && colon + 1 < name.size() &&
        name.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      return {name.substr(0, colon), std::atoi(name.c_str() + colon + 1)};
    }
    return {name, 0};
  }

  /** An input or output of the graph as listed in messages: name, dtype, shape (null: unknown rank). */
  struct GraphTensor {
    std::string name;
    TF_Output output;
    TF_DataType dtype;
    bool knownRank;
    std::vector<int64_t> dims;  // -1: dynamic
    bool optional;              // PlaceholderWithDefault
  };

  GraphTensor describeTensor(TF_Graph* graph, TF_Output out, const std::string& name) {
    StatusPtr status(TF_NewStatus());
    GraphTensor t{name, out, TF_OperationOutputType(out), false, {}, false};
    const int rank = TF_GraphGetTensorNumDims(graph, out, status.get());
    if (TF_GetCode(status.get()) == TF_OK && rank >= 0) {
      t.knownRank = true;
      t.dims.assign(static_cast<std::size_t>(rank), -1);
      if (rank > 0) TF_GraphGetTensorShape(graph, out, t.dims.data(), rank, status.get());
    }
    return t;
  }

  std::string showTensor(const GraphTensor& t) {
    std::ostringstream o;
    o << t.name << " (" << tfTypeName(t.dtype) << ", ";
    if (!t.knownRank) {
      o << "unknown shape";
    } else {
      o << "[";
      for (std::size_t i = 0; i < t.dims.size(); i++) {
        o << (i ? ", " : "");
        if (t.dims[i] < 0) o << "?";
        else o << t.dims[i];
      }
      o << "]";
    }
    if (t.optional) o << ", has a default";
    o << ")";
    return o.str();
  }

  std::string showList(const std::vector<GraphTensor>& list) {
    std::string s;
    for (const auto& t : list) s += (s.empty() ? "" : "; ") + showTensor(t);
    return s.empty() ? "(none)" : s;
  }

  std::string showShape(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }

  class TFEngine : public mlprof::RunnerEngine, public mlprof::StreamEngine {
  public:
    ~TFEngine() override {
      releaseOutputs();
      releaseInputs();
      for (std::size_t k = 0; k < streamInputs_.size(); k++) {
        releaseStreamOutputs(static_cast<int>(k));
        for (TF_Tensor* t : streamInputs_[k]) TF_DeleteTensor(t);
      }
      if (session_) {
        StatusPtr status(TF_NewStatus());
        TF_CloseSession(session_, status.get());
        TF_DeleteSession(session_, status.get());
      }
      if (graph_) TF_DeleteGraph(graph_);
    }

    void load(const mlprof::RunnerJob& job) override {
      job_ = job;
      StatusPtr status(TF_NewStatus());
      std::ifstream file(job.modelPath, std::ios::binary);
      if (!file) throw KnownError("cannot read the graph file " + job.modelPath);
      const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      TF_Buffer* buffer = TF_NewBufferFromString(bytes.data(), bytes.size());
      graph_ = TF_NewGraph();
      TF_ImportGraphDefOptions* opts = TF_NewImportGraphDefOptions();
      TF_GraphImportGraphDef(graph_, buffer, opts, status.get());
      TF_DeleteImportGraphDefOptions(opts);
      TF_DeleteBuffer(buffer);
      if (TF_GetCode(status.get()) != TF_OK) {
        throw KnownError("TensorFlow cannot import " + job.modelPath + " as a frozen GraphDef (" +
                         std::to_string(bytes.size()) + " bytes): " + TF_Message(status.get()));
      }
      resolveSignature();

      TF_SessionOptions* sessionOpts = TF_NewSessionOptions();
      // one inter-op thread: run the ops in the calling thread (a negative inter_op_parallelism_threads),
      // as CMSSW's tensorflow::run does with its default "no_threads" pool, without a hand-off per call
      const int interOp = job.interOpThreads == 1 ? -1 : job.interOpThreads;
      const std::string config = configProto(job.threads, interOp);
      TF_SetConfig(sessionOpts, config.data(), config.size(), status.get());
      check(status.get(), "cannot set the session's thread configuration");
      session_ = TF_NewSession(graph_, sessionOpts, status.get());
      TF_DeleteSessionOptions(sessionOpts);
      check(status.get(), "cannot create a TensorFlow session");
      outputValues_.assign(outputs_.size(), nullptr);
    }

    void describe(mlprof::ProcessMeta& meta) const override {
      meta.engineName = "tensorflow";
      meta.engineVersion = TF_Version();
      meta.binding = "C API";
      meta.engineExtra["session"] = "TF_NewSession on an imported frozen GraphDef, default graph optimizations";
      meta.engineExtra["interOpScheduling"] =
          job_.interOpThreads == 1 ? "ops run in the calling thread (inter_op_parallelism_threads = -1), as CMSSW's "
                                     "tensorflow::run with its default no_threads pool"
                                   : "an inter-op thread pool of " + std::to_string(job_.interOpThreads) + " threads";
      meta.engineExtra["memoryNote"] = "rssBeforeLoadKb includes the TensorFlow libraries, linked at process start";
      const char* onednn = std::getenv("TF_ENABLE_ONEDNN_OPTS");
      meta.engineExtra["oneDNN"] =
          onednn == nullptr ? "on (TF_ENABLE_ONEDNN_OPTS unset: the wheel's default on x86; CMSSW builds TensorFlow without it)"
          : std::string(onednn) == "0" ? "off (TF_ENABLE_ONEDNN_OPTS=0, as CMSSW builds TensorFlow)"
                                       : "on (TF_ENABLE_ONEDNN_OPTS=" + std::string(onednn) + ")";
      meta.engineExtra["denormals"] =
          job_.interOpThreads == 1 ? "not flushed: ops run in the calling thread, which sets no FTZ/DAZ (as in CMSSW)"
                                   : "flushed in TensorFlow's pool threads (FTZ/DAZ)";
      meta.intraOpThreads = job_.threads;
      meta.interOpThreads = job_.interOpThreads;
      meta.clock = "std::chrono::steady_clock (CLOCK_MONOTONIC) around TF_SessionRun";
    }

    void prepareEvent(int64_t event) override {
      releaseInputs();
      inputValues_ = eventInputs(event);
    }

    // ---- throughput: S streams call TF_SessionRun on the one session (thread-safe), each with its own
    // input tensors (those of event k), outputs and status, as CMSSW's streams share the SessionCache's session

    std::string sharing() const override { return "shared-session"; }

    std::string timedCall() const override {
      return "TF_SessionRun on the shared session with the stream's own input tensors; the output tensors are "
             "released after the second stamp";
    }

    void prepareStreams(int streams) override {
      for (int k = 0; k < streams; k++) {
        streamInputs_.push_back(eventInputs(k));
        streamOutputs_.emplace_back(outputs_.size(), nullptr);
        streamStatus_.emplace_back(TF_NewStatus());
        callStream(k);
        afterStreamCall(k);
      }
    }

    void callStream(int k) override {
      const auto i = static_cast<std::size_t>(k);
      TF_SessionRun(session_, nullptr, inputs_.data(), streamInputs_[i].data(), static_cast<int>(inputs_.size()),
                    outputs_.data(), streamOutputs_[i].data(), static_cast<int>(outputs_.size()), nullptr, 0, nullptr,
                    streamStatus_[i].get());
    }

    void afterStreamCall(int k) override {
      releaseStreamOutputs(k);
      TF_Status* status = streamStatus_[static_cast<std::size_t>(k)].get();
      if (TF_GetCode(status) != TF_OK) {
        const std::string message = TF_Message(status);
        throw KnownError("TF_SessionRun failed at batch size " + std::to_string(job_.loop.batchSize) + ": " + message +
                         explainRunFailure(message));
      }
    }

    void call() override {
      TF_SessionRun(session_, nullptr, inputs_.data(), inputValues_.data(), static_cast<int>(inputs_.size()),
                    outputs_.data(), outputValues_.data(), static_cast<int>(outputs_.size()), nullptr, 0, nullptr,
                    runStatus_.get());
    }

    void afterCall() override {
      releaseOutputs();
      if (TF_GetCode(runStatus_.get()) != TF_OK) {
        const std::string message = TF_Message(runStatus_.get());
        throw KnownError("TF_SessionRun failed at batch size " + std::to_string(job_.loop.batchSize) + ": " + message +
                         explainRunFailure(message));
      }
    }

    std::string dump() override {
      call();
      check(runStatus_.get(), "TF_SessionRun failed");
      std::vector<std::pair<std::string, mlprof::TensorView>> ins, outs;
      for (std::size_t i = 0; i < job_.inputs.size(); i++) {
        ins.push_back({job_.inputs[i].name, view(inputValues_[i], job_.inputs[i].name)});
      }
      for (std::size_t i = 0; i < job_.outputs.size(); i++) {
        outs.push_back({job_.outputs[i], view(outputValues_[i], job_.outputs[i])});
      }
      std::string json = mlprof::dumpJson(ins, outs);
      releaseOutputs();
      return json;
    }

  private:
    /**
     * A serialized ConfigProto with intra_op_parallelism_threads (field 2) and inter_op_parallelism_threads
     * (field 5), both int32 varints (negative values take 10 bytes, as protobuf writes them).
     */
    static std::string configProto(int intraOp, int interOp) {
      std::string out;
      auto varint = [&out](uint64_t v) {
        while (v >= 0x80) {
          out += static_cast<char>((v & 0x7f) | 0x80);
          v >>= 7;
        }
        out += static_cast<char>(v);
      };
      varint((2 << 3) | 0);
      varint(static_cast<uint64_t>(static_cast<int64_t>(intraOp)));
      varint((5 << 3) | 0);
      varint(static_cast<uint64_t>(static_cast<int64_t>(interOp)));
      return out;
    }

    mlprof::TensorView view(TF_Tensor* t, const std::string& name) const {
      DType dtype;
      if (!fromTfType(TF_TensorType(t), dtype)) {
        throw KnownError("tensor '" + name + "' has element type " + tfTypeName(TF_TensorType(t)) +
                         ", which cannot be dumped");
      }
      std::vector<int64_t> shape;
      for (int d = 0; d < TF_NumDims(t); d++) shape.push_back(TF_Dim(t, d));
      return {shape, dtype, TF_TensorData(t)};
    }

    /** The placeholders of the graph, and those the declared outputs depend on. */
    void graphInputs(std::vector<GraphTensor>& placeholders) const {
      std::size_t pos = 0;
      TF_Operation* op;
      while ((op = TF_GraphNextOperation(graph_, &pos)) != nullptr) {
        const std::string type = TF_OperationOpType(op);
        if (type != "Placeholder" && type != "PlaceholderWithDefault") continue;
        GraphTensor t = describeTensor(graph_, TF_Output{op, 0}, TF_OperationName(op));
        t.optional = type == "PlaceholderWithDefault";
        placeholders.push_back(t);
      }
    }

    /** Candidate outputs for messages: outputs of operations nothing consumes (graph sinks). */
    std::vector<GraphTensor> graphSinks() const {
      std::vector<GraphTensor> sinks;
      std::size_t pos = 0;
      TF_Operation* op;
      while ((op = TF_GraphNextOperation(graph_, &pos)) != nullptr) {
        const int n = TF_OperationNumOutputs(op);
        for (int i = 0; i < n; i++) {
          TF_Output out{op, i};
          if (TF_OperationOutputNumConsumers(out) > 0) continue;
          const std::string name = std::string(TF_OperationName(op)) + (i > 0 ? ":" + std::to_string(i) : "");
          sinks.push_back(describeTensor(graph_, out, name));
        }
      }
      return sinks;
    }

    /** Operations the declared outputs depend on (data and control inputs). */
    std::set<TF_Operation*> ancestors(const std::vector<TF_Output>& outputs) const {
      std::set<TF_Operation*> seen;
      std::vector<TF_Operation*> stack;
      for (const auto& o : outputs) stack.push_back(o.oper);
      while (!stack.empty()) {
        TF_Operation* op = stack.back();
        stack.pop_back();
        if (!seen.insert(op).second) continue;
        const int n = TF_OperationNumInputs(op);
        for (int i = 0; i < n; i++) stack.push_back(TF_OperationInput(TF_Input{op, i}).oper);
        const int nc = TF_OperationNumControlInputs(op);
        if (nc > 0) {
          std::vector<TF_Operation*> controls(static_cast<std::size_t>(nc));
          TF_OperationGetControlInputs(op, controls.data(), nc);
          stack.insert(stack.end(), controls.begin(), controls.end());
        }
      }
      return seen;
    }

    /**
     * Resolves the declared outputs and inputs to graph tensors and checks them as src/engines/signature.ts
     * checks ONNX models: names, element types, ranks and fixed dimensions at the batch size; placeholders
     * the outputs need must be declared. Lists the graph's placeholders (or sinks) on a mismatch.
     */
    void resolveSignature() {
      std::vector<std::string> missingOutputs;
      for (const auto& name : job_.outputs) {
        const auto parts = splitTensorName(name);
        TF_Operation* op = TF_GraphOperationByName(graph_, parts.first.c_str());
        if (!op || parts.second >= TF_OperationNumOutputs(op)) {
          missingOutputs.push_back("'" + name + "'");
          continue;
        }
        outputs_.push_back(TF_Output{op, parts.second});
      }
      if (!missingOutputs.empty()) {
        std::string list;
        for (const auto& m : missingOutputs) list += (list.empty() ? "" : ", ") + m;
        throw KnownError(std::string("declared output") + (missingOutputs.size() > 1 ? "s " : " ") + list +
                         " not found; the model's outputs are: " + showList(graphSinks()));
      }

      std::vector<GraphTensor> placeholders;
      graphInputs(placeholders);
      const std::string inputList = "the model's inputs are: " + showList(placeholders);
      std::vector<std::string> problems;
      std::set<TF_Operation*> declaredOps;
      for (const auto& spec : job_.inputs) {
        const auto parts = splitTensorName(spec.name);
        TF_Operation* op = TF_GraphOperationByName(graph_, parts.first.c_str());
        if (!op || parts.second >= TF_OperationNumOutputs(op)) {
          problems.push_back("declared input '" + spec.name + "' is not an input of the model");
          continue;
        }
        declaredOps.insert(op);
        const TF_Output out{op, parts.second};
        inputs_.push_back(out);
        const GraphTensor actual = describeTensor(graph_, out, spec.name);
        if (actual.dtype != toTfType(spec.dtype)) {
          problems.push_back("input '" + spec.name + "' is declared as " + mlprof::dtypeName(spec.dtype) +
                             " but the model expects " + tfTypeName(actual.dtype));
        }
        if (!actual.knownRank) {
          unknownRank_.push_back(inputs_.size() - 1);
          continue;
        }
        const auto shape = mlprof::fullShape(spec, job_.loop.batchSize);
        if (actual.dims.size() != shape.size()) {
          const bool hint = spec.batched && actual.dims.size() == spec.shape.size();
          problems.push_back("input '" + spec.name + "' has rank " + std::to_string(shape.size()) + " at batch size " +
                             std::to_string(job_.loop.batchSize) + " (" + showShape(shape) +
                             ") but the model expects rank " + std::to_string(actual.dims.size()) +
                             (hint ? " (an input without batch dimension needs 'batched: false')" : ""));
          continue;
        }
        for (std::size_t i = 0; i < shape.size(); i++) {
          if (actual.dims[i] < 0 || actual.dims[i] == shape[i]) continue;
          const bool batchDim = spec.batched && i == 0;
          problems.push_back("input '" + spec.name + "': " + (batchDim ? "batch dimension" : "dimension " + std::to_string(i)) +
                             " is " + std::to_string(shape[i]) + " but the model fixes it to " +
                             std::to_string(actual.dims[i]) +
                             (batchDim ? " (the model cannot run batch size " + std::to_string(shape[i]) + ")" : ""));
        }
      }
      const auto needed = ancestors(outputs_);
      for (const auto& p : placeholders) {
        if (p.optional || declaredOps.count(p.output.oper) || !needed.count(p.output.oper)) continue;
        problems.push_back("model input '" + p.name + "' is not declared in the model file (the outputs need it)");
      }
      if (!problems.empty()) {
        std::string msg;
        for (const auto& p : problems) msg += p + "; ";
        throw KnownError(msg + inputList);
      }
    }

    /**
     * A shape or rank error of TF_SessionRun may concern a declared input whose rank the graph does not fix
     * (a TF1 placeholder without shape, such as a learning-phase flag, is not checked before the run): names
     * those inputs that the failing node (`{{node X}}` in the message) depends on, with what to declare.
     */
    std::string explainRunFailure(const std::string& message) const {
      static const char* words[] = {"scalar", "rank", "shape", "dimension"};
      bool aboutShapes = false;
      for (const char* w : words) aboutShapes = aboutShapes || message.find(w) != std::string::npos;
      if (!aboutShapes || unknownRank_.empty()) return "";
      std::vector<std::size_t> suspects = unknownRank_;
      const std::size_t at = message.find("{{node ");
      if (at != std::string::npos) {
        const std::size_t end = message.find("}}", at);
        const std::string node = message.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
        TF_Operation* op = TF_GraphOperationByName(graph_, node.c_str());
        if (op) {
          const auto needed = ancestors({TF_Output{op, 0}});
          std::vector<std::size_t> feeding;
          for (std::size_t i : unknownRank_) {
            if (needed.count(inputs_[i].oper)) feeding.push_back(i);
          }
          if (!feeding.empty()) suspects = feeding;
        }
      }
      std::string text;
      for (std::size_t i : suspects) {
        const auto& spec = job_.inputs[i];
        text += std::string(text.empty() ? "" : "; ") + "input '" + spec.name + "' was fed as " +
                showShape(mlprof::fullShape(spec, job_.loop.batchSize)) + " and the graph does not fix its rank";
      }
      return " (" + text +
             ": declare its shape without the batch dimension, e.g. 'shape: []' for a scalar, and 'batched: false' "
             "for an input without batch dimension; a constant 'value' without 'shape' is a scalar)";
    }

    /** The input tensors of one event, drawn by the measurement core. */
    std::vector<TF_Tensor*> eventInputs(int64_t event) const {
      std::vector<TF_Tensor*> values;
      for (std::size_t i = 0; i < job_.inputs.size(); i++) {
        const auto& spec = job_.inputs[i];
        const auto shape = mlprof::fullShape(spec, job_.loop.batchSize);
        const int64_t n = mlprof::elementCount(shape);
        TF_Tensor* t = TF_AllocateTensor(toTfType(spec.dtype), shape.data(), static_cast<int>(shape.size()),
                                         static_cast<std::size_t>(n) * mlprof::dtypeSize(spec.dtype));
        if (!t) {
          for (TF_Tensor* v : values) TF_DeleteTensor(v);
          throw std::runtime_error("cannot allocate the input tensor " + spec.name);
        }
        mlprof::fillInput(spec, job_.inputKind, mlprof::inputSeed(job_.seed, event, static_cast<int64_t>(i)),
                          TF_TensorData(t), n);
        values.push_back(t);
      }
      return values;
    }

    void releaseStreamOutputs(int k) {
      for (TF_Tensor*& t : streamOutputs_[static_cast<std::size_t>(k)]) {
        if (t) TF_DeleteTensor(t);
        t = nullptr;
      }
    }

    void releaseInputs() {
      for (TF_Tensor* t : inputValues_) TF_DeleteTensor(t);
      inputValues_.clear();
    }

    void releaseOutputs() {
      for (TF_Tensor*& t : outputValues_) {
        if (t) TF_DeleteTensor(t);
        t = nullptr;
      }
    }

    mlprof::RunnerJob job_;
    TF_Graph* graph_ = nullptr;
    TF_Session* session_ = nullptr;
    std::vector<TF_Output> inputs_;
    std::vector<TF_Output> outputs_;
    std::vector<TF_Tensor*> inputValues_;
    std::vector<TF_Tensor*> outputValues_;
    /** Declared inputs (indices into job_.inputs and inputs_) whose rank the graph does not fix. */
    std::vector<std::size_t> unknownRank_;
    StatusPtr runStatus_{TF_NewStatus()};
    std::vector<std::vector<TF_Tensor*>> streamInputs_;
    std::vector<std::vector<TF_Tensor*>> streamOutputs_;
    std::vector<StatusPtr> streamStatus_;
  };

}  // namespace

int main(int argc, char** argv) {
  // keep TensorFlow's C++ logging quiet unless the user asks for it
  setenv("TF_CPP_MIN_LOG_LEVEL", "2", 0);
  TFEngine engine;
  return mlprof::runnerOrThroughputMain(argc, argv, engine, engine);
}
