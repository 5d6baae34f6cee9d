// Per-job summaries of sweep results and their markdown / CSV tables.
#include "core/results_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "core/results_csv.h"

namespace kvwb::core {

namespace {

// Keys that identify or schedule a job without changing its result.
const std::vector<std::string> kBookkeeping = {"job", "seed", "seq_len", "batched", "batch_size",
                                               "infeasible"};

std::string valueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_number_float()) return v.dump();
  char buf[32];  // 1e-06 rather than 1.0000000000000002e-06, 30 rather than 30.0
  std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
  return buf;
}

// Running mean that ignores unmeasured (NaN) values.
struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) {
    if (std::isfinite(v)) sum += v, ++n;
  }
  double value() const { return n > 0 ? sum / n : kNotMeasured; }
};

struct KindAccumulator {
  int targets = 0;
  Mean ratio, cosSim, relErr, attnOutErr, attnKl, deltaPpl;
  KindMeans means() const {
    return {targets, ratio.value(), cosSim.value(), relErr.value(), attnOutErr.value(), attnKl.value(),
            deltaPpl.value()};
  }
};

struct Group {
  SummaryRow row;
  nlohmann::json params;
  bool paramsFromTarget = false;  // a target row's effective parameters, not the job's spec
  std::map<std::string, KindAccumulator> kinds;
  Mean ratio, decodeMs;
  double fitSeconds = 0;
  bool timed = false;
};

// K, V, Kpre first, any other kind after them alphabetically.
std::vector<std::string> kindsInOrder(const std::vector<SummaryRow>& rows) {
  std::set<std::string> present;
  for (const auto& r : rows)
    for (const auto& [kind, means] : r.kinds) present.insert(kind);
  std::vector<std::string> order;
  for (const char* k : {"K", "V", "Kpre"})
    if (present.erase(k)) order.emplace_back(k);
  order.insert(order.end(), present.begin(), present.end());
  return order;
}

struct NumberColumn {
  std::string name;  // CSV header, e.g. cos_sim_K
  std::string title; // markdown header, e.g. "K cos"
  const char* format;
  std::function<double(const SummaryRow&)> value;
};

std::vector<NumberColumn> numberColumns(const std::vector<SummaryRow>& rows) {
  std::vector<NumberColumn> cols = {{"ratio", "ratio", "%.3g", [](const SummaryRow& r) { return r.ratio; }}};
  const auto kinds = kindsInOrder(rows);
  auto perKind = [&](const std::string& metric, const std::string& title, const char* format,
                     double KindMeans::*field) {
    for (const auto& kind : kinds)
      cols.push_back({metric + "_" + kind, kind + " " + title, format, [kind, field](const SummaryRow& r) {
                        const auto it = r.kinds.find(kind);
                        return it == r.kinds.end() ? kNotMeasured : it->second.*field;
                      }});
  };
  perKind("cos_sim", "cos", "%.4f", &KindMeans::cosSim);
  perKind("rel_err", "rel err", "%.3g", &KindMeans::relErr);
  perKind("attn_out_err", "attn err", "%.3g", &KindMeans::attnOutErr);
  perKind("attn_kl", "attn KL", "%.3g", &KindMeans::attnKl);
  perKind("delta_ppl", "Δppl", "%+.3g", &KindMeans::deltaPpl);
  cols.push_back({"delta_ppl_all", "Δppl all", "%+.3g", [](const SummaryRow& r) { return r.deltaPplAll; }});
  cols.push_back({"fit_seconds", "fit s", "%.3g", [](const SummaryRow& r) { return r.fitSeconds; }});
  cols.push_back({"decode_ms", "decode ms", "%.3g", [](const SummaryRow& r) { return r.decodeMs; }});
  return cols;
}

std::string formatNumber(const char* format, double v) {
  if (!std::isfinite(v)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

bool informative(const NumberColumn& c, const std::vector<SummaryRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [&](const SummaryRow& r) {
    const double v = c.value(r);
    return std::isfinite(v) && v != 0;
  });
}

std::string layerText(const SummaryRow& r) { return r.layer < 0 ? "all" : std::to_string(r.layer); }

bool anyPerLayer(const std::vector<SummaryRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const SummaryRow& r) { return r.layer >= 0; });
}

