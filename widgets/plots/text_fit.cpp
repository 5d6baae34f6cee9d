// Word-wrapping of plot texts to their layout (see text_fit.h).
#include "widgets/plots/text_fit.h"

#include <QFontMetrics>
#include <QStringList>
#include <algorithm>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr int kTitleLines = 2;
constexpr int kAxisLabelLines = 2;
constexpr int kTextPaddingPx = 8;
// Space kept between neighbouring tick labels; never fewer ticks than this.
constexpr int kTickGapPx = 10;
constexpr int kMinTicks = 2;
// The tick count the plot asked for (kept per ticker: a new chart sets a new ticker).
constexpr const char* kTicker = "kvwbTicker";
constexpr const char* kAskedTicks = "kvwbAskedTicks";

// The room one tick label takes along `axis`: its widest label's width on a horizontal axis, a
// line's height on a vertical one.
int tickRoom(const QCPAxis* axis) {
  const QFontMetrics metrics(axis->tickLabelFont());
  if (axis->orientation() == Qt::Vertical) return metrics.height() + kTickGapPx;
  int widest = metrics.horizontalAdvance(QLatin1Char('0'));
  for (const QString& label : axis->tickVectorLabels())
    widest = std::max(widest, metrics.horizontalAdvance(label));
  return widest + kTickGapPx;
}

// The full text of an element is kept in a property beside the fitted text last set, so a text
// set since (by setText/setLabel) is recognised as the new full text.
constexpr const char* kFullText = "kvwbFullText";
constexpr const char* kFittedText = "kvwbFittedText";

// Sets `object`'s fitted text through get/set; returns whether it changed.
template <typename Object, typename Get, typename Set>
bool fit(Object* object, Get get, Set set, const QFont& font, int width, int maxLines) {
  const QString current = (object->*get)();
  QString full = object->property(kFullText).toString();
  if (current != object->property(kFittedText).toString()) full = current;  // set anew
  const QString fitted = width > 0 ? wrapText(full, font, width, maxLines) : full;
  object->setProperty(kFullText, full);
  object->setProperty(kFittedText, fitted);
  if (fitted == current) return false;
  (object->*set)(fitted);
  return true;
}

int axisLength(const QCPAxis* axis) {
  const QCPAxisRect* rect = axis->axisRect();
  return axis->orientation() == Qt::Horizontal ? rect->width() : rect->height();
}

}  // namespace

QString wrapText(const QString& text, const QFont& font, int width, int maxLines) {
  const QFontMetrics metrics(font);
  QStringList lines;
  for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
    QString line;
    for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
      const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
      if (line.isEmpty() || metrics.horizontalAdvance(longer) <= width) {
        line = longer;
      } else {
        lines << line;
        line = word;
      }
    }
    lines << line;
  }
  if (lines.size() > maxLines) {
    const QString rest = lines.mid(maxLines - 1).join(QLatin1Char(' '));
    lines = lines.mid(0, maxLines - 1);
    lines << rest;
  }
  for (QString& line : lines) line = metrics.elidedText(line, Qt::ElideRight, width);
  return lines.join(QLatin1Char('\n'));
}

bool fitTickCounts(QCustomPlot& plot) {
  bool changed = false;
  for (QCPAxisRect* rect : plot.axisRects())
    for (QCPAxis* axis : rect->axes()) {
      const auto ticker = reinterpret_cast<quintptr>(axis->ticker().data());
      if (axis->property(kTicker).value<quintptr>() != ticker) {
        axis->setProperty(kTicker, ticker);
        axis->setProperty(kAskedTicks, axis->ticker()->tickCount());
      }
      const int asked = axis->property(kAskedTicks).toInt();
      const int wanted = std::clamp(axisLength(axis) / tickRoom(axis), std::min(kMinTicks, asked), asked);
      if (axis->ticker()->tickCount() == wanted) continue;
      axis->ticker()->setTickCount(wanted);
      changed = true;
    }
  return changed;
}

bool fitPlotTexts(QCustomPlot& plot) {
  bool changed = false;
  const int width = plot.viewport().width() - kTextPaddingPx;
  for (QCPLayoutElement* element : plot.plotLayout()->elements(true)) {
    if (auto* text = qobject_cast<QCPTextElement*>(element)) {
      changed |= fit(text, &QCPTextElement::text, &QCPTextElement::setText, text->font(), width,
                     kTitleLines);
    } else if (auto* rect = qobject_cast<QCPAxisRect*>(element)) {
      for (QCPAxis* axis : rect->axes())
        changed |= fit(axis, &QCPAxis::label, &QCPAxis::setLabel, axis->labelFont(),
                       axisLength(axis), kAxisLabelLines);
    } else if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
      QCPAxis* axis = scale->axis();
      changed |= fit(axis, &QCPAxis::label, &QCPAxis::setLabel, axis->labelFont(),
                     axisLength(axis), kAxisLabelLines);
    }
  }
  return changed;
}

}  // namespace kvwb::widgets
