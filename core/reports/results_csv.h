// Results as CSV for pandas and spreadsheets: run,capture,layer,head,kind,method, one column per
// method parameter (union over the rows; empty where it does not apply), one column per fit
// metric in the fit metric table's order and named by its column (bytes,ratio,cos_sim,...), then
// device. Each job of a sweep also has an aggregate row (layer = head = -1, kind "all"): every
// target of the job compressed at once; its delta_ppl is the model's with all of them substituted.
// Plain functions; loadRunResults reads the project (any one thread).
#pragma once

#include <ostream>
#include <vector>

#include "core/project/project.h"

namespace kvwb::core {

// The rows of one run, read once and shared by the CSV, the summary and the results views.
struct RunResults {
  RunInfo run;
  std::vector<ResultRow> rows;
};
std::vector<RunResults> loadRunResults(const Project& project, const std::vector<RunInfo>& runs);

// Writes every result row of `runs`; returns the number of data rows written.
std::size_t writeResultsCsv(const std::vector<RunResults>& runs, std::ostream& out);
std::size_t writeResultsCsv(const Project& project, const std::vector<RunInfo>& runs,
                            std::ostream& out);

// A CSV field, quoted when it holds a comma, quote or newline. NaN/absent -> empty.
std::string csvField(const std::string& s);
std::string csvNumber(double v);

}  // namespace kvwb::core
