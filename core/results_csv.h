// Results as CSV for pandas and spreadsheets: run,capture,layer,head,kind,method, one column per
// method parameter (union over the rows; empty where it does not apply), then
// bytes,ratio,cos_sim,rel_err,attn_out_err,attn_kl,delta_ppl,fit_seconds,device,decode_ms.
// Each job of a sweep also has an aggregate row (layer = head = -1, kind "all"): every target
// of the job compressed at once; its delta_ppl is the model's with all of them substituted.
#pragma once

#include <ostream>
#include <vector>

#include "core/project.h"

namespace kvwb::core {

// Writes every result row of `runs`; returns the number of data rows written.
std::size_t writeResultsCsv(const Project& project, const std::vector<RunInfo>& runs,
                            std::ostream& out);

// A CSV field, quoted when it holds a comma, quote or newline. NaN/absent -> empty.
std::string csvField(const std::string& s);
std::string csvNumber(double v);

}  // namespace kvwb::core
