// kvwb-cli sweep: run a compression sweep spec (or a preset) on a project, resumably; or one shard
// of it (--shard I/N, into a shard file), or N shard processes on this machine then their merge
// (--local-shards N). Shards and merges: core/sweep/sweep_shard.h, sweep_merge.h.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/base/resource_paths.h"
#include "core/base/subprocess.h"
#include "core/sweep/sweep.h"
#include "core/sweep/sweep_merge.h"
#include "gpu/device.h"

namespace kvwb::cli {
namespace {

struct Args {
  std::string project, spec, device, shard;
  std::vector<std::string> overrides;
  int localShards = 0;
  bool dryRun = false;
};

int visibleGpus() {
  if (!gpu::cudaAvailable()) return 0;
  for (int n = 1;; ++n) try {
      gpu::resolveDevice("cuda:" + std::to_string(n));
    } catch (const std::invalid_argument&) {  // cuda:n does not exist
      return n;
    }
}

// The last line a shard process wrote to its log (its error, when it failed).
std::string lastLine(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// Runs `count` processes of this kvwb-cli, each `sweep --shard i/count` with the same spec, then
// merges their shards. One GPU per shard where the sweep runs on CUDA ("auto" or "cuda"); else the
// CPU cores shared out (OMP_NUM_THREADS). Each child's output goes to its shard file + ".log".
void runLocalShards(const Args& args, const core::SweepSpec& spec, TerminalProgress& progress) {
  const int count = args.localShards;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  const auto project = core::Project::open(args.project);
  const auto jobs = core::planSweep(project, spec);
  const auto before = core::committedJobKeys(project, jobs).size();  // the shards skip these
  const bool cuda = gpu::resolveDevice(spec.device) != "cpu";
  const int gpus = cuda && (spec.device == "auto" || spec.device == "cuda") ? visibleGpus() : 0;
  // CPU shards share the cores out, unless OMP_NUM_THREADS already says what each process uses
  // (CPU results depend in their last digits on the thread count: docs/CLUSTER.md).
  const char* given = std::getenv("OMP_NUM_THREADS");
  const int threads =
      given ? std::max(1, std::atoi(given))
            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / count);
  std::vector<std::filesystem::path> shards;
  std::vector<std::unique_ptr<core::ChildProcess>> children;
  for (int i = 0; i < count; ++i) {
    const core::ShardId id{i, count};
    shards.push_back(core::shardPath(args.project, spec.name, id));
    std::vector<std::string> argv = {exe.string(), "sweep",   args.project,
                                     args.spec,    "--shard", id.text()};
    for (const auto& o : args.overrides) argv.insert(argv.end(), {"--set", o});
    std::vector<std::string> env;
    if (gpus > 0)
      argv.insert(argv.end(), {"--device", "cuda:" + std::to_string(i % gpus)});
    else if (!args.device.empty())
      argv.insert(argv.end(), {"--device", args.device});
    if (!cuda && !given) env.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
    children.push_back(
        std::make_unique<core::ChildProcess>(argv, env, shards.back().string() + ".log"));
  }
  std::cout << "sweep '" << spec.name << "': " << count << " shard processes on "
            << (gpus > 0 ? std::to_string(gpus) + " GPU(s)"
                : cuda   ? spec.device
                         : std::to_string(threads) + " CPU thread(s) each")
            << "; logs beside the shards (" << shards.front().filename().string() << ".log, ...)\n";
  // Follow the shard files until every process has ended.
  for (bool running = true; running;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (progress.cancelled())
      for (auto& c : children) c->signal(SIGINT);
    running = std::any_of(children.begin(), children.end(), [](auto& c) { return !c->poll(); });
    auto committed = static_cast<int>(before);
    for (const auto& file : shards)
      committed += static_cast<int>(core::readShard(file).jobs.size());
    progress.report(
        std::min(1.0, committed / std::max(1.0, static_cast<double>(jobs.size()))),
        std::to_string(committed) + "/" + std::to_string(jobs.size()) + " jobs committed");
  }
  progress.checkCancelled();
  for (int i = 0; i < count; ++i)
    if (const int rc = children[i]->wait(); rc != 0)
      std::cout << "shard " << core::ShardId{i, count}.text() << " exited with code " << rc << ": "
                << lastLine(shards[i].string() + ".log") << " (" << shards[i].string() << ".log)\n";
  const auto report = core::mergeShards(args.project, shards, progress);
  core::writeMergeReport(report, std::cout);
  if (!report.complete()) throw CLI::RuntimeError(kIncompleteExit);
}

}  // namespace

core::SweepSpec loadSweepArgument(const std::string& specOrPreset,
                                  const std::vector<std::string>& overrides) {
  auto spec = core::loadSweepSpec(core::findSweepSpec(specOrPreset, core::executableDirectory()));
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CLI::ValidationError("--set", "expected KEY=VALUE, got '" + o + "'");
    auto value = nlohmann::json::parse(o.substr(eq + 1), nullptr, false);
    if (value.is_discarded()) value = o.substr(eq + 1);  // a bare word is a string
    core::overrideSweepParam(spec, o.substr(0, eq), value);
  }
  return spec;
}

