// Project fixtures shared by the project and journal tests: a capture with known values and a
// result row.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/project/run_journal.h"

namespace kvwb::test {

using namespace kvwb::core;

// Writes a capture whose element (l,h,t,d) = l*1000 + h*100 + t + d/10 (exact in float16 too
// stored as float32 for exactness).
inline void writeCapture(const std::filesystem::path& p, const std::string& name, int L, int H, int T,
                  int D, const std::string& storage = "float32",
                  const std::string& metadata = R"({"model":"test"})") {
  ProjectEdit edit(p);
  CaptureInfo c;
  c.name = name;
  c.layers = L;
  c.kvHeads = H;
  c.queryHeads = H;
  c.tokens = T;
  c.headDim = D;
  c.storageDtype = storage;
  c.metadataJson = metadata;
  edit.createCapture(c);
  for (auto kind : {TensorKind::Keys, TensorKind::Values}) {
    for (int l = 0; l < L; ++l) {
      std::vector<float> layer(static_cast<std::size_t>(H * T * D));
      for (int h = 0; h < H; ++h)
        for (int t = 0; t < T; ++t)
          for (int d = 0; d < D; ++d)
            layer[(h * T + t) * D + d] =
                (kind == TensorKind::Keys ? 1.f : -1.f) * (l * 1000 + h * 100 + t + d / 8.f);
      edit.writeLayer(name, kind, l, DType::F32,
                      {reinterpret_cast<const std::byte*>(layer.data()), layer.size() * 4});
    }
  }
  edit.commit();
}

inline ResultRow row(int layer, double cos) {
  ResultRow r;
  r.layer = layer;
  r.head = 1;
  r.kind = "V";
  r.paramsJson = R"({"rank":4,"note":"a, b"})";
  r[FitMetric::Bytes] = 128;
  r[FitMetric::Ratio] = 4;
  r[FitMetric::CosSim] = cos;
  r.device = "cpu";
  return r;
}

// Begins the run `id` in `journal` (a run record with no method or capture).
inline void beginRun(RunJournal& journal, const std::string& id) {
  RunInfo run;
  run.id = id;
  journal.beginRun(run);
}

}  // namespace kvwb::test
