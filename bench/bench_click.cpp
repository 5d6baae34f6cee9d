// Click-to-plots latency of the structure atlas view (offscreen Qt): the time from a heatmap
// click (AtlasView::selectTarget) until every linked per-target plot has redrawn, on the real
// demo capture and on a SYNTHETIC Llama-3-8B-sized atlas (32 layers x 8 KV heads x K/V/Kpre,
// 2048 tokens, head_dim 128; random arrays of the real shapes: the click path only indexes
// arrays already in memory, so their values do not matter). Goal: < 100 ms.
//   QT_QPA_PLATFORM=offscreen bench_click [PROJECT]
#include <QApplication>
#include <QElapsedTimer>
#include <cstdio>
#include <memory>
#include <random>

#include "core/analysis/capture_analysis.h"
#include "widgets/atlas_data.h"
#include "widgets/atlas_view.h"

using namespace kvwb;

namespace {

std::shared_ptr<core::CaptureAnalysis> syntheticLlama8b() {
  auto a = std::make_shared<core::CaptureAnalysis>();
  a->capture = "synthetic_llama8b";
  a->kinds = {"K", "V", "Kpre"};
  a->layers = 32;
  a->heads = 8;
  a->tokens = 2048;
  a->headDim = 128;
  a->ropeLayout = "half";
  const std::int64_t L = 32, H = 8, K = 3, T = 2048, D = 128;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.01f, 1.f);
  auto make = [&](const char* name, std::vector<std::int64_t> shape, bool descending = false) {
    core::NamedArray arr{name, shape, {}};
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    arr.data.resize(static_cast<std::size_t>(n));
    for (auto& v : arr.data) v = u(rng);
    if (descending)  // singular values: sorted per target
      for (std::size_t i = 0; i < arr.data.size(); i += static_cast<std::size_t>(shape.back()))
        std::sort(arr.data.begin() + i, arr.data.begin() + i + shape.back(), std::greater<>());
    a->arrays.push_back(std::move(arr));
  };
  make("autocorr", {L, H, K, 64});
  make("spearman", {L, H, K});
  make("spectrum", {L, H, K, T / 2 + 1});
  make("singular", {L, H, K, D}, true);
  make("dim_mean_abs", {L, H, K, D});
  make("dim_max_abs", {L, H, K, D});
  make("rope_pair_energy", {L, H, K, D / 2});
  make("sink_share", {L, H, T});
  make("dim_sensitivity", {L, H, 2, D});
  return a;
}

void measure(const char* label, std::shared_ptr<const core::CaptureAnalysis> analysis) {
  QElapsedTimer timer;
  timer.start();
  auto atlas = std::make_shared<const widgets::AtlasData>(analysis, analysis->capture);
  const double buildMs = timer.nsecsElapsed() / 1e6;
  widgets::AtlasView view;
  view.resize(1600, 1000);
  view.show();
  view.setAtlas(atlas, {atlas});
  QApplication::processEvents();
  const int clicks = 20;
  double worst = 0, total = 0;
  std::mt19937 rng(2);
  for (int i = 0; i < clicks; ++i) {
    const widgets::AtlasTarget t{static_cast<int>(rng() % analysis->layers),
                                 static_cast<int>(rng() % analysis->heads),
                                 static_cast<int>(rng() % analysis->kinds.size())};
    timer.restart();
    view.selectTarget(t);
    QApplication::processEvents();  // the queued replots of every linked plot
    const double ms = timer.nsecsElapsed() / 1e6;
    worst = std::max(worst, ms);
    total += ms;
  }
  std::printf("%-52s %12.1f %14.1f %12.1f\n", label, buildMs, total / clicks, worst);
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  std::printf("%-52s %12s %14s %12s\n", "atlas", "open (ms)", "click mean (ms)", "click max (ms)");
  if (argc > 1) {
    const auto project = core::Project::open(argv[1]);
    const auto& first = project.captures().front();
    if (auto a = core::loadAnalysis(project, first.name))
      measure(("real: " + first.name + " (5 x 4 x 3, 512 tokens, D 8)").c_str(),
              std::make_shared<core::CaptureAnalysis>(std::move(*a)));
  }
  measure("SYNTHETIC Llama-3-8B size (32 x 8 x 3, 2048 tok, D 128)", syntheticLlama8b());
  return 0;
}
