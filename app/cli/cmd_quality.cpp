// kvwb-cli quality: what each job of a sweep spec does to the model over many windows of its
// capture's text (core/sweep/window_quality.h): ln(PPL_c/PPL_base), KL divergence with
// percentiles, same-top-token rate and Δp of the correct token, with bootstrap standard errors
// over windows, as llama.cpp's `perplexity --kl-divergence` reports them.
#include <cstdio>
#include <map>
#include <iostream>
#include <memory>
#include <tuple>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/compress/method_descriptor.h"
#include "core/reports/results_summary.h"
#include "core/sweep/window_quality.h"
#include "gpu/device.h"

namespace kvwb::cli {
namespace {

// Compare jobs at equal bytes: each is printed with its compression ratio (the descriptor's
// byte estimate for one target of the job's shape; "?" where the parameters do not fix it).
void printQuality(const core::Project& project, const core::SweepJob& job, const core::JobQuality& q) {
  const core::QualityStats& s = q.stats;
  const core::TargetShape shape{job.seqLength, project.capture(job.capture).headDim};
  const double bytes = core::estimateBytes(core::methodDescriptor(job.method), job.params, shape);
  std::printf("%s %s (job %s): ratio %s\n", job.method.c_str(),
              core::paramsText(job.params.dump()).c_str(), job.key.c_str(),
              bytes > 0 ? (std::to_string(shape.rawFloat16Bytes() / bytes).substr(0, 5) + "x").c_str() : "?");
  std::printf("  %d windows of %d + %d tokens from %s: %d scored tokens\n", s.windows, q.prefix,
              q.continuation, q.text.c_str(), s.tokens);
  std::printf("  ln(PPL_c/PPL_base) %+.5f ± %.5f   PPL ratio %.4f   Δppl %+.4g\n", s.lnPplRatio.mean,
              s.lnPplRatio.se, s.pplRatio, q.deltaPerplexity());
  std::printf("  KL divergence      %.5f ± %.5f nats   median %.5f  p90 %.5f  p99 %.5f  max %.5f\n",
              s.kld.mean, s.kld.se, s.kldMedian, s.kldP90, s.kldP99, s.kldMax);
  std::printf("  same top token     %.2f%% ± %.2f%%\n", 100 * s.sameTop.mean, 100 * s.sameTop.se);
  std::printf("  Δp(correct)        mean %+.5f  RMS %.5f\n", s.deltaPMean, s.deltaPRms);
  if (q.greedyTokens > 0)
    std::printf("  greedy (%d tokens)  %.1f steps before the first different token, %.2f%% the same\n",
                q.greedyTokens, q.greedySteps, 100 * q.greedyAgreement);
}

}  // namespace

void addQualityCommand(CLI::App& app) {
  struct Args {
    std::string project, spec, job;
    std::vector<std::string> overrides;
    core::WindowSpec windows;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "quality", "Measure each job of a sweep spec on the model over many text windows: ln PPL ratio, "
                 "KL divergence, same-top-token rate, greedy agreement, with bootstrap errors");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("spec", args->spec, "Sweep spec JSON or preset name (as for kvwb-cli sweep)")->required();
  cmd->add_option("--job", args->job, "Only the job whose key starts with this");
  cmd->add_option("--set", args->overrides, "KEY=VALUE override, as for kvwb-cli sweep");
  // Each option overrides the spec's metrics.quality field of the same name.
  cmd->add_option("--windows", args->windows.windows, "Windows of the capture's text (at most)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--prefix", args->windows.prefix, "Compressed prefix tokens (default: the job's length)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--continuation", args->windows.continuation, "Scored tokens per window")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--stride", args->windows.stride, "Tokens between window starts (default: no overlap)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--first", args->windows.first, "Token where the first window starts (the text before it held out)")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option("--greedy", args->windows.greedy, "Greedy continuation tokens compared (0: none)")
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--batch", args->windows.batch, "Windows run through the model and fitted at once")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--seed", args->windows.bootstrapSeed, "Seed of the bootstrap over windows");
  cmd->callback([cmd, args] {
    const auto spec = loadSweepArgument(args->spec, args->overrides);
    // A job's windows: its method's (the spec's metrics.quality, or its own), else the
    // defaults; each option given replaces its field.
    const auto given = core::toJson(args->windows);
    const auto windowsOf = [&](const core::SweepJob& job) {
      auto windows = core::toJson(job.quality.value_or(core::WindowSpec{}));
      for (const auto& [key, value] : given.items())
        if (const auto* option = cmd->get_option_no_throw("--" + key); option && option->count()) windows[key] = value;
      return core::parseWindowSpec(windows);
    };
    const auto project = core::Project::open(args->project);
    const std::string device = gpu::resolveDevice(spec.device);
    std::map<std::tuple<std::string, int, std::string>, std::unique_ptr<core::WindowQuality>> baselines;
    std::map<std::string, std::unique_ptr<core::LlamaModel>> models;
    int matched = 0;
    for (const core::SweepJob& job : core::planSweep(project, spec)) {
      if (job.key.rfind(args->job, 0) != 0) continue;
      ++matched;
      TerminalProgress progress("quality " + job.method);
      auto& model = models[job.capture];
      if (!model) model = std::make_unique<core::LlamaModel>(core::requireCaptureModel(project, job.capture),
                                                             core::LoadOptions{.device = device});
      const core::WindowSpec jobWindows = windowsOf(job);
      auto& windows = baselines[{job.capture, job.seqLength, core::toJson(jobWindows).dump()}];
      if (!windows)
        windows = std::make_unique<core::WindowQuality>(project, job.capture, *model, jobWindows,
                                                        job.seqLength, true, device, progress);
      const auto compressor = core::makeCompressor(job.method);
      printQuality(project, job, windows->measure(job, spec, *compressor, progress));
    }
    if (!matched) throw core::InputError(args->spec, "no job whose key starts with '" + args->job + "'");
  });
}

}  // namespace kvwb::cli
