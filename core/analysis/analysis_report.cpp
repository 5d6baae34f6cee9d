// Report tables and CSV of the structure atlas.
#include "core/analysis/analysis_report.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "core/reports/results_csv.h"

namespace kvwb::core {
namespace {

// Mean of each scalar over a set of targets, NaNs skipped.
struct Means {
  TargetScalars sum, count;  // per scalar: the sum and the number of non-NaN values
  void add(const TargetScalars& s) {
    for (const auto& def : structureScalars())
      if (!std::isnan(s[def.id])) {
        sum[def.id] += s[def.id];
        ++count[def.id];
      }
  }
  double mean(StructureScalar id) const { return count[id] ? sum[id] / count[id] : NAN; }
};

// Visits every target: (analysis, layer, head, kind name, scalars).
template <typename F>
void forEachTarget(const std::vector<LabelledAnalysis>& all, F&& f) {
  for (const auto& la : all) {
    const auto& a = la.analysis;
    for (std::int64_t l = 0; l < a.layers; ++l)
      for (std::int64_t h = 0; h < a.heads; ++h)
        for (std::size_t k = 0; k < a.kinds.size(); ++k) f(la, l, h, a.kinds[k], a.scalars(l, h, k));
  }
}

void header(std::ostream& out, const char* first) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-22s %-5s", first, "kind");
  out << buf;
  for (const auto& def : structureScalars())
    if (def.inReport) {
      std::snprintf(buf, sizeof buf, " %20s", def.column);
      out << buf;
    }
  out << "\n";
}

void row(std::ostream& out, const std::string& first, const std::string& kind, const Means& m) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-22s %-5s", first.c_str(), kind.c_str());
  out << buf;
  for (const auto& def : structureScalars())
    if (def.inReport) {
      std::snprintf(buf, sizeof buf, " %20.3f", m.mean(def.id));
      out << buf;
    }
  out << "\n";
}

void table(std::ostream& out, const char* title, const char* first,
           const std::map<std::string, std::map<std::string, Means>>& groups) {
  out << "\n" << title << "\n";
  header(out, first);
  for (const auto& [key, byKind] : groups)
    for (const char* kind : {"K", "V", "Kpre"})
      if (byKind.count(kind)) row(out, key, kind, byKind.at(kind));
}

}  // namespace

void writeScalarCsv(const std::vector<LabelledAnalysis>& all, std::ostream& out) {
  out << "capture,layer,head,kind";
  for (const auto& def : structureScalars()) out << ',' << def.column;
  out << '\n';
  forEachTarget(all, [&](const LabelledAnalysis& la, std::int64_t l, std::int64_t h,
                         const std::string& kind, const TargetScalars& s) {
    out << csvField(la.analysis.capture) << ',' << l << ',' << h << ',' << kind;
    for (const auto& def : structureScalars()) out << ',' << csvNumber(s[def.id]);
    out << '\n';
  });
}

void writeReport(const std::vector<LabelledAnalysis>& all, std::ostream& out) {
  std::map<std::string, std::map<std::string, Means>> byCapture, byLayer, byLabel;
  forEachTarget(all, [&](const LabelledAnalysis& la, std::int64_t l, std::int64_t,
                         const std::string& kind, const TargetScalars& s) {
    byCapture[la.analysis.capture][kind].add(s);
    char layer[16];
    std::snprintf(layer, sizeof layer, "layer %02lld", static_cast<long long>(l));
    byLayer[layer][kind].add(s);
    byLabel[la.label][kind].add(s);
  });
  out << "KV structure atlas: means over (layer, head) targets; definitions in docs/ANALYSES.md\n";
  table(out, "Per capture (keys vs values)", "capture", byCapture);
  table(out, "Per layer (over heads and captures)", "layer", byLayer);
  table(out, "Per prompt type", "prompt type", byLabel);
}

}  // namespace kvwb::core
