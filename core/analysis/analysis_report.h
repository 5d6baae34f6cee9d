// Seed-style reports of the structure atlas: text tables (K vs V per capture, per layer, per
// prompt type) and a per-target CSV for pandas. Plain C++; any thread.
#pragma once

#include <ostream>
#include <vector>

#include "core/analysis/capture_analysis.h"

namespace kvwb::core {

struct LabelledAnalysis {
  std::string label;  // prompt type (metadata prompt_label), else the capture name
  CaptureAnalysis analysis;
};

// capture,layer,head,kind,<every structureScalars() column>; one row per target.
void writeScalarCsv(const std::vector<LabelledAnalysis>& analyses, std::ostream& out);
// Human-readable tables of the scalars flagged inReport: per capture K vs V (means over targets),
// per layer K vs V (means over heads and captures), and per prompt type.
void writeReport(const std::vector<LabelledAnalysis>& analyses, std::ostream& out);

}  // namespace kvwb::core
