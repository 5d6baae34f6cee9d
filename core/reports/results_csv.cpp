// CSV export of result rows.
#include "core/reports/results_csv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace kvwb::core {

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csvNumber(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

namespace {

std::string paramText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The columns that are not parameters: the target's, the metrics' and the device.
std::vector<std::string> fixedColumns() {
  std::vector<std::string> cols = {"run", "capture", "layer", "head", "kind", "method"};
  for (const auto& m : fitMetrics()) cols.emplace_back(m.column);
  cols.emplace_back("device");
  return cols;
}

}  // namespace

std::vector<RunResults> loadRunResults(const Project& project, const std::vector<RunInfo>& runs) {
  std::vector<RunResults> loaded;
  loaded.reserve(runs.size());
  for (const auto& run : runs) loaded.push_back({run, project.results(run.id)});
  return loaded;
}

std::size_t writeResultsCsv(const Project& project, const std::vector<RunInfo>& runs,
                            std::ostream& out) {
  return writeResultsCsv(loadRunResults(project, runs), out);
}

std::size_t writeResultsCsv(const std::vector<RunResults>& runs, std::ostream& out) {
  // Parameter columns: the well-known ones first in a fixed order, then any others sorted.
  static const std::vector<std::string> kKnown = {"rank", "bits", "group", "width", "depth",
                                                  "omega0", "epochs", "lr", "coeffs", "sink",
                                                  "recent", "tokens"};
  std::vector<std::string> extra;
  std::vector<bool> used(kKnown.size());
  for (const auto& l : runs) {
    for (const auto& row : l.rows) {
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      if (!params.is_object()) continue;
      for (const auto& [k, v] : params.items()) {
        const auto it = std::find(kKnown.begin(), kKnown.end(), k);
        if (it != kKnown.end()) used[it - kKnown.begin()] = true;
        else if (std::find(extra.begin(), extra.end(), k) == extra.end()) extra.push_back(k);
      }
    }
  }
  std::sort(extra.begin(), extra.end());
  std::vector<std::string> paramCols;
  for (std::size_t i = 0; i < kKnown.size(); ++i)
    if (used[i]) paramCols.push_back(kKnown[i]);
  paramCols.insert(paramCols.end(), extra.begin(), extra.end());

  // A parameter named like a fixed column (mixed precision's target "ratio") gets a "target_" prefix.
  const auto fixed = fixedColumns();
  out << "run,capture,layer,head,kind,method";
  for (const auto& c : paramCols)
    out << ','
        << csvField(std::find(fixed.begin(), fixed.end(), c) != fixed.end() ? "target_" + c : c);
  for (const auto& m : fitMetrics()) out << ',' << m.column;
  out << ",device\n";
  std::size_t n = 0;
  for (const auto& l : runs) {
    for (const auto& row : l.rows) {
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      out << csvField(l.run.id) << ',' << csvField(l.run.capture) << ',' << row.layer << ','
          << row.head << ',' << csvField(row.kind) << ',' << csvField(l.run.method);
      for (const auto& c : paramCols) {
        out << ',';
        if (params.is_object() && params.contains(c)) out << csvField(paramText(params[c]));
      }
      for (const auto& m : fitMetrics()) out << ',' << csvNumber(row[m.id]);
      out << ',' << csvField(row.device) << '\n';
      ++n;
    }
  }
  return n;
}

}  // namespace kvwb::core
