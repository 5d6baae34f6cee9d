// Fitting a plot's texts to the room its layout gives them: titles, notes and axis labels wrap at
// word boundaries onto a few lines (the last line elided with "…" only when even that is not
// enough), so a small plot shows its whole title instead of a clipped one; axes get as many
// ticks as their length has room for. GUI thread only.
#pragma once

#include <QString>

class QCustomPlot;
class QFont;

namespace kvwb::widgets {

// `text` broken at spaces into at most `maxLines` lines no wider than `width` pixels in `font`.
QString wrapText(const QString& text, const QFont& font, int width, int maxLines);

// Re-wraps every title/note text element and axis label of `plot` to its current layout: text
// elements to the plot's width, axis labels to their axis' length. An element's text keeps its
// full form until someone sets a new one. Returns whether any text changed (the layout then needs
// another pass).
bool fitPlotTexts(QCustomPlot& plot);

// Lowers each axis' tick count from what its chart asked for to what its length has room for (a
// short axis gets fewer ticks, so its labels do not run into each other). Returns whether any
// count changed.
bool fitTickCounts(QCustomPlot& plot);

}  // namespace kvwb::widgets
