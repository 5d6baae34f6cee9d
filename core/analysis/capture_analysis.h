// The structure atlas of one capture: every (layer, KV head, kind) target analysed in batches on
// the GPU when LibTorch sees one, stored in /analysis/<capture>, recomputed only when the capture
// changes. Arrays are indexed [L, H, kind, ...] with kinds K, V and (when stored) Kpre.
//
//   auto atlas = kvwb::core::analyzeCapture(project, "fiction", {}, ctx);
//   kvwb::core::saveAnalysis(project.path(), atlas);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/analysis/structure_scalars.h"
#include "core/base/job_context.h"
#include "core/project/project.h"

namespace kvwb::core {

struct AnalysisOptions {
  std::string device = "auto";
  int maxLag = 64;
  int sensitivityQueries = 64;  // query positions for dimension sensitivity
};

struct CaptureAnalysis {
  std::string capture, fingerprint, device, ropeLayout;
  std::vector<std::string> kinds;  // "K", "V", "Kpre"
  std::int64_t layers = 0, heads = 0, tokens = 0, headDim = 0;
  double seconds = 0;
  std::vector<NamedArray> arrays;  // autocorr, spearman, spectrum, singular, dim_mean_abs,
                                   // dim_max_abs, rope_pair_energy, sink_share,
                                   // dim_sensitivity [L,H,2(K,V),D]
  const NamedArray& array(const std::string& name) const;  // throws std::out_of_range
  bool has(const std::string& name) const;
  // Every structure scalar of one target, computed from its arrays.
  TargetScalars scalars(std::int64_t layer, std::int64_t head, std::size_t kind) const;
};

// Identifies a capture's content (metadata, shape, analysis definitions version).
std::string captureFingerprint(const CaptureInfo& capture);

CaptureAnalysis analyzeCapture(const Project& project, const std::string& capture,
                               const AnalysisOptions& options, JobContext& ctx);
void saveAnalysis(const std::filesystem::path& project, const CaptureAnalysis& analysis);
// The stored analysis, or nullopt when absent or stale (the capture changed since).
std::optional<CaptureAnalysis> loadAnalysis(const Project& project, const std::string& capture);

}  // namespace kvwb::core
