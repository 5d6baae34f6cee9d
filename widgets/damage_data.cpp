// The damage view's values, colours and texts (see damage_data.h).
#include "widgets/damage_data.h"

#include <QFileInfo>
#include <QObject>
#include <QStringList>
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "core/reports/results_summary.h"

namespace kvwb::widgets {
namespace {

// ColorBrewer YlOrRd and Blues (9 classes), each after white: sequential, colour-blind safe.
constexpr std::array<QRgb, 10> kHarm = {0xffffff, 0xffffcc, 0xffeda0, 0xfed976, 0xfeb24c,
                                        0xfd8d3c, 0xfc4e2a, 0xe31a1c, 0xbd0026, 0x800026};
constexpr std::array<QRgb, 10> kHelp = {0xffffff, 0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1,
                                        0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b};

QColor interpolate(const std::array<QRgb, 10>& stops, double t) {
  t = std::clamp(t, 0.0, 1.0) * static_cast<double>(stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  const QColor a = QColor::fromRgb(stops[i]), b = QColor::fromRgb(stops[i + 1]);
  const auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
  return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
}

// A token in a list: quoted, its leading space as "␣", a newline as "⏎".
QString quoted(const std::string& token) {
  QString t = QString::fromStdString(token);
  t.replace(QLatin1Char('\n'), QStringLiteral("⏎")).replace(QLatin1Char('\t'), QLatin1Char(' '));
  if (t.startsWith(QLatin1Char(' '))) t.replace(0, 1, QStringLiteral("␣"));
  return t.toHtmlEscaped();
}

QString fixed(double v, int decimals) { return QString::number(v, 'f', decimals); }
QString signedFixed(double v, int decimals) {
  return (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

}  // namespace

QString damageModeTitle(DamageMode mode) {
  return mode == DamageMode::Kl ? QObject::tr("KL divergence") : QObject::tr("ΔNLL");
}

QString damageModeShortTitle(DamageMode mode) {
  return mode == DamageMode::Kl ? QObject::tr("KL") : QObject::tr("ΔNLL");
}

double damageValue(const core::DamagedToken& token, DamageMode mode) {
  return mode == DamageMode::Kl ? token.quality.kl : token.deltaNll();
}

DamageScale DamageScale::of(const core::JobDamage& damage, DamageMode mode) {
  DamageScale s{0, 0};
  for (const auto& w : damage.windows)
    for (const auto& t : w.tokens) {
      const double v = damageValue(t, mode);
      if (!std::isfinite(v)) continue;
      s.high = std::max(s.high, v);
      s.low = std::min(s.low, v);
    }
  s.high = std::max(s.high, 1e-9);
  return s;
}

double DamageScale::position(double value) const {
  if (!std::isfinite(value)) return 0;
  if (value >= 0) return std::sqrt(std::min(value / high, 1.0));
  return low < 0 ? -std::sqrt(std::min(value / low, 1.0)) : 0;
}

double DamageScale::valueAt(double p) const { return (p >= 0 ? high : low) * p * p; }

QColor DamageScale::colour(double value) const {
  const double p = position(value);
  return p >= 0 ? interpolate(kHarm, p) : interpolate(kHelp, -p);
}

QColor textColourOn(const QColor& background) {
  const double luminance =
      0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF();
  return luminance < 0.45 ? QColor(Qt::white) : QColor(Qt::black);
}

QString displayText(const std::string& token) {
  QString t = QString::fromStdString(token);
  t.remove(QLatin1Char('\r')).replace(QLatin1Char('\t'), QLatin1Char(' '));
  return t.replace(QLatin1Char('\n'), QStringLiteral("⏎\n"));
}

QString elidedContext(const std::string& context, int chars) {
  QStringList lines = QString::fromStdString(context).split(QLatin1Char('\n'));
  if (lines.size() > 2) lines = lines.mid(lines.size() - 2);
  while (lines.size() > 1 && lines.front().trimmed().isEmpty())
    lines.removeFirst();  // no blank line
  QString text = lines.join(QLatin1Char('\n'));
  if (text.size() > chars) text = text.right(chars);
  return QStringLiteral("…") + displayText(text.toStdString());  // always an excerpt of the prefix
}

QString textBefore(const core::JobDamage& damage, const core::DamagedToken& token, int chars) {
  const auto& window = damage.windows.at(static_cast<std::size_t>(token.window));
  std::string before = window.context;
  for (const auto& t : window.tokens) {
    if (&t == &token) break;
    before += t.text;
  }
  QString text = QString::fromStdString(before).right(chars);
  return text.replace(QLatin1Char('\n'), QStringLiteral("⏎"))
      .replace(QLatin1Char('\t'), QLatin1Char(' '));
}

QString tokenToolTip(const core::DamagedToken& token) {
  const auto& q = token.quality;
  return QObject::tr("«%1» KL %2 nats, ΔNLL %3 nats, p(correct) %4 → %5 (click for the top-5)")
      .arg(quoted(token.text), fixed(q.kl, 4), signedFixed(token.deltaNll(), 3), fixed(q.pBase, 3),
           fixed(q.pCompressed, 3));
}

QString tokenDetailsHtml(const core::JobDamage& damage, const core::DamagedToken& token) {
  const auto& q = token.quality;
  const auto& window = damage.windows.at(static_cast<std::size_t>(token.window));
  const QString context = textBefore(damage, token);
  QString out = QObject::tr(
                    "<div><b style='font-size:large'>%1</b>&nbsp;&nbsp;<span style='color:#555'>"
                    "window %2 of %3, text token %4</span></div>"
                    "<div style='color:#555'>…%5<b style='color:#000'>%6</b></div>")
                    .arg(quoted(token.text))
                    .arg(token.window + 1)
                    .arg(damage.windows.size())
                    .arg(window.start + token.position)
                    .arg(context.toHtmlEscaped(),
                         displayText(token.text).remove(QLatin1Char('\n')).toHtmlEscaped());
  out += QStringLiteral("<table cellspacing='0' cellpadding='1' style='margin-top:4px'>");
  const auto row = [&out](const QString& name, const QString& value) {
    out += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td>%2</td></tr>").arg(name, value);
  };
  row(QObject::tr("KL divergence"), QObject::tr("%1 nats").arg(fixed(q.kl, 4)));
  row(QObject::tr("ΔNLL"),
      QObject::tr("%1 nats (NLL %2 → %3)")
          .arg(signedFixed(token.deltaNll(), 4), fixed(q.nllBase, 3), fixed(q.nllCompressed, 3)));
  row(QObject::tr("p(correct)"),
      QObject::tr("%1 → %2").arg(fixed(q.pBase, 4), fixed(q.pCompressed, 4)));
  row(QObject::tr("top token"), q.sameTop ? QObject::tr("the same") : QObject::tr("changed"));
  out += QStringLiteral("</table>");
  out += QObject::tr(
      "<div style='margin-top:6px'><b>Top-5 next tokens</b> without → with "
      "compression (the correct one in bold)</div>"
      "<table cellspacing='0' cellpadding='1' width='100%'>"
      "<tr><th align='left'>without</th><th align='right'>p</th>"
      "<th>&nbsp;&nbsp;&nbsp;</th><th align='left'>with</th>"
      "<th align='right'>p</th></tr>");
  const auto cell = [&token](const std::vector<core::RankedToken>& top, std::size_t i) {
    if (i >= top.size()) return QStringLiteral("<td></td><td></td>");
    const bool correct = top[i].text == token.text;
    const QString text =
        correct ? QStringLiteral("<b>%1</b>").arg(quoted(top[i].text)) : quoted(top[i].text);
    return QStringLiteral("<td>%1</td><td align='right'>%2</td>").arg(text, fixed(top[i].prob, 3));
  };
  for (std::size_t i = 0; i < std::max(token.topBase.size(), token.topCompressed.size()); ++i)
    out += QStringLiteral("<tr>%1<td></td>%2</tr>")
               .arg(cell(token.topBase, i), cell(token.topCompressed, i));
  return out + QStringLiteral("</table>");
}

QString damageTitle(const core::JobDamage& d) {
  return QObject::tr("Which tokens are hurt: %1 %2")
      .arg(QString::fromStdString(d.method), QString::fromStdString(d.paramsText));
}

QString damageStatsText(const core::JobDamage& d) {
  const core::QualityStats& s = d.stats;
  return QObject::tr(
             "job %1 · run %2 · capture %3 · %4 windows of %5 + %6 tokens from %7 · "
             "%8 scored tokens · KL divergence %9 ± %10 nats · ln(PPL_c/PPL_base) %11 ± %12 "
             "· same top token %13 %")
      .arg(QString::fromStdString(d.job.substr(0, 8)), QString::fromStdString(d.run),
           QString::fromStdString(d.capture))
      .arg(s.windows)
      .arg(d.prefix)
      .arg(d.continuation)
      .arg(QFileInfo(QString::fromStdString(d.source)).fileName())
      .arg(s.tokens)
      .arg(fixed(s.kld.mean, 4), fixed(s.kld.se, 4), signedFixed(s.lnPplRatio.mean, 4),
           fixed(s.lnPplRatio.se, 4), fixed(100 * s.sameTop.mean, 1));
}

std::vector<DamageJobChoice> damageJobChoices(const core::Project& project,
                                              const std::vector<core::RunInfo>& runs) {
  const auto summary = core::summarizeResults(project, runs, core::SummaryGrouping::Job);
  std::vector<DamageJobChoice> measured, other;
  std::set<std::string> seen;
  for (const core::SummaryRow& row : summary.rows) {
    if (row.job.empty() || !seen.insert(row.job).second) continue;
    DamageJobChoice c;
    c.key = row.job;
    c.run = row.run;
    c.method = row.method;
    const double kld = row.jobValues[core::FitMetric::Kld];
    c.measured = std::isfinite(kld);
    c.kld = c.measured ? kld : 0;
    c.label = QStringLiteral("%1 %2 (%3)")
                  .arg(QString::fromStdString(row.method),
                       QString::fromStdString(core::paramsText(row.paramsJson)),
                       QString::fromStdString(row.job.substr(0, 8)));
    if (c.measured) c.label += QObject::tr(" · KL %1 nats").arg(kld, 0, 'g', 3);
    (c.measured ? measured : other).push_back(std::move(c));
  }
  measured.insert(measured.end(), std::make_move_iterator(other.begin()),
                  std::make_move_iterator(other.end()));
  return measured;
}

}  // namespace kvwb::widgets
