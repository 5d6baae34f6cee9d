// bestPerFamily: the summary's jobs grouped by capture, length, compressed kinds and family, the
// best within the budget chosen per group; the table is summaryTable's with three columns first.
#include "core/reports/family_best.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <tuple>

#include "core/compress/method_descriptor.h"

namespace kvwb::core {
namespace {

constexpr std::array kDefaultBy{FitMetric::Kld, FitMetric::AttnKl, FitMetric::RelErr};
constexpr double kBudgetSlack = 1e-9;  // relative: a ratio computed as exactly R is within

// The family's position in MethodFamily (registration order of the families), unregistered last.
int familyRank(const std::string& method) {
  try {
    return static_cast<int>(methodDescriptor(method).family);
  } catch (const std::invalid_argument&) {
    return 1 << 20;
  }
}

// "K+V": the kinds a job has targets of, K, V, Kpre first, any other after them alphabetically.
std::string targetsText(const SummaryRow& row) {
  std::string text;
  const auto add = [&](const std::string& kind) { text += (text.empty() ? "" : "+") + kind; };
  for (const char* kind : {"K", "V", "Kpre"})
    if (row.kinds.count(kind)) add(kind);
  for (const auto& [kind, means] : row.kinds)
    if (kind != "K" && kind != "V" && kind != "Kpre") add(kind);
  return text;
}

std::string number(const char* format, double v) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

// The jobs of one capture, length, set of kinds and family.
struct Group {
  std::string family, targets, capture;
  int seqLen = 0;
  std::vector<const SummaryRow*> jobs;

