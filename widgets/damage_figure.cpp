// The damage figure: its document, its colour bar and its export (see damage_figure.h). Laid
// out in 1/96-inch units on every device, as exportPlot does, so text measured with the screen's
// font metrics fits what is drawn.
#include "widgets/damage_figure.h"

#include <QLinearGradient>
#include <QPainter>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QUrl>
#include <algorithm>
#include <cmath>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr double kMargin = 8;  // layout units around the figure
const QColor kGrey(0x80, 0x80, 0x80);
const QColor kHeading(0x33, 0x33, 0x33);

double signedSqrt(double v) { return v < 0 ? -std::sqrt(-v) : std::sqrt(v); }

// Where `value` sits along the bar, in [0, 1]: a signed square-root axis from scale.low to
// scale.high (the colours follow the same square root on each side of 0).
double barFraction(const DamageScale& scale, double value) {
  const double a = signedSqrt(scale.low), b = signedSqrt(scale.high);
  return b > a ? std::clamp((signedSqrt(value) - a) / (b - a), 0.0, 1.0) : 0.0;
}

double barValue(const DamageScale& scale, double fraction) {
  const double a = signedSqrt(scale.low), b = signedSqrt(scale.high);
  const double s = a + fraction * (b - a);
  return s < 0 ? -s * s : s * s;
}

// Tick values: 0 and the ends first, then 1-2-5 steps; a label that would overlap one already
// placed is left out.
std::vector<double> tickCandidates(const DamageScale& scale) {
  std::vector<double> out{0, scale.high};
  if (scale.low < 0) out.push_back(scale.low);
  for (double decade = 1e-4; decade <= 1e4; decade *= 10)
    for (double step : {1.0, 2.0, 5.0}) {
      const double v = step * decade;
      if (v < scale.high * 0.9) out.push_back(v);
      if (-v > scale.low * 0.9) out.push_back(-v);
    }
  std::stable_sort(out.begin() + (scale.low < 0 ? 3 : 2), out.end(),
                   [](double x, double y) { return std::abs(x) > std::abs(y); });
  return out;
}

QString tickLabel(double v, bool end) { return QString::number(v, 'g', end ? 3 : 2); }

QString barTitle(DamageMode mode) {
  return QObject::tr("%1 (nats, √ scale)").arg(damageModeTitle(mode));
}

QFont figureFont(const FigureOptions& options) {
  QFont font;
  if (!options.fontFamily.isEmpty()) font.setFamily(options.fontFamily);
  font.setPointSizeF(options.fontPt > 0 ? options.fontPt : 8);
  return font;
}

// Text wrapped to `width` from `y`; returns the y under it.
double drawWrapped(QPainter& p, const QString& text, const QFont& font, const QColor& colour,
                   double x, double y, double width) {
  p.setFont(font);
  p.setPen(colour);
  const QRectF bounds = p.boundingRect(QRectF(x, y, width, 1e6), Qt::TextWordWrap, text);
  p.drawText(QRectF(x, y, width, bounds.height()), Qt::TextWordWrap, text);
  return y + bounds.height();
}

// The whole figure at `width` x `height` layout units.
void paintFigure(QPainter& p, const DamageFigure& figure, double width, double height,
                 const FigureOptions& options) {
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  const QFont font = figureFont(options);
  QFont title = font;
  title.setBold(true);
  title.setPointSizeF(font.pointSizeF() * 1.25);
  const double inner = width - 2 * kMargin;
  double y = kMargin;
  y = drawWrapped(p, damageTitle(*figure.damage), title, Qt::black, kMargin, y, inner);
  y = drawWrapped(p, damageStatsText(*figure.damage), font, QColor(0x44, 0x44, 0x44), kMargin,
                  y + 2, inner);
  const double bar = colourBarHeight(font);
  paintColourBar(p, QRectF(kMargin, y + 4, std::min(inner, 60.0 * font.pointSizeF()), bar),
                 DamageScale::of(*figure.damage, figure.mode), figure.mode, font);
  y += 4 + bar + 6;
  QTextDocument doc;
  doc.setDefaultFont(font);
  doc.setDocumentMargin(0);
  fillDamageDocument(doc, figure);
  // Scaled down until it fits the page (its text width grows as it shrinks, so it keeps the width).
  const double room = std::max(10.0, height - y - kMargin);
  double scale = 1;
  for (int i = 0; i < 40; ++i) {
    doc.setTextWidth(inner / scale);
    const double h = doc.size().height() * scale;
    if (h <= room) break;
    scale *= std::clamp(std::sqrt(room / h), 0.5, 0.97);
  }
  p.save();
  p.translate(kMargin, y);
  p.scale(scale, scale);
  doc.drawContents(&p, QRectF(0, 0, inner / scale, room / scale));
  p.restore();
}

}  // namespace

QString tokenHref(int window, int index) {
  return QStringLiteral("token:%1:%2").arg(window).arg(index);
}

std::optional<std::pair<int, int>> tokenFromHref(const QUrl& href) {
  const QStringList parts = href.toString().split(QLatin1Char(':'));
  if (parts.size() != 3 || parts[0] != QLatin1String("token")) return std::nullopt;
  bool a = false, b = false;
  const int w = parts[1].toInt(&a), i = parts[2].toInt(&b);
  if (!a || !b) return std::nullopt;
  return std::make_pair(w, i);
}

