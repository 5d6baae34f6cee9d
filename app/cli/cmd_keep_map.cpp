// kvwb-cli keep-map: what an eviction job keeps (core/sweep/job_keep_map.h): the job's method
// fitted again on its targets with the sweep's parameters and seed; per target its kept count,
// the unbroken runs of kept tokens at the start (sinks) and the end (recent window) and the share
// of the attention received that lands on kept tokens; --csv writes every (target, position).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/base/errors.h"
#include "core/reports/results_csv.h"
#include "core/sweep/job_keep_map.h"
#include "gpu/device.h"

namespace kvwb::cli {
namespace {

// "32 (25%)": a count and its share of `of`.
std::string countShare(double count, double of) {
  char out[48];
  std::snprintf(out, sizeof out, "%g (%.0f%%)", count, of > 0 ? 100 * count / of : 0.0);
  return out;
}

std::string percent(double share) {
  if (!std::isfinite(share)) return "-";
  char out[16];
  std::snprintf(out, sizeof out, "%.1f%%", 100 * share);
  return out;
}

void printRow(const std::string& target, double tokens, double kept, double sinks, double recent,
              double attention) {
  std::printf("%-10s %-12s %-12s %-12s %s\n", target.c_str(), countShare(kept, tokens).c_str(),
              countShare(sinks, kept).c_str(), countShare(recent, kept).c_str(), percent(attention).c_str());
}

void printSummary(const core::JobKeepMap& m) {
  std::printf("job %s: %s %s (run %s), capture %s, %d tokens, %zu targets\n", m.job.c_str(), m.method.c_str(),
              m.paramsText.c_str(), m.run.c_str(), m.capture.c_str(), m.tokens, m.targets.size());
  std::printf(
      "  sinks: the kept tokens from position 0 on, unbroken; recent: the kept tokens up to position %d,\n"
      "  unbroken (both with their share of the kept); attention: the share of the attention received\n"
      "  that lands on kept tokens\n\n",
      m.tokens - 1);
  std::printf("%-10s %-12s %-12s %-12s %s\n", "target", "kept", "sinks", "recent", "attention");
  double kept = 0, sinks = 0, recent = 0, attention = 0;
  int withAttention = 0;
  for (const auto& t : m.targets) {
    const core::KeepSummary s = core::summarizeKeep(t);
    printRow("L" + std::to_string(t.layer) + " H" + std::to_string(t.head) + " " + t.kind, s.tokens, s.kept,
             s.sinkRun, s.recentRun, s.attentionKept);
    kept += s.kept;
    sinks += s.sinkRun;
    recent += s.recentRun;
    if (std::isfinite(s.attentionKept)) attention += s.attentionKept, ++withAttention;
  }
  if (m.targets.empty()) return;
  const double n = static_cast<double>(m.targets.size());
  printRow("mean", m.tokens, kept / n, sinks / n, recent / n,
           withAttention ? attention / withAttention : std::nan(""));
}

// One row per target and position.
std::size_t writeCsv(const core::JobKeepMap& m, std::ostream& out) {
  using core::csvField, core::csvNumber;
  out << "capture,layer,head,kind,position,kept,attention,token\n";
  std::size_t rows = 0;
  for (const auto& t : m.targets)
    for (std::size_t p = 0; p < t.kept.size(); ++p, ++rows)
      out << csvField(m.capture) << ',' << t.layer << ',' << t.head << ',' << t.kind << ',' << p << ','
          << int{t.kept[p]} << ',' << (p < t.attention.size() ? csvNumber(t.attention[p]) : std::string()) << ','
          << csvField(m.decoded ? m.tokenTexts[p] : std::string()) << '\n';
  return rows;
}

}  // namespace

void addKeepMapCommand(CLI::App& app) {
  struct Args {
    std::string project, job, device = "auto", csv;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "keep-map",
      "What an eviction job keeps: its method fitted again with the sweep's parameters and seed; "
      "per target the kept tokens, the sinks and recent window among them, and the attention "
      "they receive");
  cmd->add_option("project", args->project, "Project file (.kvw) with the job's run")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("job", args->job, "The job whose key starts with this (kvwb-cli export: column job)")
      ->required();
  cmd->add_option("--device", args->device, "auto, cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--csv", args->csv,
                  "Write a row per target and token position (capture, layer, head, kind, position, "
                  "kept, attention, token) to this CSV file ('-': standard output only)");
  cmd->callback([args] {
    const auto project = core::Project::open(args->project);
    const std::string device = gpu::resolveDevice(args->device);
    core::JobKeepMap map;
    {
      TerminalProgress progress("keep-map " + args->job);
      map = core::jobKeepMap(project, args->job, device, progress);
    }
    if (args->csv == "-") {
      writeCsv(map, std::cout);
      return;
    }
    printSummary(map);
    if (args->csv.empty()) return;
    std::ofstream file(args->csv);
    if (!file) throw core::InputError(args->csv, "cannot write");
    const std::size_t rows = writeCsv(map, file);
    if (!file.flush()) throw core::InputError(args->csv, "cannot write");
    std::printf("\nwrote %zu row(s) to %s\n", rows, args->csv.c_str());
  });
}

}  // namespace kvwb::cli
