// The damage figure, shared by the damage view (damage_view.h) and its export: a job's windows as
// a QTextDocument (each window's heading, its elided context in grey, then its scored tokens
// shaded by KL divergence or ΔNLL, each an anchor "token:W:I" with a tooltip), the colour bar with
// its value ticks and unit, and the whole figure (title, statistics, colour bar, windows) written
// as PDF, SVG or PNG at a FigureOptions size like every plot (figure_export.h). GUI thread only.
#pragma once

#include <QFont>
#include <QRectF>
#include <QString>
#include <optional>
#include <utility>
#include <vector>

#include "core/sweep/job_damage.h"
#include "widgets/damage_data.h"
#include "widgets/figure_export.h"

class QPainter;
class QTextDocument;
class QUrl;
class QWidget;

namespace kvwb::widgets {

// Where a scored token sits in the document: characters [start, end), shaded from `shaded` (a
// leading space is left white).
struct TokenSpan {
  int window = 0, index = 0;  // damage.windows[window].tokens[index]
  int start = 0, shaded = 0, end = 0;
};

// What the figure shows: the job, the shading and the windows (-1: all, else that one).
struct DamageFigure {
  const core::JobDamage* damage = nullptr;
  DamageMode mode = DamageMode::Kl;
  int window = -1;
};

// Clears `doc` and writes the windows of `figure` into it; returns every token's span, in order.
std::vector<TokenSpan> fillDamageDocument(QTextDocument& doc, const DamageFigure& figure);

// "token:W:I" and back (nullopt for any other link).
QString tokenHref(int window, int index);
std::optional<std::pair<int, int>> tokenFromHref(const QUrl& href);

// The colour bar of `scale` in `rect` (its height holds the bar, the tick labels under it and the
// title "KL divergence (nats, square-root scale)" beside it), in `font`.
void paintColourBar(QPainter& painter, const QRectF& rect, const DamageScale& scale,
                    DamageMode mode, const QFont& font);
double colourBarHeight(const QFont& font);  // what paintColourBar needs

// Writes the figure (title, statistics, colour bar, windows scaled down to fit the page when
// needed) to `path`; false with `error` set when the file cannot be written.
bool exportDamageFigure(const DamageFigure& figure, const QString& path, FigureFormat format,
                        const FigureOptions& options, QString* error = nullptr);
// Asks with ExportFigureDialog (proposing `suggestedName` in the last used folder) and exports;
// says where the file went in the main window's status bar. True when a file was written.
bool exportDamageFigureInteractively(const DamageFigure& figure, const QString& suggestedName,
                                     QWidget* parent);

}  // namespace kvwb::widgets
