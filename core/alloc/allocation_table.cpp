// The option table of an allocation from sweep results (see allocation_table.h).
#include "core/alloc/allocation_table.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "core/base/errors.h"
#include "core/base/json_int.h"
#include "core/compress/method_descriptor.h"
#include "core/reports/results_summary.h"

namespace kvwb::core {
namespace {

// Keys of a job's row parameters that name the job rather than what its spec asked for.
const char* const kJobKeys[] = {"job", "seq_len", "infeasible"};

nlohmann::json parseObject(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// The tokens an eviction option keeps, from a target row's effective parameters: the rule and
// what chooses the tokens, without what the kept rows are stored as or how the size was asked.
std::string tokenSelection(const std::string& method, nlohmann::json params) {
  for (const char* key : {"job", "seq_len", "infeasible", "then", "storage", "target_ratio", "ratio", "keep_ratio"})
    params.erase(key);
  return method + " " + params.dump();
}

nlohmann::json requested(nlohmann::json params) {
  for (const char* key : kJobKeys) params.erase(key);
  return params;
}

using TargetKey = std::tuple<std::string, int, int, int, std::string>;  // capture, n, layer, head, kind

AllocationTarget targetOf(const TargetKey& key, double rawBytes) {
  const auto& [capture, n, layer, head, kind] = key;
  return {capture, n, layer, head, kind, rawBytes};
}

// The "quality" a run's sweep spec gave its method (null when none).
nlohmann::json methodQuality(const nlohmann::json& spec, const std::string& method) {
  for (const auto& m : spec.value("methods", nlohmann::json::array()))
    if (m.is_object() && m.value("method", std::string()) == method) return m.value("quality", nlohmann::json());
  return nullptr;
}

struct Column {
  AllocationOption option;
  std::map<TargetKey, std::pair<double, double>> cells;  // bytes, damage
  std::string infeasible;
};

}  // namespace

std::string AllocationTarget::name() const {
  return capture + " n=" + std::to_string(seqLen) + " L" + std::to_string(layer) + " H" + std::to_string(head) +
         " " + kind;
}

std::string AllocationOption::name() const { return paramsText.empty() ? method : method + " " + paramsText; }

double AllocationTable::rawBytes() const {
  double sum = 0;
  for (const auto& t : targets) sum += t.rawBytes;
  return sum;
}

FitMetric allocationMetric(const std::string& column) {
  const auto usable = [](const FitMetricDef& m) { return m.better == Better::Lower && m.id != FitMetric::Bytes; };
  const FitMetricDef* m = findFitMetric(column);
  if (m && usable(*m)) return m->id;
  std::string names;
  for (const auto& d : fitMetrics())
    if (usable(d)) names += (names.empty() ? "" : ", ") + std::string(d.column);
  throw std::invalid_argument("cannot allocate by '" + column + "': a metric where lower is better, one of " + names);
}

std::vector<RunInfo> selectRuns(const std::vector<RunInfo>& runs, const std::vector<std::string>& names,
                                const std::filesystem::path& project) {
  if (names.empty()) return runs;
  std::vector<bool> chosen(runs.size(), false);
  for (const auto& name : names) {
    bool found = false;
    for (std::size_t i = 0; i < runs.size(); ++i)
      if (runs[i].id == name || runs[i].id.starts_with(name + ".")) chosen[i] = found = true;
    if (found) continue;
    std::string ids;
    for (const auto& r : runs) ids += (ids.empty() ? "" : ", ") + r.id;
    throw InputError(project, "no run or sweep '" + name + "' (runs: " + (ids.empty() ? "none" : ids) + ")");
  }
  std::vector<RunInfo> out;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (chosen[i]) out.push_back(runs[i]);
  return out;
}

AllocationTable buildAllocationTable(const std::vector<RunResults>& runs, FitMetric metric,
                                     const std::function<bool(const std::string& method)>& keepMethod) {
  AllocationTable table;
  table.metric = metric;
  std::vector<Column> columns;
  std::map<std::string, std::size_t> columnOf;  // method|params -> column
  std::map<TargetKey, double> targets;          // -> raw bytes
  std::set<std::string> leftOut;
  bool measured = false, first = true;
  const auto column = [&](const std::string& method, const nlohmann::json& params, const nlohmann::json& quality) {
    const auto [it, fresh] = columnOf.try_emplace(method + "|" + params.dump(), columns.size());
    if (fresh) columns.push_back({{method, params, paramsText(params.dump()), quality}, {}, {}});
    return it->second;
  };
  std::set<std::string> generated;
  for (const auto& [run, rows] : runs) {
    const auto& all = methodDescriptors();  // a run's method may be unknown (an older project)
    const auto known = std::find_if(all.begin(), all.end(), [&](const auto* m) { return m->name == run.method; });
    const MethodDescriptor* method = known == all.end() ? nullptr : *known;
    if (method && method->generated) {
      generated.insert(run.method);  // a method per target (an allocation): no option of its own
      continue;
    }
    if (keepMethod && !keepMethod(run.method)) {
      leftOut.insert(run.method);
      continue;
    }
    const bool evicts = method && method->family == MethodFamily::Eviction;
    const auto spec = parseObject(run.paramsJson).value("spec", nlohmann::json::object());
    if (first) table.sourceSpec = spec, first = false;
    const auto quality = methodQuality(spec, run.method);
    std::map<std::string, std::size_t> jobColumn;  // job key -> column, from the aggregate rows
    for (const auto& row : rows) {
      if (row.layer >= 0) continue;
      const auto params = parseObject(row.paramsJson);
      const auto c = column(run.method, requested(params), quality);
      jobColumn[params.value("job", std::string())] = c;
      if (params.contains("infeasible")) columns[c].infeasible = params["infeasible"].dump();
    }
    for (const auto& row : rows) {
      if (row.layer < 0 || !std::isfinite(row[FitMetric::Bytes])) continue;
      const auto params = parseObject(row.paramsJson);
      const auto job = jobColumn.find(params.value("job", std::string()));
      const auto c = job != jobColumn.end() ? job->second : column(run.method, requested(params), quality);
      const TargetKey key{run.capture, intAt(params, "seq_len", 0), row.layer, row.head, row.kind};
      targets.try_emplace(key, row[FitMetric::Bytes] * row[FitMetric::Ratio]);
      if (!std::isfinite(row[metric])) continue;
      measured = true;
      columns[c].cells.try_emplace(key, row[FitMetric::Bytes], row[metric]);
      if (evicts && columns[c].option.selection.empty()) columns[c].option.selection = tokenSelection(run.method, params);
    }
  }
  const auto listed = [](const std::set<std::string>& methods) {
    std::string text;
    for (const auto& m : methods) text += (text.empty() ? "" : ", ") + m;
    return text;
  };
  if (!leftOut.empty()) table.notes.push_back("left out by family: " + listed(leftOut));
  if (!generated.empty()) table.notes.push_back("left out, a method per target: " + listed(generated));
  const std::string metricName = fitMetric(metric).column;
  if (!measured)
    throw std::invalid_argument(
        "no target row of these runs measured " + metricName +
        (fitMetric(metric).aggregate == Aggregate::Job
             ? " (measured per job; per target only with metrics.quality.per_target or metrics.delta_ppl per_target)"
             : ""));

  for (const auto& [key, raw] : targets) table.targets.push_back(targetOf(key, raw));
  std::vector<const Column*> kept;
  for (const auto& c : columns) {
    if (c.cells.size() == targets.size()) {
      kept.push_back(&c);
      continue;
    }
    std::string why = c.option.name() + ": ";
    if (!c.infeasible.empty()) {
      why += "infeasible " + c.infeasible;
    } else {
      why += metricName + " measured on " + std::to_string(c.cells.size()) + " of " + std::to_string(targets.size()) +
             " targets";
      for (const auto& [key, raw] : targets)
        if (!c.cells.count(key)) {
          why += " (not " + targetOf(key, raw).name() + ", ...)";
          break;
        }
    }
    table.notes.push_back(why);
  }
  if (kept.empty())
    throw std::invalid_argument("no option was measured on every one of the " + std::to_string(targets.size()) +
                                " targets by " + metricName + (table.notes.empty() ? "" : ": " + table.notes.back()));
  for (const Column* c : kept) table.options.push_back(c->option);
  for (const auto& [key, raw] : targets)
    for (const Column* c : kept) {
      const auto& [b, d] = c->cells.at(key);
      table.bytes.push_back(b);
      table.damage.push_back(d);
    }
  return table;
}

}  // namespace kvwb::core
