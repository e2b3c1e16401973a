/*
 * Local ONNX Runtime runner: measures an ONNX model with the onnxruntime wheel of a tool-managed venv, the
 * local analogue of cmsRun with the ONNXInference plugin. `onnx_runner <job file>` (RunnerSupport.h has the
 * protocol). No ONNX Runtime C/C++ headers ship with any package MLProf can install, so the runner embeds the
 * venv's Python and drives the wheel's own extension module through the small helper onnx_session.py
 * (x.helper_dir); everything around the call (events, warm-up, clock, stability, outputs) is the shared
 * measurement core, as in the TensorFlow runner and the CMSSW plugins.
 *
 * Inside the clock: one call of the wheel's `InferenceSession._sess.run_with_iobinding(binding, None)`, which
 * releases the GIL around ORT's Run; inputs are bound once per event as OrtValues over the core's input
 * buffers (no copy), outputs are allocated by ORT on every call (docs/onnx-runtime.md).
 * Job extras: x.python (the venv's interpreter), x.helper_dir (the folder of onnx_session.py).
 * A throughput job (ThroughputSupport.h) runs S threads on the one session, as CMSSW's streams call the
 * ONNXRuntime of the GlobalCache: each stream binds the inputs of event k once; its timed call takes the GIL,
 * calls run_with_iobinding (which releases the GIL around ORT's Run) and hands the GIL back; its outputs are
 * released after the second stamp (taking the GIL again).
 */

#include <Python.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "MLProf/Utils/interface/MeasureCore.h"
#include "RunnerSupport.h"
#include "ThroughputSupport.h"

namespace {

  using mlprof::DType;
  using mlprof::KnownError;

  /** A strong reference to a Python object, released with the holder. */
  class Ref {
  public:
    Ref() = default;
    explicit Ref(PyObject* o) : o_(o) {}
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    Ref(Ref&& r) noexcept : o_(std::exchange(r.o_, nullptr)) {}
    Ref& operator=(Ref&& r) noexcept {
      std::swap(o_, r.o_);
      return *this;
    }
    ~Ref() { Py_XDECREF(o_); }
    PyObject* get() const { return o_; }
    explicit operator bool() const { return o_ != nullptr; }

  private:
    PyObject* o_ = nullptr;
  };

