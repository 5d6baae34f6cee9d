// Per-job summaries of sweep results and their markdown / CSV tables.
#include "core/reports/results_summary.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "core/base/json_int.h"
#include "core/reports/results_csv.h"

namespace kvwb::core {

namespace {

// Keys that identify or schedule a job without changing its result.
const std::vector<std::string> kBookkeeping = {"job", "seed", "seq_len", "batched", "batch_size",
                                               "infeasible"};

std::string valueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && v.front().is_object())  // an allocation's assignment
    return "[" + std::to_string(v.size()) + " targets]";
  if (!v.is_number_float()) return v.dump();
  char buf[32];  // 1e-06 rather than 1.0000000000000002e-06, 30 rather than 30.0
  std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
  return buf;
}

// How the summary shows a fit metric: a mean column per kind, one column with the job's value,
// both (the job's titled "<title> all"), or none.
enum class Shown { None, PerKind, PerKindAndJob, Job };
// How a job's own value of a metric comes from its rows.
enum class JobRule { Aggregate, AggregateElseMean, Sum, Mean };

struct SummaryRule {
  FitMetric id;
  Shown shown;
  JobRule job;
  const char* title;  // short header: "cos" (then "K cos"), "fit s"
  const char* format;
};

// The summary's rule per metric: the seed tables' short headers and precision. A metric not
// listed is a per-kind mean with its table title and format.
constexpr SummaryRule kRules[] = {
    {FitMetric::Bytes, Shown::None, JobRule::AggregateElseMean, "bytes", "%.0f"},
    {FitMetric::Ratio, Shown::Job, JobRule::AggregateElseMean, "ratio", "%.3g"},
    {FitMetric::CosSim, Shown::PerKind, JobRule::AggregateElseMean, "cos", "%.4f"},
    {FitMetric::RelErr, Shown::PerKind, JobRule::AggregateElseMean, "rel err", "%.3g"},
    {FitMetric::AttnOutErr, Shown::PerKind, JobRule::AggregateElseMean, "attn err", "%.3g"},
    {FitMetric::AttnKl, Shown::PerKind, JobRule::AggregateElseMean, "attn KL", "%.3g"},
    {FitMetric::DeltaPpl, Shown::PerKindAndJob, JobRule::Aggregate, "Δppl", "%+.3g"},
    {FitMetric::LnPplRatio, Shown::Job, JobRule::Aggregate, "ln PPL ratio", "%+.4f"},
    {FitMetric::LnPplRatioSe, Shown::Job, JobRule::Aggregate, "±", "%.4f"},
    {FitMetric::PplRatio, Shown::None, JobRule::Aggregate, "PPL ratio", "%.4f"},
    {FitMetric::Kld, Shown::Job, JobRule::Aggregate, "KLD", "%.4f"},
    {FitMetric::KldSe, Shown::Job, JobRule::Aggregate, "±", "%.4f"},
    {FitMetric::KldMedian, Shown::None, JobRule::Aggregate, "KLD median", "%.4f"},
    {FitMetric::KldP90, Shown::None, JobRule::Aggregate, "KLD p90", "%.4f"},
    {FitMetric::KldP99, Shown::Job, JobRule::Aggregate, "KLD p99", "%.3g"},
    {FitMetric::KldMax, Shown::None, JobRule::Aggregate, "KLD max", "%.3g"},
    {FitMetric::SameTop, Shown::Job, JobRule::Aggregate, "same top", "%.3f"},
    {FitMetric::SameTopSe, Shown::None, JobRule::Aggregate, "same top ±", "%.3f"},
    {FitMetric::DeltaPMean, Shown::None, JobRule::Aggregate, "Δp", "%+.4f"},
    {FitMetric::DeltaPRms, Shown::None, JobRule::Aggregate, "Δp RMS", "%.4f"},
    {FitMetric::GreedySteps, Shown::None, JobRule::Aggregate, "greedy steps", "%.3g"},
    {FitMetric::GreedyAgree, Shown::Job, JobRule::Aggregate, "greedy agree", "%.3f"},
    {FitMetric::FitSeconds, Shown::Job, JobRule::Sum, "fit s", "%.3g"},
    {FitMetric::DecodeMs, Shown::Job, JobRule::Mean, "decode ms", "%.3g"},
};

