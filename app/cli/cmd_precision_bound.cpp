// kvwb-cli precision-bound: the HNF precision analyzer's lower bound on bits,
// p >= log2(c kappa D^2 / eps), against the fewest bits that reach eps on every target of a
// capture (core/compress/precision_bound.h): violations, slack and the c that fits the data.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "app/cli/commands.h"
#include "core/base/errors.h"
#include "core/compress/precision_bound.h"
#include "core/reports/results_csv.h"
#include "core/sweep/target_batch.h"
#include "gpu/device.h"

namespace kvwb::cli {
namespace {

constexpr double kSeedConstant = 4;  // the seed's c

struct TargetRow {
  core::TargetRef ref;
  std::string kind;
  core::PrecisionBound bound;
};

std::string bitsText(const std::optional<int>& b) { return b ? std::to_string(*b) : "-"; }

void printTable(const std::vector<TargetRow>& rows, const std::vector<double>& eps) {
  std::printf("%-10s %-10s %-9s", "target", "kappa", "D");
  for (const double e : eps) std::printf(" p/b@%-7g", e);
  std::printf("\n");
  for (const auto& r : rows) {
    const auto name =
        "L" + std::to_string(r.ref.layer) + " H" + std::to_string(r.ref.head) + " " + r.kind;
    std::printf("%-10s %-10.3g %-9.3g", name.c_str(), r.bound.kappa, r.bound.diameter);
    for (std::size_t e = 0; e < eps.size(); ++e) {
      const auto cell = bitsText(r.bound.predicted[e]) + "/" + bitsText(r.bound.measured[e]);
      std::printf(" %-11s", cell.c_str());
    }
    std::printf("\n");
  }
}

void printSummary(const std::vector<TargetRow>& rows, const std::vector<double>& eps) {
  std::vector<core::PrecisionBound> bounds;
  for (const auto& r : rows) bounds.push_back(r.bound);
  std::printf("\n%-9s %-8s %-9s %-6s %-6s %-11s %s\n", "eps", "targets", "violated", "tight",
              "slack", "c_max", "c_median");
  for (const auto& s : core::summarizePrecisionBounds(bounds, eps))
    std::printf("%-9g %-8d %-9d %-6d %-6d %-11.4g %.4g\n", s.eps, s.targets, s.violated, s.tight,
                s.slack, s.cMax, s.cMedian);
}

std::size_t writeCsv(const std::string& capture, std::int64_t tokens,
                     const std::vector<TargetRow>& rows, const std::vector<double>& eps,
                     std::ostream& out) {
  using core::csvField, core::csvNumber;
  out << "capture,tokens,layer,head,kind,eps,kappa,diameter,predicted_bits,measured_bits,c_tight\n";
  std::size_t written = 0;
  const auto bits = [](const std::optional<int>& b) {
    return b ? std::to_string(*b) : std::string();
  };
  for (const auto& r : rows)
    for (std::size_t e = 0; e < eps.size(); ++e, ++written)
      out << csvField(capture) << ',' << tokens << ',' << r.ref.layer << ',' << r.ref.head << ','
          << r.kind << ',' << csvNumber(eps[e]) << ',' << csvNumber(r.bound.kappa) << ','
          << csvNumber(r.bound.diameter) << ',' << bits(r.bound.predicted[e]) << ','
          << bits(r.bound.measured[e]) << ',' << csvNumber(core::tightConstant(r.bound, e, eps[e]))
          << '\n';
  return written;
}

}  // namespace

void addPrecisionBoundCommand(CLI::App& app) {
  struct Args {
    std::string project, capture, device = "auto", csv;
    std::vector<double> eps = {1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
    std::int64_t tokens = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "precision-bound",
      "The HNF precision analyzer's bound p >= log2(4 kappa D^2 / eps) on every target of a "
      "capture, "
      "against the fewest bits (INT2..INT8 per token, float16, float32) whose attention-output "
      "error "
      "is at most eps: violations, slack and the fitted c (docs/PRECISION_BOUND.md)");
  cmd->add_option("project", args->project, "Project file (.kvw)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--capture", args->capture, "Capture with queries (default: the first)");
  cmd->add_option("--eps", args->eps, "Target attention-output relative errors, comma-separated")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--tokens", args->tokens, "Use the first N tokens (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", args->device, "auto, cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--csv", args->csv,
                  "Write a row per target and eps (capture, tokens, layer, head, kind, eps, kappa, "
                  "diameter, predicted_bits, measured_bits, c_tight) to this CSV file");
  cmd->callback([args] {
    const auto project = core::Project::open(args->project);
    if (project.captures().empty()) throw core::InputError(args->project, "has no captures");
    const auto& c =
        args->capture.empty() ? project.captures().front() : project.capture(args->capture);
    if (!c.hasQueries)
      throw core::InputError(args->project, "capture '" + c.name + "' has no queries");
    const std::int64_t tokens = args->tokens > 0 ? std::min(args->tokens, c.tokens) : c.tokens;
    const std::string device = gpu::resolveDevice(args->device);
    core::TargetReader reader(project, c.name);
    std::vector<core::TargetRef> refs;
    for (int l = 0; l < c.layers; ++l)
      for (int h = 0; h < c.kvHeads; ++h) refs.push_back({l, h});
    std::vector<TargetRow> rows;
    for (const char* kind : {"K", "V"}) {
      const auto batch = core::buildKindBatch(reader, refs, kind, tokens);
      const auto bounds = core::measurePrecisionBounds(batch.targets, batch.fitInputs(0), args->eps,
                                                       kSeedConstant, device);
      for (std::size_t i = 0; i < refs.size(); ++i) rows.push_back({refs[i], kind, bounds[i]});
    }
    std::printf(
        "precision bound on capture %s (%lld tokens, %zu targets), c = %g: p = ceil(log2(c kappa "
        "D^2 / eps))"
        " predicted / b measured\n(values: kappa = 0, no prediction; violated: p > b, the "
        "'necessary' bits"
        " are not necessary)\n\n",
        c.name.c_str(), static_cast<long long>(tokens), rows.size(), kSeedConstant);
    printTable(rows, args->eps);
    printSummary(rows, args->eps);
    if (args->csv.empty()) return;
    std::ofstream file(args->csv);
    if (!file) throw core::InputError(args->csv, "cannot write");
    const std::size_t written = writeCsv(c.name, tokens, rows, args->eps, file);
    if (!file.flush()) throw core::InputError(args->csv, "cannot write");
    std::printf("\nwrote %zu row(s) to %s\n", written, args->csv.c_str());
  });
}

}  // namespace kvwb::cli
