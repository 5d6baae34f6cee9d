// What the keep-map view (keep_map_view.h) shows of a core::JobKeepMap, apart from widgets: the
// map's rows (K targets, a gap, V targets; layer·head labels), the attention chart of one target
// or of the mean over targets, the tokens of the text with how much each is kept, the colours of
// kept and evicted text, the title and summary lines, and the eviction jobs of a project.
// Torch-free, Qt value types only; any thread.
#pragma once

#include <QColor>
#include <QString>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/sweep/job_keep_map.h"
#include "widgets/damage_data.h"
#include "widgets/plots/plot_data.h"

namespace kvwb::widgets {

// "K L2·H1".
QString targetLabel(const core::KeepMapTarget& target);

// One row per target (its id: the target's index), the targets of each kind together in the
// map's order with an empty gap row between kinds.
KeepMapChart keepMapChart(const core::JobKeepMap& map);

// Per position: the share of the targets that keep the token.
std::vector<double> keptShares(const core::JobKeepMap& map);

// The attention each token receives: of target `target` (its kept tokens highlighted), or, for
// -1, the mean over the targets (the tokens that at least half of them keep highlighted). Empty
// values when the capture has no queries.
KeepAttentionChart keepAttentionChart(const core::JobKeepMap& map, int target);

// A token as the text panel shows it: its text (displayText of damage_data.h; a position number
// in brackets when the tokens were not decoded), how much it is kept (0 or 1 for a target, the
// share of the targets for the mean) and a tooltip (position, kept, attention received).
struct KeepToken {
  QString text, toolTip;
  double kept = 0;
};
std::vector<KeepToken> keepTokens(const core::JobKeepMap& map, int target);

// The text panel's colours for a token kept `kept` (0..1): its background from white to a light
// kept blue, its text from grey to black, so kept tokens stand out and evicted ones recede.
QColor keptBackground(double kept);
QColor keptForeground(double kept);

// "What is kept: snapkv keep_ratio=0.25" and the line of means under it (plain text).
QString keepMapTitle(const core::JobKeepMap& map);
QString keepMapStatsText(const core::JobKeepMap& map);
// The selected target in a line: "K L2·H1: 112 of 448 tokens kept · sinks 1 · recent 32 ·
// 81% of the attention it receives"; for -1, the mean over targets.
QString keepTargetText(const core::JobKeepMap& map, int target);

// The project's jobs of a token-eviction method (damageJobChoices of them), in the same order.
std::vector<DamageJobChoice> keepMapJobChoices(const core::Project& project,
                                               const std::vector<core::RunInfo>& runs);

}  // namespace kvwb::widgets