void addSweepCommand(CLI::App& app) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "sweep", "Run a compression sweep (JSON spec or preset name); re-running resumes");
  cmd->add_option("project", args->project, "Project file (.kvw)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("spec", args->spec,
                  "Sweep spec JSON, or a preset: demo, siren-baseline, svd-ratios, "
                  "seq-scaling, layer-profile, multi-prompt")
      ->required();
  cmd->add_option("--device", args->device, "Override the spec's device (auto, cpu, cuda, cuda:N)");
  cmd->add_option("--set", args->overrides,
                  "KEY=VALUE (JSON value) for every method that has KEY in its params or grid, "
                  "e.g. --set epochs=300 for a quicker SIREN sweep");
  cmd->add_flag("--dry-run", args->dryRun, "List the jobs without running them");
  auto* shard =
      cmd->add_option(
             "--shard", args->shard,
             "I/N: run only shard I of N (0 <= I < N: the jobs whose key's stable hash % N == I) "
             "into the shard file P.kvw.<sweep>.shard-I-of-N; merge with kvwb-cli merge")
          ->check([](const std::string& text) {
            try {
              core::parseShardId(text);
              return std::string();
            } catch (const std::invalid_argument& e) {
              return std::string(e.what());
            }
          });
  cmd->add_option("--local-shards", args->localShards,
                  "Run N shard processes on this machine (one per visible GPU, else the CPU cores "
                  "shared out), then merge them into the project")
      ->check(CLI::Range(1, 1024))
      ->excludes(shard);
  cmd->callback([args] {
    auto spec = loadSweepArgument(args->spec, args->overrides);
    if (!args->device.empty()) spec.device = args->device;
    std::optional<core::ShardId> shard;
    if (!args->shard.empty()) shard = core::parseShardId(args->shard);  // checked when parsed
    if (args->dryRun) {
      auto jobs = core::planSweep(core::Project::open(args->project), spec);
      if (shard) jobs = core::shardJobs(jobs, *shard);
      for (const auto& j : jobs)
        std::cout << j.runId << "  " << j.params.dump() << "  seq_len=" << j.seqLength << "\n";
      std::cout << jobs.size() << " job(s)" << (shard ? " in shard " + shard->text() : "") << "\n";
      return;
    }
    TerminalProgress progress("sweep " + spec.name + (shard ? " shard " + shard->text() : ""));
    if (args->localShards > 0) return runLocalShards(*args, spec, progress);
    const auto s = core::runSweep(args->project, spec, progress, shard);
    std::cout << "sweep '" << spec.name << "'" << (shard ? " shard " + shard->text() : "") << " on "
              << s.device << ": " << s.done << " job(s) run, " << s.skipped << " already done, "
              << s.jobs << (shard ? " in the shard" : " in all");
    if (shard)
      std::cout << "; committed to " << s.output.string() << "\n";
    else {
      std::cout << "; runs:";
      for (const auto& id : s.runIds) std::cout << " " << id;
      std::cout << "\n";
    }
    for (const auto& why : s.infeasible)
      std::cout << "  infeasible, recorded and skipped: " << why << "\n";
  });
}

}  // namespace kvwb::cli
