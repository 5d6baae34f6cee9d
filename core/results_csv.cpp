// CSV export of result rows.
#include "core/results_csv.h"

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
}  // namespace

std::size_t writeResultsCsv(const Project& project, const std::vector<RunInfo>& runs,
                            std::ostream& out) {
  // Parameter columns: the well-known ones first in a fixed order, then any others sorted.
  static const std::vector<std::string> kKnown = {"rank", "bits", "group", "width", "depth",
                                                  "omega0", "epochs", "lr", "coeffs", "sink",
                                                  "recent", "tokens"};
  struct Loaded {
    const RunInfo* run;
    std::vector<ResultRow> rows;
  };
  std::vector<Loaded> loaded;
  std::vector<std::string> extra;
  bool used[64] = {};
  for (const auto& r : runs) {
    loaded.push_back({&r, project.results(r.id)});
    for (const auto& row : loaded.back().rows) {
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
  static const std::vector<std::string> kFixed = {"run", "capture", "layer", "head", "kind", "method",
                                                  "bytes", "ratio", "cos_sim", "rel_err", "attn_out_err",
                                                  "attn_kl", "delta_ppl", "fit_seconds", "device", "decode_ms"};
  out << "run,capture,layer,head,kind,method";
  for (const auto& c : paramCols)
    out << ',' << csvField(std::find(kFixed.begin(), kFixed.end(), c) != kFixed.end() ? "target_" + c : c);
  out << ",bytes,ratio,cos_sim,rel_err,attn_out_err,attn_kl,delta_ppl,fit_seconds,device,"
         "decode_ms\n";
  std::size_t n = 0;
  for (const auto& l : loaded) {
    for (const auto& row : l.rows) {
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      out << csvField(l.run->id) << ',' << csvField(l.run->capture) << ',' << row.layer << ','
          << row.head << ',' << csvField(row.kind) << ',' << csvField(l.run->method);
      for (const auto& c : paramCols) {
        out << ',';
        if (params.is_object() && params.contains(c)) out << csvField(paramText(params[c]));
      }
      for (double v : {row.bytes, row.ratio, row.cosSim, row.relErr, row.attnOutErr, row.attnKl,
                       row.deltaPpl, row.fitSeconds})
        out << ',' << csvNumber(v);
      out << ',' << csvField(row.device) << ',' << csvNumber(row.decodeMs) << '\n';
      ++n;
    }
  }
  return n;
}

}  // namespace kvwb::core
