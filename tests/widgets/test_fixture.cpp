// Test fixture: safetensors writer (8-byte header length, JSON header, raw float32) and helpers.
#include "test_fixture.h"

#include <QProcess>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "core/analysis/capture_analysis.h"
#include "core/capture/capture_import.h"
#include "core/sweep/sweep.h"

namespace kvwb::widgets::test {

void writeSyntheticDump(const std::filesystem::path& path, std::int64_t layers, std::int64_t heads,
                        std::int64_t tokens, std::int64_t dim) {
  const auto n = static_cast<std::size_t>(layers * heads * tokens * dim);
  std::vector<float> keys(n), values(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
    values[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i)));
  }
  const auto bytes = n * sizeof(float);
  const nlohmann::json shape = {layers, heads, tokens, dim};
  nlohmann::json header = {
      {"keys", {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {0, bytes}}}},
      {"values", {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {bytes, 2 * bytes}}}}};
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');  // keeps the data 8-byte aligned
  const std::uint64_t length = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&length), sizeof length);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(reinterpret_cast<const char*>(keys.data()), static_cast<std::streamsize>(bytes));
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(bytes));
}

void importInto(const std::filesystem::path& project, const std::filesystem::path& dump) {
  core::JobContext ctx;
  core::importCapture({dump}, project, core::ImportOptions{}, ctx);
}

void analyzeAll(const std::filesystem::path& project) {
  core::JobContext ctx;
  const auto p = core::Project::open(project);
  for (const auto& capture : p.captures())
    core::saveAnalysis(project, core::analyzeCapture(p, capture.name, {}, ctx));
}

nlohmann::json quickSweepSpec() {
  return nlohmann::json::parse(R"({
    "name": "quick", "captures": "all",
    "targets": {"layers": [0, 1], "heads": "all", "kinds": ["K", "V"]},
    "methods": [{"method": "svd", "grid": {"rank": [1, 2]}},
                {"method": "quant", "params": {"axis": "token"}, "grid": {"bits": [8, 4]}}],
    "metrics": {"attention": false, "delta_ppl": "none", "quality": "none"}, "device": "cpu"})");
}

void sweepInto(const std::filesystem::path& project, const nlohmann::json& spec) {
  core::JobContext ctx;
  core::runSweep(project, core::parseSweepSpec(spec, "test"), ctx);
}

std::filesystem::path makeRealDump(const std::filesystem::path& outDir) {
  QProcess check;  // Debian's Python with the modules make_dumps.py imports
  check.start(QStringLiteral("/usr/bin/python3"),
              {QStringLiteral("-c"), QStringLiteral("import numpy, h5py, torch")});
  if (!check.waitForFinished(60000) || check.exitCode() != 0) return {};
  const std::filesystem::path model =
      std::filesystem::path(KVWB_SOURCE_DIR) / "datasets/stories260K-hf/model.safetensors";
  QProcess python;
  python.start(QStringLiteral("/usr/bin/python3"),
               {QStringLiteral(KVWB_SOURCE_DIR "/tests/data/make_dumps.py"),
                QString::fromStdString(model.string()), QString::fromStdString(outDir.string())});
  if (!python.waitForFinished(120000) || python.exitCode() != 0)
    throw std::runtime_error("make_dumps.py failed: " +
                             python.readAllStandardError().toStdString());
  return outDir / "hf_cache.safetensors";
}

std::filesystem::path copyDemoProject(const std::filesystem::path& dir) {
  const std::filesystem::path datasets = std::filesystem::path(KVWB_SOURCE_DIR) / "datasets";
  if (!std::filesystem::exists(datasets / "demo.kvw")) return {};
  std::filesystem::copy_file(datasets / "demo.kvw", dir / "demo.kvw");
  std::filesystem::copy(datasets / "stories260K-hf", dir / "stories260K-hf");
  return dir / "demo.kvw";
}

}  // namespace kvwb::widgets::test
