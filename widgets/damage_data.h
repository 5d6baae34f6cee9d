// What the damage view (damage_view.h) shows of a core::JobDamage, apart from widgets: the value a
// token is shaded by (KL divergence or ΔNLL), the colour scale (square-root, sequential white →
// YlOrRd for harm, white → blues for ΔNLL < 0), a token's text as shown, a window's elided
// context, the details of one token as HTML, and the jobs of a project one can ask about.
// Torch-free, Qt value types only; any thread.
#pragma once

#include <QColor>
#include <QString>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/sweep/job_damage.h"

namespace kvwb::widgets {

enum class DamageMode { Kl, DeltaNll };

QString damageModeTitle(DamageMode mode);       // "KL divergence", "ΔNLL"
QString damageModeShortTitle(DamageMode mode);  // "KL", "ΔNLL"
double damageValue(const core::DamagedToken& token, DamageMode mode);

// The colour of a value: 0 is white; harm (> 0) goes through ColorBrewer YlOrRd to dark red at
// `high`, help (ΔNLL < 0) through Blues to dark blue at `low`; the square root of value / limit
// sets the position, so the many small values stay told apart from zero and the rare large ones
// do not wash the rest out. Lightness falls monotonically on each side (perceptual sequential).
struct DamageScale {
  double low = 0, high = 1;  // low <= 0 < high: the most negative and the highest value shown
  static DamageScale of(const core::JobDamage& damage, DamageMode mode);
  QColor colour(double value) const;
  double position(double value) const;    // in [-1, 1]: where `value` sits on its side of 0
  double valueAt(double position) const;  // the inverse of position()
};
// Black or white, whichever reads better on `background`.
QColor textColourOn(const QColor& background);

// The token as the text shows it: newlines as "⏎" followed by the line break, tabs as spaces.
QString displayText(const std::string& token);
// The end of a window's compressed prefix as shown before its scored tokens: "…" and its last two
// lines (a blank first one left out), at most `chars` characters.
QString elidedContext(const std::string& context, int chars = 160);

// The last `chars` characters of the text before a token (its window's context, then the scored
// tokens before it), on one line: newlines as "⏎".
QString textBefore(const core::JobDamage& damage, const core::DamagedToken& token, int chars = 48);

// The details of one token: its value, KL, ΔNLL, p(correct) with and without compression and the
// top-5 next tokens of both sides, the correct one marked. `window` is the token's window.
QString tokenDetailsHtml(const core::JobDamage& damage, const core::DamagedToken& token);
QString tokenToolTip(const core::DamagedToken& token);  // one short paragraph

// "Which tokens are hurt: svd rank=2 · n=448" and the statistics line under it (plain text).
QString damageTitle(const core::JobDamage& damage);
QString damageStatsText(const core::JobDamage& damage);

// A job of the project one can measure the damage of: its key, "svd rank=2 (4caf2a1a)" and
// whether its sweep measured its model quality (its aggregate row has a KL divergence).
struct DamageJobChoice {
  std::string key, run, method;
  QString label;
  bool measured = false;
  double kld = 0;  // when measured
};
// Every job with an aggregate row in `runs`, the measured ones first, each group in run order.
std::vector<DamageJobChoice> damageJobChoices(const core::Project& project,
                                              const std::vector<core::RunInfo>& runs);

}  // namespace kvwb::widgets