  std::string describe() const {
    std::vector<std::string> methods;
    for (const SummaryRow* r : jobs)
      if (std::find(methods.begin(), methods.end(), r->method) == methods.end())
        methods.push_back(r->method);
    std::string text = family + " (";
    for (std::size_t i = 0; i < methods.size(); ++i) text += (i ? ", " : "") + methods[i];
    text += "), " + capture;
    if (seqLen > 0) text += ", n=" + std::to_string(seqLen);
    return text + ", " + targets;
  }
};

bool better(FitMetric by, double a, double b) {
  return fitMetric(by).better == Better::Higher ? a > b : a < b;
}

}  // namespace

std::span<const FitMetric> defaultBestBy() { return kDefaultBy; }

std::string familyOf(const std::string& method) {
  try {
    return familyName(methodDescriptor(method).family);
  } catch (const std::invalid_argument&) {
    return "unregistered";
  }
}

FamilyBest bestPerFamily(const ResultsSummary& summary, double atRatio,
                         std::optional<FitMetric> by) {
  if (!(atRatio > 0) || !std::isfinite(atRatio))
    throw std::invalid_argument("best per family: the ratio must be a positive number, got " +
                                number("%g", atRatio));
  if (by && fitMetric(*by).better == Better::Neither)
    throw std::invalid_argument(std::string("best per family: ") + fitMetric(*by).column +
                                " has no better direction to choose by");
  FamilyBest best;
  best.atRatio = atRatio;
  best.by = by;

  // Groups keyed by (capture's first appearance, length, targets, family rank, family).
  std::map<std::string, int> captureOrder;
  std::map<std::tuple<int, int, std::string, int, std::string>, Group> groups;
  for (const SummaryRow& row : summary.rows) {
    if (row.layer >= 0 || !std::isfinite(row.jobValues[FitMetric::Ratio])) continue;
    const int capture =
        captureOrder.try_emplace(row.capture, static_cast<int>(captureOrder.size())).first->second;
    Group& g = groups[{capture, row.seqLen, targetsText(row), familyRank(row.method),
                       familyOf(row.method)}];
    if (g.jobs.empty()) g = {familyOf(row.method), targetsText(row), row.capture, row.seqLen, {}};
    g.jobs.push_back(&row);
  }

  const double floor = atRatio * (1 - kBudgetSlack);
  for (const auto& [key, g] : groups) {
    std::vector<const SummaryRow*> within;
    double highest = 0;
    for (const SummaryRow* r : g.jobs) {
      highest = std::max(highest, r->jobValues[FitMetric::Ratio]);
      if (r->jobValues[FitMetric::Ratio] >= floor) within.push_back(r);
    }
    if (within.empty()) {
      best.notes.push_back(g.describe() + ": no job at ratio ≥ " + number("%g", atRatio) +
                           " (highest " + number("%.3g", highest) + ")");
      continue;
    }
    const auto measured = [&](FitMetric m) {
      return std::any_of(within.begin(), within.end(),
                         [m](const SummaryRow* r) { return std::isfinite(r->jobValues[m]); });
    };
    std::optional<FitMetric> metric = by;
    if (!metric)
      for (const FitMetric m : kDefaultBy)
        if (measured(m)) {
          metric = m;
          break;
        }
    if (!metric || !measured(*metric)) {
      const std::string names = by ? fitMetric(*by).column : "kld, attn_kl or rel_err";
      best.notes.push_back(g.describe() + ": " + std::to_string(within.size()) +
                           " job(s) at ratio ≥ " + number("%g", atRatio) + ", none measured " +
                           names);
      continue;
    }
    const SummaryRow* chosen = nullptr;
    int candidates = 0;
    for (const SummaryRow* r : within) {
      const double v = r->jobValues[*metric];
      if (!std::isfinite(v)) continue;
      ++candidates;
      const double c = chosen ? chosen->jobValues[*metric] : 0;
      if (!chosen || better(*metric, v, c) ||
          (v == c && r->jobValues[FitMetric::Ratio] > chosen->jobValues[FitMetric::Ratio]))
        chosen = r;
    }
    best.rows.push_back({g.family, g.targets, *metric, candidates, *chosen});
  }
  return best;
}

SummaryTable familyBestTable(const FamilyBest& best) {
  ResultsSummary chosen;
  for (const FamilyBestRow& r : best.rows) {
    SummaryRow row = r.row;
    row.params = paramsText(row.paramsJson);  // in full: the rows are of different methods
    chosen.rows.push_back(std::move(row));
  }
  SummaryTable table = summaryTable(chosen);
  const std::array<std::string, 3> headers{"family", "targets", "chosen by"};
  table.headers.insert(table.headers.begin(), headers.begin(), headers.end());
  table.numeric.insert(table.numeric.begin(), headers.size(), false);
  for (std::size_t i = 0; i < best.rows.size(); ++i) {
    const FamilyBestRow& r = best.rows[i];
    const std::string by =
        std::string(fitMetric(r.by).column) + " (best of " + std::to_string(r.candidates) + ")";
    table.rows[i].insert(table.rows[i].begin(), {{r.family}, {r.targets}, {by}});
  }
  return table;
}

std::string familyBestCaption(const FamilyBest& best) {
  const std::string r = number("%g", best.atRatio);
  std::string rule;
  if (best.by) {
    rule = std::string("best by ") + fitMetric(*best.by).title;
  } else {
    rule = "best by ";
    for (std::size_t i = 0; i < kDefaultBy.size(); ++i)
      rule += std::string(i ? ", else " : "") + fitMetric(kDefaultBy[i]).title +
              (i == 0 ? " where measured" : "");
  }
  const char* direction =
      best.by && fitMetric(*best.by).better == Better::Higher ? "highest" : "lowest";
  return "ratio ≥ " + r + " (bytes ≤ raw float16 / " + r + "), " + rule + " (" + direction +
         " wins)";
}

void writeFamilyBestMarkdown(const FamilyBest& best, std::ostream& out) {
  out << "Best per family at " << familyBestCaption(best) << ":\n\n";
  if (best.rows.empty())
    out << "(no family has a job within the budget)\n";
  else
    writeTableMarkdown(familyBestTable(best), out);
  if (!best.notes.empty()) out << '\n';
  for (const std::string& note : best.notes) out << "* " << note << '\n';
}

}  // namespace kvwb::core
