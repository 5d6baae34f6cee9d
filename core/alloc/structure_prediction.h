// Damage predicted from structure (issue 18): each allocation target's structure scalars from its
// capture's stored analysis (the atlas: structure_scalars.h, plus the attention-sink share of the
// first token and whether it is a key), and per option a ridge regression (ridge_regression.h) of
// ln(damage + eps) on them, evaluated leave-one-layer-out against the predict-the-mean baseline.
// The predicted table has the measured one's shape, so the same solver allocates from it.
// No torch, no Qt; any thread.
//
//   const auto features = kvwb::core::structureFeatures(project, table);
//   const auto p = kvwb::core::predictFromStructure(table, features);
//   const auto a = AllocationSolver(p.predicted).best(budget);
#pragma once

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "core/alloc/allocation_table.h"
#include "core/project/project.h"

namespace kvwb::core {

struct StructureFeatures {
  std::vector<std::string> names;  // every structure scalar's column, then sink_share_0, is_key
  Eigen::MatrixXd values;          // one row per table target, one column per name
};

// The features of `table`'s targets from `project`'s stored analyses (computed on the capture's
// whole length, whatever the sweep's sequence length). Throws InputError naming the project when a
// capture has no current analysis (run kvwb-cli analyze) or lacks a target's layer, head or kind.
StructureFeatures structureFeatures(const Project& project, const AllocationTable& table);

// Held-out error in ln(damage + eps) units.
struct PredictionScore {
  std::size_t samples = 0;
  double rmse = 0, baselineRmse = 0;  // the ridge model's, the training-mean baseline's
  double r2 = 0, baselineR2 = 0;      // 1 - SSE / SS about the held-out values' mean (0 if constant)
};

struct StructurePrediction {
  AllocationTable predicted;               // the measured table with predicted damage
  std::vector<PredictionScore> perOption;  // in the table's option order
  PredictionScore overall;                 // every option's held-out rows pooled (SS per option)
  std::vector<std::string> features;
  int layers = 0;     // the held-out groups
  double lambda = 0;  // ridge penalty on standardised features
  double eps = 0;     // ln(damage + eps); eps = 1e-6 x the table's largest damage (1e-12 if 0)
};

// Throws std::invalid_argument when the features' rows are not the table's targets or the targets
// span fewer than two layers.
StructurePrediction predictFromStructure(const AllocationTable& table, const StructureFeatures& features,
                                         double lambda = 1.0);

}  // namespace kvwb::core
