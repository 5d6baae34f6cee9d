// Predicted decode cost per sweep job (`kvwb-cli decode-cost`, and the axis a results view can
// plot): one decode step at context L of the job's capture's whole cache, the (layer, KV head,
// kind) targets the job compressed read through its method at the job's requested parameters,
// every other target as the raw float16 cache; then the roofline on a device and the speed-up
// against the raw cache. A project without runs gets each method's default-grid configurations
// with every target compressed. No torch, no Qt; any thread.
//
//   auto report = decodeCostOfRuns(project, project.runs(), 131072, deviceProfile("h100"));
//   for (const auto& row : report.rows) plot(row.job, row.predicted.micros);
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/decode/decode_cost.h"
#include "core/project/project.h"

namespace kvwb::core {

struct DecodeCostRow {
  std::string run, job, capture, method;  // method "raw float16" for the baseline row
  std::string paramsJson = "{}";           // the method's parameters (undeclared keys left out)
  std::string params;                      // as text: "rank=2 · storage=float16"
  std::int64_t compressedTargets = 0, targets = 0;  // of layers x KV heads x {K, V}
  DecodeCost cost;                                  // one decode step, whole cache
  Prediction predicted;
  double speedup = kNotMeasured;  // raw float16's predicted time / this row's
  std::string note;               // why a job has no cost (infeasible, no decode model)
};

struct DecodeCostReport {
  std::int64_t context = 0;
  DeviceProfile device;
  std::vector<DecodeCostRow> rows;  // per capture its raw row, then its jobs in commit order
  std::string note;                 // how the rows were made, when not from runs
};

// Every job of `runs` (rows with params.job; the job's aggregate row holds its requested
// parameters, its target rows say which targets it compressed).
DecodeCostReport decodeCostOfRuns(const Project& project, const std::vector<RunInfo>& runs,
                                  std::int64_t context, const DeviceProfile& device);
// The raw cache and every method's default-grid configurations (descriptors; not the generated
// allocation, which has none), every target of `capture` compressed.
DecodeCostReport decodeCostOfMethods(const CaptureInfo& capture, std::int64_t context,
                                     const DeviceProfile& device);

// A markdown table (byte and operation counts with SI prefixes), the note and the device under it.
void writeDecodeCostMarkdown(const DecodeCostReport& report, std::ostream& out);
// One row per report row, every number in full.
void writeDecodeCostCsv(const DecodeCostReport& report, std::ostream& out);

}  // namespace kvwb::core