std::vector<TokenSpan> fillDamageDocument(QTextDocument& doc, const DamageFigure& figure) {
  doc.clear();
  std::vector<TokenSpan> spans;
  if (!figure.damage) return spans;
  const core::JobDamage& d = *figure.damage;
  const DamageScale scale = DamageScale::of(d, figure.mode);
  QTextCursor c(&doc);
  QTextBlockFormat heading;
  heading.setBottomMargin(2);
  QTextBlockFormat body;
  body.setLineHeight(140, QTextBlockFormat::ProportionalHeight);
  QTextCharFormat headingText;
  headingText.setFontWeight(QFont::Bold);
  headingText.setForeground(kHeading);
  QTextCharFormat context;
  context.setForeground(kGrey);
  context.setFontItalic(true);
  const QTextCharFormat plain;
  bool first = true;
  for (int w = 0; w < static_cast<int>(d.windows.size()); ++w) {
    if (figure.window >= 0 && w != figure.window) continue;
    const core::DamageWindow& window = d.windows[static_cast<std::size_t>(w)];
    double sum = 0;
    for (const auto& t : window.tokens) sum += damageValue(t, figure.mode);
    heading.setTopMargin(first ? 0 : 12);
    if (first)
      c.setBlockFormat(heading);
    else
      c.insertBlock(heading);
    first = false;
    const int from = window.start + d.prefix;
    c.insertText(
        QObject::tr("Window %1 · text tokens %2–%3 · mean %4 %5 nats")
            .arg(w + 1)
            .arg(from)
            .arg(from + static_cast<int>(window.tokens.size()) - 1)
            .arg(damageModeShortTitle(figure.mode))
            .arg(window.tokens.empty() ? 0.0 : sum / static_cast<double>(window.tokens.size()), 0,
                 'g', 3),
        headingText);
    c.insertBlock(body);
    c.insertText(elidedContext(window.context), context);
    for (int i = 0; i < static_cast<int>(window.tokens.size()); ++i) {
      const core::DamagedToken& t = window.tokens[static_cast<std::size_t>(i)];
      QString text = displayText(t.text);
      TokenSpan span{w, i, c.position(), 0, 0};
      // A leading space stays unshaded (it parts the words), unless it is all the token is.
      qsizetype lead = 0;
      while (lead < text.size() - 1 && text[lead] == QLatin1Char(' ')) ++lead;
      if (lead > 0) c.insertText(text.left(lead), plain);
      span.shaded = c.position();
      const QColor background = scale.colour(damageValue(t, figure.mode));
      QTextCharFormat shaded;
      shaded.setBackground(background);
      shaded.setForeground(textColourOn(background));
      shaded.setAnchor(true);
      shaded.setAnchorHref(tokenHref(w, i));
      shaded.setToolTip(tokenToolTip(t));
      c.insertText(text.mid(lead), shaded);
      span.end = c.position();
      spans.push_back(span);
    }
    c.setCharFormat(plain);
  }
  return spans;
}

double colourBarHeight(const QFont& font) {
  const QFontMetricsF m(font);
  return m.height() * 0.9 + 3 + m.height();
}

void paintColourBar(QPainter& p, const QRectF& rect, const DamageScale& scale, DamageMode mode,
                    const QFont& font) {
  const QFontMetricsF m(font);
  const QString title = barTitle(mode);
  const double titleWidth = m.horizontalAdvance(title) + m.averageCharWidth() * 2;
  const double barHeight = m.height() * 0.9;
  // The bar leaves room for its end labels, centred on its ends.
  const double pad = m.horizontalAdvance(QStringLiteral("-0.00")) / 2;
  const QRectF bar(rect.left() + titleWidth + pad, rect.top(),
                   std::max(20.0, rect.width() - titleWidth - 2 * pad), barHeight);
  p.save();
  p.setFont(font);
  p.setPen(Qt::black);
  p.drawText(QRectF(rect.left(), rect.top(), titleWidth, barHeight),
             Qt::AlignVCenter | Qt::AlignLeft, title);
  QLinearGradient gradient(bar.topLeft(), bar.topRight());
  constexpr int kStops = 48;
  for (int i = 0; i <= kStops; ++i) {
    const double f = static_cast<double>(i) / kStops;
    gradient.setColorAt(f, scale.colour(barValue(scale, f)));
  }
  p.setPen(QPen(kGrey, 0.5));
  p.setBrush(gradient);
  p.drawRect(bar);
  std::vector<std::pair<double, double>> placed;  // label extents along x
  const double labelTop = bar.bottom() + 3;
  for (const double v : tickCandidates(scale)) {
    const bool end = v == scale.high || v == scale.low;
    const QString label = tickLabel(v, end);
    const double x = bar.left() + barFraction(scale, v) * bar.width();
    const double half = m.horizontalAdvance(label) / 2 + m.averageCharWidth() * 0.6;
    if (std::any_of(placed.begin(), placed.end(),
                    [&](const auto& e) { return x + half > e.first && x - half < e.second; }))
      continue;
    placed.emplace_back(x - half, x + half);
    p.setPen(QPen(Qt::black, 0.6));
    p.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + 2));
    p.drawText(QRectF(x - half, labelTop, 2 * half, m.height()), Qt::AlignHCenter | Qt::AlignTop,
               label);
  }
  p.restore();
}

bool exportDamageFigure(const DamageFigure& figure, const QString& path, FigureFormat format,
                        const FigureOptions& options, QString* error) {
  if (!figure.damage) {
    if (error) *error = QObject::tr("%1: no damage to export").arg(path);
    return false;
  }
  return writeFigure(
      path, format, options,
      [&](QPainter& painter, int width, int height, bool) { paintFigure(painter, figure, width, height, options); },
      error);
}

bool exportDamageFigureInteractively(const DamageFigure& figure, const QString& suggestedName,
                                     QWidget* parent) {
  return exportFigureInteractively(
      suggestedName, parent, parent,
      [&](const QString& path, FigureFormat format, const FigureOptions& options, QString* error) {
        return exportDamageFigure(figure, path, format, options, error);
      });
}

}  // namespace kvwb::widgets