SummaryRule ruleOf(const FitMetricDef& m) {
  for (const auto& rule : kRules)
    if (rule.id == m.id) return rule;
  return {m.id, Shown::PerKind, JobRule::AggregateElseMean, m.title, m.format};
}

// Running mean and sum that ignore unmeasured (NaN) values.
struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) {
    if (std::isfinite(v)) sum += v, ++n;
  }
  double value() const { return n > 0 ? sum / n : kNotMeasured; }
  double total() const { return n > 0 ? sum : kNotMeasured; }
};

// A Mean per fit metric.
struct MetricMeans {
  std::array<Mean, kFitMetricCount> means;
  const Mean& operator[](FitMetric m) const { return means[static_cast<std::size_t>(m)]; }
  void add(const ResultRow& row) {
    for (const auto& m : fitMetrics()) means[static_cast<std::size_t>(m.id)].add(row[m.id]);
  }
  MetricValues values() const {
    MetricValues v;
    for (const auto& m : fitMetrics()) v[m.id] = (*this)[m.id].value();
    return v;
  }
};

double jobValue(JobRule rule, double aggregate, const Mean& targets) {
  switch (rule) {
    case JobRule::Aggregate: return aggregate;
    case JobRule::AggregateElseMean: return std::isfinite(aggregate) ? aggregate : targets.value();
    case JobRule::Sum: return targets.total();
    case JobRule::Mean: return targets.value();
  }
  return kNotMeasured;
}

struct KindAccumulator {
  int targets = 0;
  MetricMeans means;
};

struct Group {
  SummaryRow row;
  nlohmann::json params;
  bool paramsFromTarget = false;  // a target row's effective parameters, not the job's spec
  std::map<std::string, KindAccumulator> kinds;
  MetricMeans targets;     // over every target of the group
  MetricValues aggregate;  // the job's aggregate row, when the group has it
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
  std::vector<NumberColumn> cols;
  const auto kinds = kindsInOrder(rows);
  for (const auto& m : fitMetrics()) {
    const SummaryRule rule = ruleOf(m);
    const FitMetric id = m.id;
    const auto job = [id](const SummaryRow& r) { return r.jobValues[id]; };
    if (rule.shown == Shown::PerKind || rule.shown == Shown::PerKindAndJob)
      for (const auto& kind : kinds)
        cols.push_back({m.column + ("_" + kind), kind + " " + rule.title, rule.format,
                        [kind, id](const SummaryRow& r) {
                          const auto it = r.kinds.find(kind);
                          return it == r.kinds.end() ? kNotMeasured : it->second.means[id];
                        }});
    if (rule.shown == Shown::PerKindAndJob)
      cols.push_back(
          {m.column + std::string("_all"), rule.title + std::string(" all"), rule.format, job});
    if (rule.shown == Shown::Job) cols.push_back({m.column, rule.title, rule.format, job});
  }
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
  return summarizeResults(loadRunResults(project, runs), grouping);
}

ResultsSummary summarizeResults(const std::vector<RunResults>& runs, SummaryGrouping grouping) {
  std::vector<Group> groups;
  for (const auto& [run, rows] : runs) {
    std::map<std::string, std::size_t> index;  // job (and layer) -> group
    std::map<std::string, nlohmann::json> effective;  // job -> its targets' effective parameters
    for (const auto& row : rows) {
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
        g.row.seqLen = intAt(params, "seq_len", 0);
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
        // An allocation's targets ran different methods: its label names the job.
        if (params.contains("label") && params.contains("assignment")) g.params = {{"label", params["label"]}};
        g.aggregate = MetricValues{row.metrics};
        if (params.contains("infeasible")) g.row.note = "infeasible: " + valueText(params["infeasible"]);
        continue;
      }
      auto& k = g.kinds[row.kind];
      ++k.targets;
      k.means.add(row);
      g.targets.add(row);
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
    for (const auto& [kind, acc] : g.kinds) g.row.kinds[kind] = {acc.targets, acc.means.values()};
    for (const auto& m : fitMetrics())
      g.row.jobValues[m.id] = jobValue(ruleOf(m).job, g.aggregate[m.id], g.targets[m.id]);
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

void writeTableMarkdown(const SummaryTable& t, std::ostream& out) {
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
}

void writeSummaryMarkdown(const ResultsSummary& summary, std::ostream& out) {
  writeTableMarkdown(summaryTable(summary), out);
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
