// An allocation's counts, uniform comparison, CSV and sweep spec (see allocation_output.h).
#include "core/alloc/allocation_output.h"

#include <algorithm>
#include <set>

namespace kvwb::core {

UniformChoice bestUniform(const AllocationTable& table, double budget) {
  UniformChoice best;
  for (std::size_t o = 0; o < table.options.size(); ++o) {
    double bytes = 0, damage = 0;
    for (std::size_t t = 0; t < table.targets.size(); ++t) bytes += table.bytesAt(t, o), damage += table.damageAt(t, o);
    if (bytes > budget) continue;
    if (best.option < 0 || damage < best.damage || (damage == best.damage && bytes < best.bytes))
      best = {static_cast<int>(o), bytes, damage};
  }
  return best;
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

nlohmann::json allocationSpec(const AllocationTable& table, const Allocation& allocation, const std::string& name,
                              const std::string& budgetText) {
  std::set<std::string> captures, kinds;
  std::set<int> lengths, layers, heads;
  for (const auto& t : table.targets) {
    captures.insert(t.capture), kinds.insert(t.kind);
    lengths.insert(t.seqLen), layers.insert(t.layer), heads.insert(t.head);
  }
  nlohmann::json methods = nlohmann::json::array();
  std::string chosen;
  for (const auto& use : optionUses(table, allocation)) {
    const auto& option = table.options[use.option];
    nlohmann::json m = {{"method", option.method}, {"params", option.params}};
    if (!option.quality.is_null()) m["quality"] = option.quality;
    methods.push_back(std::move(m));
    chosen += (chosen.empty() ? "" : ", ") + option.name() + " on " + std::to_string(use.targets) + " targets";
  }
  nlohmann::json spec = {
      {"name", name},
      {"description", "kvwb-cli allocate by " + std::string(fitMetric(table.metric).column) + " at " + budgetText +
                          ": " + chosen +
                          ". A spec's targets apply to every method, so each method here runs on every "
                          "target listed; the choice per target is the allocation's CSV."},
      {"captures", captures},
      {"targets", {{"layers", layers}, {"heads", heads}, {"kinds", kinds}}},
      {"seq_lengths", lengths},
      {"methods", methods}};
  for (const char* key : {"metrics", "device", "seed"})
    if (table.sourceSpec.contains(key)) spec[key] = table.sourceSpec[key];
  return spec;
}

}  // namespace kvwb::core