// Removes from `params` every key whose value `other` does not share.
void keepShared(nlohmann::json& params, const nlohmann::json& other) {
  for (auto kv = params.begin(); kv != params.end();)
    kv = other.contains(kv.key()) && other[kv.key()] == kv.value() ? std::next(kv) : params.erase(kv);
}

// Sets each row's params to the parameters that differ between rows of its method, and returns
// per method the ones they all share.
std::map<std::string, std::string> splitCommonParams(std::vector<Group>& groups) {
  std::map<std::string, nlohmann::json> common;  // method -> shared key/values
  for (const auto& g : groups) {
    const auto [it, first] = common.try_emplace(g.row.method, g.params);
    if (!first) keepShared(it->second, g.params);
  }
  std::vector<std::string> shared;
  for (auto& g : groups) {
    shared.clear();
    for (const auto& [k, v] : common[g.row.method].items()) shared.push_back(k);
    g.row.params = paramsText(g.params.dump(), shared);
  }
  std::map<std::string, std::string> text;
  for (const auto& [method, params] : common) text[method] = paramsText(params.dump());
  return text;
}

}  // namespace

std::string paramsText(const std::string& paramsJson, const std::vector<std::string>& omit) {
  const auto params = nlohmann::json::parse(paramsJson, nullptr, false);
  if (!params.is_object()) return paramsJson;
  std::string text;
  for (const auto& [key, value] : params.items()) {
    if (key == "job" || std::find(omit.begin(), omit.end(), key) != omit.end()) continue;
    if (!text.empty()) text += " · ";
    text += (key == "seq_len" ? std::string("n") : key) + "=" + valueText(value);
  }
  return text;
}

ResultsSummary summarizeResults(const Project& project, const std::vector<RunInfo>& runs,
                                SummaryGrouping grouping) {
  std::vector<Group> groups;
  for (const auto& run : runs) {
    std::map<std::string, std::size_t> index;  // job (and layer) -> group
    std::map<std::string, nlohmann::json> effective;  // job -> its targets' effective parameters
    for (const auto& row : project.results(run.id)) {
      auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      if (!params.is_object()) params = nlohmann::json::object();
      const auto job = params.value("job", std::string());
      const bool aggregate = row.layer < 0;
      const int layer = grouping == SummaryGrouping::JobAndLayer && !aggregate ? row.layer : -1;
      const auto [it, fresh] = index.try_emplace(job + "/" + std::to_string(layer), groups.size());
      if (fresh) {
        Group g;
        g.row.run = run.id;
        g.row.job = job;
        g.row.capture = run.capture;
        g.row.method = run.method;
        g.row.layer = layer;
        g.row.seqLen = params.value("seq_len", 0);
        groups.push_back(std::move(g));
      }
      Group& g = groups[it->second];
      if (!g.paramsFromTarget) {
        g.params = params;
        for (const auto& key : kBookkeeping) g.params.erase(key);
        g.paramsFromTarget = !aggregate;
      } else if (!aggregate) {
        // A parameter that differs between a job's targets (KIVI quantises keys per channel,
        // values per token) describes none of them: left out.
        keepShared(g.params, params);
      }
      if (!aggregate) effective[job] = g.params;
      if (g.row.device.empty()) g.row.device = row.device;
      if (aggregate) {
        g.row.ratio = row.ratio;  // the job's own byte count over all its targets
        g.row.deltaPplAll = row.deltaPpl;
        if (params.contains("infeasible")) g.row.note = "infeasible: " + valueText(params["infeasible"]);
        continue;
      }
      auto& k = g.kinds[row.kind];
      ++k.targets;
      k.ratio.add(row.ratio);
      k.cosSim.add(row.cosSim);
      k.relErr.add(row.relErr);
      k.attnOutErr.add(row.attnOutErr);
      k.attnKl.add(row.attnKl);
      k.deltaPpl.add(row.deltaPpl);
      g.ratio.add(row.ratio);
      g.decodeMs.add(row.decodeMs);
      if (std::isfinite(row.fitSeconds)) g.fitSeconds += row.fitSeconds, g.timed = true;
    }
    // A job's all-targets row (per-layer grouping) shows the parameters its targets ran with.
    for (const auto& [key, i] : index) {
      auto& g = groups[i];
      const auto job = key.substr(0, key.rfind('/'));
      if (!g.paramsFromTarget && effective.count(job)) g.params = effective[job];
    }
  }
  for (auto& g : groups) g.row.paramsJson = g.params.dump();
  ResultsSummary summary;
  summary.commonParams = splitCommonParams(groups);
  for (auto& g : groups) {
    for (const auto& [kind, acc] : g.kinds) g.row.kinds[kind] = acc.means();
    if (!std::isfinite(g.row.ratio)) g.row.ratio = g.ratio.value();
    if (g.timed) g.row.fitSeconds = g.fitSeconds;
    g.row.decodeMs = g.decodeMs.value();
    summary.rows.push_back(std::move(g.row));
  }
  return summary;
}