  /** The pending Python exception as "Type: message" (and clears it). */
  std::string pythonError() {
    PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
    PyErr_Fetch(&type, &value, &trace);
    PyErr_NormalizeException(&type, &value, &trace);
    std::string text = "unknown Python error";
    if (value) {
      Ref s(PyObject_Str(value));
      if (s && PyUnicode_Check(s.get())) text = PyUnicode_AsUTF8(s.get());
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(trace);
    return text;
  }

  /** Checks a Python result: throws a KnownError "<what>: <Python error>" when it is null. */
  PyObject* checked(PyObject* o, const std::string& what) {
    if (!o) throw KnownError(what + ": " + pythonError());
    return o;
  }

  std::string str(PyObject* o) {
    const char* s = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : nullptr;
    return s ? s : "";
  }

  /** An input or output of the model as the session reports it (dims -1: dynamic; no rank: unknown). */
  struct ModelTensor {
    std::string name;
    std::string dtype;
    bool knownShape = false;
    std::vector<int64_t> dims;
  };

  std::vector<ModelTensor> tensorList(PyObject* list) {
    std::vector<ModelTensor> out;
    for (Py_ssize_t i = 0; i < PyList_Size(list); i++) {
      PyObject* t = PyList_GetItem(list, i);
      ModelTensor m{str(PyTuple_GetItem(t, 0)), str(PyTuple_GetItem(t, 1)), false, {}};
      PyObject* dims = PyTuple_GetItem(t, 2);
      if (dims != Py_None) {
        m.knownShape = true;
        for (Py_ssize_t d = 0; d < PyList_Size(dims); d++) m.dims.push_back(PyLong_AsLongLong(PyList_GetItem(dims, d)));
      }
      out.push_back(m);
    }
    return out;
  }

  std::string showShape(const std::vector<int64_t>& shape, bool dynamicAsQuestion) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); i++) {
      s += i ? ", " : "";
      s += dynamicAsQuestion && shape[i] < 0 ? "?" : std::to_string(shape[i]);
    }
    return s + "]";
  }

  std::string showList(const std::vector<ModelTensor>& list) {
    std::string s;
    for (const auto& t : list) {
      s += (s.empty() ? "" : "; ") + t.name + " (" + t.dtype + ", " +
           (t.knownShape ? showShape(t.dims, true) : "unknown shape") + ")";
    }
    return s;
  }

  /** The element type of a numpy array's dtype name. */
  bool dtypeOf(const std::string& name, DType& out) {
    static const std::pair<const char*, DType> known[] = {{"float32", DType::Float32},
                                                          {"float64", DType::Float64},
                                                          {"int32", DType::Int32},
                                                          {"int64", DType::Int64},
                                                          {"bool", DType::Bool}};
    for (const auto& k : known) {
      if (name == k.first) {
        out = k.second;
        return true;
      }
    }
    return false;
  }

  class OnnxEngine : public mlprof::RunnerEngine, public mlprof::StreamEngine {
  public:
    ~OnnxEngine() override {
      // the interpreter stays up until exit: finalizing it would run ORT's destructors for nothing
      run_ = Ref();
    }

    void start(const mlprof::RunnerJob& job) override {
      job_ = job;  // load() gets the same job
      startPython(extra("python"));
      Ref sys(checked(PyImport_ImportModule("sys"), "cannot import sys"));
      PyObject* path = PyObject_GetAttrString(sys.get(), "path");
      Ref dir(PyUnicode_FromString(extra("helper_dir").c_str()));
      PyList_Insert(path, 0, dir.get());
      Py_DECREF(path);
      helper_ = Ref(checked(PyImport_ImportModule("onnx_session"),
                            "the venv " + extra("python") + " cannot import onnxruntime"));
      Ref version(checked(PyObject_CallMethod(helper_.get(), "describe", nullptr), "cannot describe onnxruntime"));
      version_ = str(PyTuple_GetItem(version.get(), 0));
      module_ = str(PyTuple_GetItem(version.get(), 1));
      const auto expected = job.extra.find("library");
      if (expected != job.extra.end() && expected->second != module_) {
        throw KnownError("the onnxruntime wheel of " + extra("python") + " runs ONNX Runtime from " + module_ + ", not " +
                         expected->second + " (--onnx-library pypi)");
      }
    }

    void load(const mlprof::RunnerJob& job) override {
      session_ = Ref(PyObject_CallMethod(helper_.get(), "load", "sii", job.modelPath.c_str(), job.threads,
                                         job.interOpThreads));
      if (!session_) throw KnownError("ONNX Runtime cannot load " + job.modelPath + ": " + pythonError());
      Ref sig(checked(PyObject_CallMethod(helper_.get(), "signature", "(O)", session_.get()),
                      "cannot read the model's inputs and outputs"));
      checkSignature(tensorList(PyTuple_GetItem(sig.get(), 0)), tensorList(PyTuple_GetItem(sig.get(), 1)));
      for (const auto& spec : job.inputs) buffers_.emplace_back(spec, job.loop.batchSize);
    }

    void describe(mlprof::ProcessMeta& meta) const override {
      meta.engineName = "onnxruntime";
      meta.engineVersion = version_;
      meta.binding = "onnxruntime wheel " + version_ +
                     " (Python extension, embedded): InferenceSession._sess.run_with_iobinding, inputs bound per "
                     "event, outputs allocated by ORT on every call";
      meta.engineExtra["library"] = module_;
      meta.engineExtra["libraryKind"] = "pypi";
      meta.engineExtra["graphOptimization"] = "all";
      meta.engineExtra["memoryNote"] =
          "rssBeforeLoadKb includes the embedded Python, numpy and the onnxruntime module, started before the model";
      meta.engineExtra["executionMode"] = job_.interOpThreads > 1 ? "parallel" : "sequential";
      meta.engineExtra["perCallWork"] =
          "ORT's Run on inputs bound once per event (OrtValues over the runner's buffers) with outputs allocated by "
          "ORT, plus the extension's call and GIL release (CMSSW's run also wraps the inputs and copies the outputs)";
      meta.intraOpThreads = job_.threads;
      meta.interOpThreads = job_.interOpThreads;
      meta.clock = "std::chrono::steady_clock (CLOCK_MONOTONIC) around run_with_iobinding";
    }

    void prepareEvent(int64_t event) override {
      run_ = Ref();
      args_ = Ref();
      alive_ = Ref();
      for (std::size_t i = 0; i < buffers_.size(); i++) {
        buffers_[i].fill(job_.inputKind, mlprof::inputSeed(job_.seed, event, static_cast<int64_t>(i)));
      }
      bindBuffers(buffers_, run_, args_, alive_);
    }

    /**
     * Binds inputs over `buffers` (no copy) and every output to the CPU device through onnx_session.bind; sets
     * the timed call's function and arguments and what must stay alive while they are used.
     */
    void bindBuffers(std::vector<mlprof::InputBuffer>& buffers, Ref& run, Ref& args, Ref& alive) {
      Ref inputs(PyList_New(0));
      for (auto& b : buffers) {
        Ref view(PyMemoryView_FromMemory(static_cast<char*>(b.data()), static_cast<Py_ssize_t>(b.byteSize()),
                                         PyBUF_WRITE));
        Ref shape(PyList_New(0));
        for (int64_t d : b.shape()) {
          Ref dim(PyLong_FromLongLong(d));
          PyList_Append(shape.get(), dim.get());
        }
        Ref item(Py_BuildValue("(sOsO)", b.spec().name.c_str(), view.get(), mlprof::dtypeName(b.spec().dtype),
                               shape.get()));
        PyList_Append(inputs.get(), item.get());
      }
      Ref outputs(PyList_New(0));
      for (const auto& name : job_.outputs) {
        Ref n(PyUnicode_FromString(name.c_str()));
        PyList_Append(outputs.get(), n.get());
      }
      Ref bound(checked(PyObject_CallMethod(helper_.get(), "bind", "OOO", session_.get(), inputs.get(), outputs.get()),
                        "cannot bind the inputs of batch size " + std::to_string(job_.loop.batchSize)));
      run = Ref(Py_NewRef(PyTuple_GetItem(bound.get(), 0)));
      args = Ref(Py_NewRef(PyTuple_GetItem(bound.get(), 1)));
      alive = Ref(Py_NewRef(PyTuple_GetItem(bound.get(), 2)));
    }

    void call() override { result_ = PyObject_Call(run_.get(), args_.get(), nullptr); }

    // ---- throughput: S streams on the one session

    std::string sharing() const override { return "shared-session"; }

    std::string timedCall() const override {
      return "the stream thread takes the GIL, calls run_with_iobinding on its own binding (inputs of event k, "
             "outputs allocated by ORT; the GIL released around ORT's Run) and releases the GIL; the outputs are "
             "released after the second stamp";
    }

    void prepareStreams(int streams) override {
      for (int k = 0; k < streams; k++) {
        prepareEvent(k);  // binds the inputs of event k (the buffers are copied into the stream's own below)
        Stream s;
        s.buffers = buffers_;
        // the binding points at the buffers it was made over: bind again over the stream's own copies
        bindStream(s);
        s.result = PyObject_Call(s.run.get(), s.args.get(), nullptr);
        if (!s.result) throw KnownError("ONNX Runtime's run failed at batch size " +
                                        std::to_string(job_.loop.batchSize) + ": " + pythonError());
        Py_DECREF(s.result);
        s.result = nullptr;
        streams_.push_back(std::move(s));
      }
    }

    void beginStreams() override { mainThread_ = PyEval_SaveThread(); }

    void endStreams() override {
      PyEval_RestoreThread(mainThread_);
      mainThread_ = nullptr;
    }

    void callStream(int k) override {
      Stream& s = streams_[static_cast<std::size_t>(k)];
      if (!s.thread) {
        // the first call of this stream's thread: a thread state of its own, kept for every later call
        PyGILState_Ensure();
        s.thread = PyEval_SaveThread();
      }
      PyEval_RestoreThread(s.thread);
      s.result = PyObject_Call(s.run.get(), s.args.get(), nullptr);
      s.thread = PyEval_SaveThread();
    }

    void afterStreamCall(int k) override {
      Stream& s = streams_[static_cast<std::size_t>(k)];
      PyEval_RestoreThread(s.thread);
      const bool failed = s.result == nullptr;
      const std::string error = failed ? pythonError() : "";
      Py_XDECREF(s.result);
      s.result = nullptr;
      s.thread = PyEval_SaveThread();
      if (failed) {
        throw KnownError("ONNX Runtime's run failed at batch size " + std::to_string(job_.loop.batchSize) + ": " +
                         error);
      }
    }

    void afterCall() override {
      if (!result_) {
        throw KnownError("ONNX Runtime's run failed at batch size " + std::to_string(job_.loop.batchSize) + ": " +
                         pythonError());
      }
      Py_DECREF(result_);
      result_ = nullptr;
    }

    std::string dump() override {
      call();
      afterCall();
      Ref arrays(checked(PyObject_CallMethod(helper_.get(), "outputs", "(O)", alive_.get()), "cannot read the outputs"));
      std::vector<std::pair<std::string, mlprof::TensorView>> ins, outs;
      for (const auto& b : buffers_) ins.push_back({b.spec().name, {b.shape(), b.spec().dtype, b.data()}});
      std::vector<Py_buffer> views(job_.outputs.size());
      for (std::size_t i = 0; i < job_.outputs.size(); i++) {
        PyObject* a = PyList_GetItem(arrays.get(), static_cast<Py_ssize_t>(i));
        Ref dtype(PyObject_GetAttrString(a, "dtype"));
        Ref dname(PyObject_GetAttrString(dtype.get(), "name"));
        DType dt;
        if (!dtypeOf(str(dname.get()), dt)) {
          throw KnownError("output '" + job_.outputs[i] + "' has element type " + str(dname.get()) +
                           ", which cannot be dumped");
        }
        checked(PyObject_GetBuffer(a, &views[i], PyBUF_C_CONTIGUOUS | PyBUF_ND) == 0 ? Py_None : nullptr,
                "cannot read output " + job_.outputs[i]);
        std::vector<int64_t> shape(views[i].shape, views[i].shape + views[i].ndim);
        outs.push_back({job_.outputs[i], {shape, dt, views[i].buf}});
      }
      std::string json = mlprof::dumpJson(ins, outs);
      for (auto& v : views) PyBuffer_Release(&v);
      return json;
    }

  private:
    /** One stream: its own input buffers, the binding over them, its thread state and last result. */
    struct Stream {
      std::vector<mlprof::InputBuffer> buffers;
      Ref run;
      Ref args;
      Ref alive;
      PyThreadState* thread = nullptr;
      PyObject* result = nullptr;
    };

    /** Binds a stream's inputs (over its own buffers) and outputs, as prepareEvent binds the latency path's. */
    void bindStream(Stream& s) { bindBuffers(s.buffers, s.run, s.args, s.alive); }

    std::string extra(const std::string& key) const {
      const auto it = job_.extra.find(key);
      if (it == job_.extra.end()) throw std::runtime_error("the job file has no x." + key);
      return it->second;
    }

    /** Starts the venv's Python (isolated from PYTHON* variables and the user's site-packages). */
    static void startPython(const std::string& python) {
      PyConfig config;
      PyConfig_InitIsolatedConfig(&config);
      // keep the default signal dispositions: Ctrl-C ends the runner as it ends every other measurement process
      config.install_signal_handlers = 0;
      PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, python.c_str());
      if (!PyStatus_Exception(status)) status = PyConfig_SetBytesString(&config, &config.executable, python.c_str());
      if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
      PyConfig_Clear(&config);
      if (PyStatus_Exception(status)) {
        throw KnownError("cannot start the Python of " + python + ": " +
                         (status.err_msg ? status.err_msg : "unknown error"));
      }
    }

    /** Checks the declared inputs and outputs as src/engines/signature.ts does, with the same messages. */
    void checkSignature(const std::vector<ModelTensor>& inputs, const std::vector<ModelTensor>& outputs) const {
      std::vector<std::string> problems;
      for (const auto& spec : job_.inputs) {
        const ModelTensor* actual = nullptr;
        for (const auto& t : inputs) {
          if (t.name == spec.name) actual = &t;
        }
        if (!actual) {
          problems.push_back("declared input '" + spec.name + "' is not an input of the model");
          continue;
        }
        if (actual->dtype != mlprof::dtypeName(spec.dtype)) {
          problems.push_back("input '" + spec.name + "' is declared as " + mlprof::dtypeName(spec.dtype) +
                             " but the model expects " + actual->dtype);
        }
        if (!actual->knownShape) continue;
        const auto shape = mlprof::fullShape(spec, job_.loop.batchSize);
        if (actual->dims.size() != shape.size()) {
          const bool hint = spec.batched && actual->dims.size() == spec.shape.size();
          problems.push_back("input '" + spec.name + "' has rank " + std::to_string(shape.size()) + " at batch size " +
                             std::to_string(job_.loop.batchSize) + " (" + showShape(shape, false) +
                             ") but the model expects rank " + std::to_string(actual->dims.size()) +
                             (hint ? " (an input without batch dimension needs 'batched: false')" : ""));
          continue;
        }
        for (std::size_t i = 0; i < shape.size(); i++) {
          if (actual->dims[i] < 0 || actual->dims[i] == shape[i]) continue;
          const bool batchDim = spec.batched && i == 0;
          problems.push_back("input '" + spec.name + "': " + (batchDim ? "batch dimension" : "dimension " + std::to_string(i)) +
                             " is " + std::to_string(shape[i]) + " but the model fixes it to " +
                             std::to_string(actual->dims[i]) +
                             (batchDim ? " (the model cannot run batch size " + std::to_string(shape[i]) + ")" : ""));
        }
      }
      for (const auto& t : inputs) {
        bool declared = false;
        for (const auto& spec : job_.inputs) declared = declared || spec.name == t.name;
        if (!declared) problems.push_back("model input '" + t.name + "' is not declared in the model file");
      }
      if (!problems.empty()) {
        std::string msg;
        for (const auto& p : problems) msg += p + "; ";
        throw KnownError(msg + "the model's inputs are: " + showList(inputs));
      }
      std::vector<std::string> missing;
      for (const auto& name : job_.outputs) {
        bool found = false;
        for (const auto& t : outputs) found = found || t.name == name;
        if (!found) missing.push_back("'" + name + "'");
      }
      if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw KnownError(std::string("declared output") + (missing.size() > 1 ? "s " : " ") + list +
                         " not found; the model's outputs are: " + showList(outputs));
      }
    }

    mlprof::RunnerJob job_;
    Ref helper_;
    Ref session_;
    Ref run_;
    Ref args_;
    Ref alive_;
    PyObject* result_ = nullptr;
    std::string version_;
    std::string module_;
    std::vector<mlprof::InputBuffer> buffers_;
    std::vector<Stream> streams_;
    PyThreadState* mainThread_ = nullptr;
  };

}  // namespace

int main(int argc, char** argv) {
  OnnxEngine engine;
  return mlprof::runnerOrThroughputMain(argc, argv, engine, engine);
}
