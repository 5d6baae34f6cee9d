// kvwb-cli decode-cost: what one decode step at context L costs per sweep job (bytes read, FLOPs,
// elementwise work, the roofline time on a device, the speed-up against the raw float16 cache);
// on a project without runs, each method's default grid at a capture's shape. Model in
// core/decode/decode_cost.h, docs/DECODE_COST.md.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "core/base/errors.h"
#include "core/decode/decode_cost_report.h"

namespace kvwb::cli {

void addDecodeCostCommand(CLI::App& app) {
  struct Args {
    std::string project, device, csv, capture;
    std::vector<std::string> runs;
    std::int64_t context = 0;
  };
  auto args = std::make_shared<Args>();
  std::string devices;
  for (const auto& name : core::deviceNames()) devices += (devices.empty() ? "" : ", ") + name;
  auto* cmd = app.add_subcommand(
      "decode-cost", "Predict what one decode step costs per sweep job: bytes, FLOPs, roofline time on a device");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--context", args->context, "Context length L in tokens")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  cmd->add_option("--device", args->device, "Device profile: " + devices + " (cpu: this machine, measured)")
      ->required();
  cmd->add_option("--run", args->runs, "Only these run ids (repeatable)");
  cmd->add_option("--capture", args->capture, "Without runs: the capture whose shape to use (default: the first)");
  cmd->add_option("--csv", args->csv, "Write CSV to this file instead ('-' = stdout)");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    const auto device = core::deviceProfile(args->device);
    std::vector<core::RunInfo> runs;
    for (const auto& r : p.runs())
      if (args->runs.empty() || std::count(args->runs.begin(), args->runs.end(), r.id)) runs.push_back(r);
    for (const auto& id : args->runs)
      if (std::none_of(runs.begin(), runs.end(), [&](const auto& r) { return r.id == id; }))
        throw core::InputError(args->project, "no run with id '" + id + "'");
    core::DecodeCostReport report;
    if (!runs.empty()) {
      report = core::decodeCostOfRuns(p, runs, args->context, device);
    } else {
      if (p.captures().empty()) throw core::InputError(args->project, "has no captures");
      const auto& capture = args->capture.empty() ? p.captures().front() : p.capture(args->capture);
      report = core::decodeCostOfMethods(capture, args->context, device);
      report.note = args->project + " has " + report.note;
    }
    if (args->csv.empty()) return core::writeDecodeCostMarkdown(report, std::cout);
    if (args->csv == "-") return core::writeDecodeCostCsv(report, std::cout);
    std::ofstream file(args->csv);
    if (!file) throw core::InputError(args->csv, "cannot write");
    core::writeDecodeCostCsv(report, file);
    std::cout << "wrote " << report.rows.size() << " row(s) to " << args->csv << "\n";
  });
}

}  // namespace kvwb::cli
