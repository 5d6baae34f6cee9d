// Test projects for the widget tests: a synthetic safetensors dump written here, and a real one
// made by tests/data/make_dumps.py from the model bundled in datasets/. Call from the test's main
// thread.
#pragma once

#include <QString>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace kvwb::widgets::test {

// Writes `path` as a safetensors dump with "keys" and "values" [L, H, T, D] float32 (smooth,
// distinct values).
void writeSyntheticDump(const std::filesystem::path& path, std::int64_t layers, std::int64_t heads,
                        std::int64_t tokens, std::int64_t dim);
// Imports `dumps` into `project` (created when absent) on this thread.
void importInto(const std::filesystem::path& project, const std::filesystem::path& dump);
// Computes and stores the structure atlas of every capture of `project` on this thread.
void analyzeAll(const std::filesystem::path& project);
// A sweep that runs in seconds on any capture: SVD ranks 1, 2 and INT8/INT4 quantization of layers
// 0-1, every head, K and V, without attention metrics or perplexity (a synthetic dump has neither
// queries nor a model).
nlohmann::json quickSweepSpec();
// Runs the sweep `spec` on `project` on this thread.
void sweepInto(const std::filesystem::path& project, const nlohmann::json& spec);
// OUT_DIR/hf_cache.safetensors made by make_dumps.py from datasets/stories260K-hf, or an empty
// path when /usr/bin/python3 cannot run it (no numpy/torch: the caller skips). Throws when the
// script fails otherwise.
std::filesystem::path makeRealDump(const std::filesystem::path& outDir);

// Copies datasets/demo.kvw and its model (the captures name it relative to the project) into
// `dir`; returns the copy, or an empty path when the demo project is not in the checkout.
std::filesystem::path copyDemoProject(const std::filesystem::path& dir);

}  // namespace kvwb::widgets::test
