// An allocation's counts, uniform comparison, CSV and sweep spec (see allocation_output.h).
#include "core/alloc/allocation_output.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "core/alloc/allocation_contenders.h"
#include "core/quality/window_spec.h"

namespace kvwb::core {
namespace {

// Whether `metric` is a statistic of the quality windows (measured per target with
// metrics.quality.per_target), so that an allocation chosen by it saw those windows.
bool chosenOnQualityWindows(FitMetric metric) {
  for (FitMetric m : {FitMetric::Kld, FitMetric::LnPplRatio, FitMetric::PplRatio, FitMetric::KldMedian, FitMetric::KldP90,
                      FitMetric::KldP99, FitMetric::KldMax, FitMetric::DeltaPMean, FitMetric::DeltaPRms})
    if (m == metric) return true;
  return false;
}

}  // namespace

UniformChoice bestUniform(const AllocationTable& table, double budget, const std::vector<std::size_t>& targets) {
  std::vector<std::size_t> all = targets;
  if (all.empty())
    for (std::size_t t = 0; t < table.targets.size(); ++t) all.push_back(t);
  UniformChoice best;
  for (std::size_t o = 0; o < table.options.size(); ++o) {
    double bytes = 0, damage = 0;
    for (const auto t : all) bytes += table.bytesAt(t, o), damage += table.damageAt(t, o);
    if (bytes > budget) continue;
    if (best.option < 0 || damage < best.damage || (damage == best.damage && bytes < best.bytes))
      best = {static_cast<int>(o), bytes, damage};
  }
  return best;
}

std::vector<std::string> allocationNotes(const AllocationTable& table) {
  std::vector<std::string> blind, notes;
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const auto& kind = table.targets[t].kind;
    bool zero = std::find(blind.begin(), blind.end(), kind) == blind.end();
    for (std::size_t o = 0; zero && o < table.options.size(); ++o) zero = table.damageAt(t, o) == 0;
    if (zero) blind.push_back(kind);
  }
  const std::string metric = fitMetric(table.metric).column;
  for (const auto& kind : blind)
    notes.push_back(metric + " is 0 under every option for some " + kind +
                    " targets: they take their cheapest option (attention KL is 0 for values by definition; "
                    "attn_out_err weighs keys and values)");
  notes.insert(notes.end(), table.notes.begin(), table.notes.end());
  return notes;
}

std::vector<OptionUse> optionUses(const AllocationTable& table, const Allocation& allocation) {
  std::vector<OptionUse> uses(table.options.size());
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const int o = allocation.choice[t];
    OptionUse& u = uses[o];
    u.option = o;
    ++u.targets;
    u.bytes += table.bytesAt(t, o);
    u.damage += table.damageAt(t, o);
    const auto& kind = table.targets[t].kind;
    const auto k = std::find_if(u.kinds.begin(), u.kinds.end(), [&](const auto& p) { return p.first == kind; });
    if (k == u.kinds.end())
      u.kinds.emplace_back(kind, 1);
    else
      ++k->second;
  }
  std::erase_if(uses, [](const OptionUse& u) { return u.targets == 0; });
  return uses;
}

std::size_t writeAllocationCsv(const AllocationTable& table, const Allocation& allocation, std::ostream& out) {
  out << "capture,seq_len,layer,head,kind,method,params,bytes," << fitMetric(table.metric).column << '\n';
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const auto& target = table.targets[t];
    const auto o = static_cast<std::size_t>(allocation.choice[t]);
    const auto& option = table.options[o];
    out << csvField(target.capture) << ',' << target.seqLen << ',' << target.layer << ',' << target.head << ','
        << target.kind << ',' << csvField(option.method) << ',' << csvField(option.params.dump()) << ','
        << csvNumber(table.bytesAt(t, o)) << ',' << csvNumber(table.damageAt(t, o)) << '\n';
  }
  return table.targets.size();
}

