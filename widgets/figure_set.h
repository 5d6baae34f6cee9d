// The seed-style figures of a project written to a folder in one go (`kvwb --export-figures`):
// structure heatmaps, autocorrelation and spectra, layer profiles, the Pareto front of its runs and
// SIREN vs SVD at equal bytes, drawn by the atlas plot widgets offscreen. GUI thread only (it
// creates widgets); the SIREN fits run on this thread.
#pragma once

#include <QString>
#include <QStringList>
#include <filesystem>
#include <vector>

#include "core/base/job_context.h"
#include "widgets/figure_export.h"
#include "widgets/plots/plot_data.h"
#include "widgets/results_data.h"

namespace kvwb::widgets {

struct FigureSetResult {
  QStringList files;  // written, in order
  QStringList notes;  // figures skipped and why ("no runs: no Pareto front")
};

// The set's Pareto figure: cosine similarity against compression ratio of every job aggregate
// of `entries`, one series per method in its methodStyle, as the results view draws them.
LineChart paretoFigure(const std::vector<ResultEntry>& entries);

// Writes every figure the project has data for into `dir` (created when missing). Throws
// core::InputError for an unreadable project; a figure that cannot be written is a note.
FigureSetResult exportFigureSet(const std::filesystem::path& project, const QString& dir,
                                FigureFormat format, const FigureOptions& options,
                                core::JobContext& ctx);

}  // namespace kvwb::widgets
