# coding: utf-8
# cmsRun config of MLProf <REVISION>: the ONNXInference plugin measures
# l10 ($MLP_BASE/examples/dnn/model_onnx_l10u128.yaml) at batch size 1.
# Rendered from cmssw-templates/onnx_cfg.py.njk; batchSize, csvFile and metaFile may be overridden on the
# command line: cmsRun <this file> batchSize=N csvFile=PATH metaFile=PATH
# Rendered by `mlprof submit`; the worker checks this line before it runs the file:
# mlprof-measurement: {"engine":"onnx","model":"l10","batchSize":1,"nEvents":1,"nCalls":100,"release":"CMSSW_13_3_1","scramArch":"el8_amd64_gcc11","graphSha256":"59880a2eafb9f2a0d6af0624c98e958a5b3dff987e3849969e55a09174cf49c0","inputs":["input"],"outputs":["output"]}

import os

import FWCore.ParameterSet.Config as cms
from FWCore.ParameterSet.VarParsing import VarParsing

options = VarParsing("python")
options.register("batchSize", 1, VarParsing.multiplicity.singleton, VarParsing.varType.int, "batch size to measure")
options.register("csvFile", "runtime.csv", VarParsing.multiplicity.singleton, VarParsing.varType.string, "CSV file the runtimes are appended to")
options.register("metaFile", "process.json", VarParsing.multiplicity.singleton, VarParsing.varType.string, "JSON file of the process metadata")
options.parseArguments()

process = cms.Process("MLPROF")

process.load("FWCore.MessageService.MessageLogger_cfi")
process.MessageLogger.cerr.FwkReport.reportEvery = 1
process.maxEvents = cms.untracked.PSet(input=cms.untracked.int32(1))
process.source = cms.Source("EmptySource")

# one thread, one stream: the inference runs as in one CMSSW stream in production
process.options = cms.untracked.PSet(
    wantSummary=cms.untracked.bool(False),
    numberOfThreads=cms.untracked.uint32(1),
    numberOfStreams=cms.untracked.uint32(1),
    numberOfConcurrentLuminosityBlocks=cms.untracked.uint32(1),
)

# VSIZE/RSS per event and a summary at the end of the job
process.SimpleMemoryCheck = cms.Service(
    "SimpleMemoryCheck",
    ignoreTotal=cms.untracked.int32(1),
    moduleMemorySummary=cms.untracked.bool(True),
)

process.onnxInference = cms.EDAnalyzer(
    "ONNXInference",
    # $MLP_BASE/... (a config rendered at submission): the MLProf folder of the worker
    graphPath=cms.string(os.path.expandvars("$MLP_BASE/examples/dnn/onnx_graph_l10u128.onnx")),
    inputTensorNames=cms.vstring("input"),
    inputDTypes=cms.vstring("float32"),
    inputRanks=cms.vint32(1),
    flatInputSizes=cms.vint32(64),
    inputBatched=cms.vint32(1),
    inputHasValue=cms.vint32(0),
    inputValues=cms.vdouble(0.0),
    inputRangeLows=cms.vint32(0),
    inputRangeHighs=cms.vint32(10),
    outputTensorNames=cms.vstring("output"),
    outputFile=cms.string(options.csvFile),
    metaFile=cms.string(options.metaFile),
    inputType=cms.string("random"),
    batchSize=cms.int32(options.batchSize),
    nCalls=cms.int32(100),
    nWarmup=cms.int32(10),
    warmupMs=cms.double(100.0),
    minDurationMs=cms.double(0.0),
    untilStable=cms.bool(False),
    stability=cms.double(0.02),
    maxDurationMs=cms.double(60000.0),
    seed=cms.int32(12345),
    nThreads=cms.int32(1),
    nInterOpThreads=cms.int32(1),
)
# ONNX Runtime through PhysicsTools/ONNXRuntime (cms::Ort::ONNXRuntime, CPU); its run() feeds float32
# inputs only and copies the outputs into vectors, as in production

process.p = cms.Path(process.onnxInference)