nlohmann::json allocationSpec(const AllocationTable& table, const Allocation& allocation, double budget,
                              const std::string& name, const std::string& budgetText, const std::string& label) {
  std::set<std::string> captures, kinds;
  std::set<int> lengths, layers, heads;
  std::map<std::string, int> lengthOf;
  for (const auto& t : table.targets) {
    captures.insert(t.capture), kinds.insert(t.kind);
    lengths.insert(t.seqLen), layers.insert(t.layer), heads.insert(t.head);
    if (lengthOf.try_emplace(t.capture, t.seqLen).first->second != t.seqLen)
      throw std::invalid_argument("the table holds capture '" + t.capture + "' at two sequence lengths (" +
                                  std::to_string(lengthOf[t.capture]) + " and " + std::to_string(t.seqLen) +
                                  "): allocate from runs of one length per capture");
  }
  // One option per target as an allocation job.
  const auto assigned = [&](const std::vector<int>& choice, const std::string& jobLabel) {
    nlohmann::json assignment = nlohmann::json::array();
    for (std::size_t t = 0; t < table.targets.size(); ++t) {
      const auto& target = table.targets[t];
      const auto& option = table.options[static_cast<std::size_t>(choice[t])];
      nlohmann::json entry = option.params;
      entry.update({{"capture", target.capture}, {"layer", target.layer}, {"head", target.head},
                    {"kind", target.kind}, {"method", option.method}});
      assignment.push_back(std::move(entry));
    }
    return nlohmann::json{{"method", "allocation"}, {"params", {{"label", jobLabel}, {"assignment", assignment}}}};
  };
  nlohmann::json methods = nlohmann::json::array({assigned(allocation.choice, label)});
  std::string measured = label;
  for (const auto& c : allocationContenders(table, budget)) {
    if (c.choice.empty()) continue;
    const bool uniform = std::all_of(c.choice.begin(), c.choice.end(), [&](int o) { return o == c.choice.front(); });
    if (uniform) {
      const auto& option = table.options[static_cast<std::size_t>(c.choice.front())];
      methods.push_back({{"method", option.method}, {"params", option.params}});
    } else {
      methods.push_back(assigned(c.choice, c.label));
    }
    measured += ", " + c.label + (uniform ? " (" + c.note + ")" : "");
  }
  nlohmann::json spec = {
      {"name", name},
      {"description", "kvwb-cli allocate by " + std::string(fitMetric(table.metric).column) + " at " + budgetText +
                          ": " + measured + ", each as one job with the same quality windows"},
      {"captures", captures},
      {"targets", {{"layers", layers}, {"heads", heads}, {"kinds", kinds}}},
      {"seq_lengths", lengths},
      {"methods", methods}};
  for (const char* key : {"metrics", "device", "seed"})
    if (table.sourceSpec.contains(key)) spec[key] = table.sourceSpec[key];
  // Model quality is what the jobs are for: on, whole-cache only (no pass per target).
  auto& metrics = spec["metrics"];
  if (!metrics.is_object()) metrics = nlohmann::json::object();
  if (!metrics.contains("quality") || !metrics["quality"].is_object()) metrics["quality"] = nlohmann::json::object();
  auto& quality = metrics["quality"];
  quality.erase("per_target");
  if (chosenOnQualityWindows(table.metric)) {
    // The allocation was chosen on the runs' windows: measure it on the text after them.
    const auto windows = parseWindowSpec(quality);
    const int prefix = windows.prefix > 0 ? windows.prefix : *lengths.rbegin();
    const int stride = windows.stride > 0 ? windows.stride : prefix + std::max(windows.continuation, windows.greedy);
    quality["first"] = windows.first + windows.windows * stride;
    spec["description"] = spec["description"].get<std::string>() + "; quality windows from token " +
                          std::to_string(quality["first"].get<int>()) +
                          ", after those the allocation was chosen on";
  }
  return spec;
}

}  // namespace kvwb::core