SummaryTable summaryTable(const ResultsSummary& summary) {
  const auto& rows = summary.rows;
  std::vector<NumberColumn> cols;
  for (auto& c : numberColumns(rows))
    if (informative(c, rows)) cols.push_back(std::move(c));
  const bool perLayer = anyPerLayer(rows);
  const bool notes = std::any_of(rows.begin(), rows.end(), [](const SummaryRow& r) { return !r.note.empty(); });
  SummaryTable t;
  auto column = [&t](std::string header, bool numeric) {
    t.headers.push_back(std::move(header));
    t.numeric.push_back(numeric);
  };
  column("capture", false);
  column("method", false);
  column("params", false);
  column("tokens", true);
  if (perLayer) column("layer", true);
  for (const auto& c : cols) column(c.title, true);
  if (notes) column("note", false);
  for (const auto& r : rows) {
    auto& cells = t.rows.emplace_back();
    cells.push_back({r.capture});
    cells.push_back({r.method});
    cells.push_back({r.params});
    cells.push_back({r.seqLen > 0 ? std::to_string(r.seqLen) : "", r.seqLen > 0 ? r.seqLen : kNotMeasured});
    if (perLayer) cells.push_back({layerText(r), r.layer >= 0 ? r.layer : kNotMeasured});
    for (const auto& c : cols) cells.push_back({formatNumber(c.format, c.value(r)), c.value(r)});
    if (notes) cells.push_back({r.note});
  }
  return t;
}

void writeSummaryMarkdown(const ResultsSummary& summary, std::ostream& out) {
  const auto t = summaryTable(summary);
  out << '|';
  for (const auto& h : t.headers) out << ' ' << h << " |";
  out << "\n|";
  for (const bool numeric : t.numeric) out << (numeric ? " ---: |" : " --- |");
  out << '\n';
  for (const auto& cells : t.rows) {
    out << '|';
    for (const auto& c : cells) out << ' ' << c.text << " |";
    out << '\n';
  }
  if (!summary.commonParams.empty()) out << '\n';
  for (const auto& [method, params] : summary.commonParams)
    out << "* " << method << (params.empty() ? "" : ": " + params) << '\n';
}

void writeSummaryCsv(const ResultsSummary& summary, std::ostream& out) {
  const auto cols = numberColumns(summary.rows);
  out << "run,job,capture,method,params,seq_len,layer";
  for (const auto& c : cols) out << ',' << c.name;
  out << ",device,note\n";
  for (const auto& r : summary.rows) {
    out << csvField(r.run) << ',' << csvField(r.job) << ',' << csvField(r.capture) << ',' << csvField(r.method) << ','
        << csvField(r.paramsJson) << ',' << (r.seqLen > 0 ? std::to_string(r.seqLen) : "") << ','
        << layerText(r);
    for (const auto& c : cols) out << ',' << csvNumber(c.value(r));
    out << ',' << csvField(r.device) << ',' << csvField(r.note) << '\n';
  }
}

}  // namespace kvwb::core
