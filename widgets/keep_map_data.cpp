// The keep-map view's rows, charts, tokens, colours and texts (see keep_map_data.h).
#include "widgets/keep_map_data.h"

#include <QObject>
#include <algorithm>
#include <cmath>

#include "core/compress/method_descriptor.h"

namespace kvwb::widgets {
namespace {

const QColor kEvictedText(0x8C, 0x8C, 0x8C);
const QColor kKeptBackground(0xA9, 0xD0, 0xEC);  // a light tint of the kept blue (Okabe-Ito)

QColor mix(const QColor& a, const QColor& b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  const auto m = [t](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * t)); };
  return {m(a.red(), b.red()), m(a.green(), b.green()), m(a.blue(), b.blue())};
}

QString percent(double share) { return QString::number(100 * share, 'f', 0) + QStringLiteral(" %"); }

// The mean attention over the targets that have one (empty when none has).
std::vector<double> meanAttention(const core::JobKeepMap& map) {
  std::vector<double> mean(static_cast<std::size_t>(map.tokens), 0.0);
  int n = 0;
  for (const auto& t : map.targets) {
    if (t.attention.size() != mean.size()) continue;
    for (std::size_t j = 0; j < mean.size(); ++j) mean[j] += t.attention[j];
    ++n;
  }
  if (n == 0) return {};
  for (double& v : mean) v /= n;
  return mean;
}

// The means of the targets' summaries.
core::KeepSummary meanSummary(const core::JobKeepMap& map) {
  core::KeepSummary mean;
  mean.tokens = map.tokens;
  double kept = 0, sinks = 0, recent = 0, attention = 0;
  int withAttention = 0;
  for (const auto& t : map.targets) {
    const core::KeepSummary s = core::summarizeKeep(t);
    kept += s.kept;
    sinks += s.sinkRun;
    recent += s.recentRun;
    if (std::isfinite(s.attentionKept)) attention += s.attentionKept, ++withAttention;
  }
  const double n = std::max<double>(1, static_cast<double>(map.targets.size()));
  mean.kept = static_cast<int>(std::lround(kept / n));
  mean.sinkRun = static_cast<int>(std::lround(sinks / n));
  mean.recentRun = static_cast<int>(std::lround(recent / n));
  if (withAttention) mean.attentionKept = attention / withAttention;
  return mean;
}

QString summaryText(const core::KeepSummary& s) {
  QString text = QObject::tr("%1 of %2 tokens kept (%3) · sinks %4 · recent %5")
                     .arg(s.kept)
                     .arg(s.tokens)
                     .arg(percent(s.tokens ? static_cast<double>(s.kept) / s.tokens : 0))
                     .arg(s.sinkRun)
                     .arg(s.recentRun);
  if (std::isfinite(s.attentionKept))
    text += QObject::tr(" · %1 of the attention received lands on kept tokens").arg(percent(s.attentionKept));
  return text;
}

}  // namespace

QString targetLabel(const core::KeepMapTarget& t) {
  return QStringLiteral("%1 L%2·H%3").arg(QString::fromStdString(t.kind)).arg(t.layer).arg(t.head);
}

KeepMapChart keepMapChart(const core::JobKeepMap& map) {
  KeepMapChart chart;
  chart.title = QObject::tr("Kept (blue) and evicted (grey) tokens of every target").toStdString();
  chart.tokens = map.tokens;
  chart.tokenTexts = map.tokenTexts;
  for (std::size_t i = 0; i < map.targets.size(); ++i) {
    const core::KeepMapTarget& t = map.targets[i];
    const bool newKind = i > 0 && map.targets[i - 1].kind != t.kind;
    if (newKind) chart.rows.push_back({});  // the gap between K and V
    const bool newLayer = i == 0 || newKind || map.targets[i - 1].layer != t.layer;
    KeepMapRow row;
    row.label = targetLabel(t).toStdString();
    if (newLayer) row.shortLabel = QStringLiteral("%1 L%2").arg(QString::fromStdString(t.kind)).arg(t.layer).toStdString();
    row.kept = t.kept;
    row.id = static_cast<int>(i);
    chart.rows.push_back(std::move(row));
  }
  return chart;
}

std::vector<double> keptShares(const core::JobKeepMap& map) {
  std::vector<double> share(static_cast<std::size_t>(map.tokens), 0.0);
  for (const auto& t : map.targets)
    for (std::size_t j = 0; j < share.size() && j < t.kept.size(); ++j) share[j] += t.kept[j];
  for (double& s : share) s /= std::max<double>(1, static_cast<double>(map.targets.size()));
  return share;
}

KeepAttentionChart keepAttentionChart(const core::JobKeepMap& map, int target) {
  KeepAttentionChart chart;
  chart.yLabel = QObject::tr("attention").toStdString();
  const bool one = target >= 0 && target < static_cast<int>(map.targets.size());
  if (one) {
    const core::KeepMapTarget& t = map.targets[static_cast<std::size_t>(target)];
    chart.values.assign(t.attention.begin(), t.attention.end());
    chart.highlighted = t.kept;
    chart.title = QObject::tr("Attention each token receives · %1 (mean over its query heads and rows) · "
                              "blue: kept, grey: evicted")
                      .arg(targetLabel(t))
                      .toStdString();
    chart.highlightLabel = QObject::tr("kept").toStdString();
    chart.otherLabel = QObject::tr("evicted").toStdString();
  } else {
    chart.values = meanAttention(map);
    for (const double s : keptShares(map)) chart.highlighted.push_back(s >= 0.5 ? 1 : 0);
    chart.title = QObject::tr("Attention each token receives · mean over all targets · blue: kept by at "
                              "least half of them (click a row for one target)")
                      .toStdString();
    chart.highlightLabel = QObject::tr("kept by at least half the targets").toStdString();
    chart.otherLabel = QObject::tr("by fewer").toStdString();
  }
  if (chart.values.empty())
    chart.title = QObject::tr("Attention received: the capture has no queries").toStdString();
  return chart;
}

std::vector<KeepToken> keepTokens(const core::JobKeepMap& map, int target) {
  const bool one = target >= 0 && target < static_cast<int>(map.targets.size());
  const std::vector<double> shares = one ? std::vector<double>{} : keptShares(map);
  const core::KeepMapTarget* t = one ? &map.targets[static_cast<std::size_t>(target)] : nullptr;
  const auto n = static_cast<int>(map.targets.size());
  std::vector<KeepToken> out;
  for (std::size_t j = 0; j < static_cast<std::size_t>(map.tokens); ++j) {
    KeepToken token;
    const std::string& text = j < map.tokenTexts.size() ? map.tokenTexts[j] : std::to_string(j);
    token.text = map.decoded ? displayText(text) : QStringLiteral("[%1] ").arg(QString::fromStdString(text));
    token.kept = t ? (j < t->kept.size() && t->kept[j] ? 1.0 : 0.0) : shares[j];
    token.toolTip = t ? QObject::tr("token %1 · %2").arg(j).arg(token.kept > 0 ? QObject::tr("kept") : QObject::tr("evicted"))
                      : QObject::tr("token %1 · kept by %2 of %3 targets")
                            .arg(j)
                            .arg(static_cast<int>(std::lround(token.kept * n)))
                            .arg(n);
    if (t && j < t->attention.size())
      token.toolTip += QObject::tr(" · attention received %1").arg(t->attention[j], 0, 'g', 3);
    out.push_back(std::move(token));
  }
  return out;
}

QColor keptBackground(double kept) { return mix(Qt::white, kKeptBackground, kept); }
QColor keptForeground(double kept) { return mix(kEvictedText, Qt::black, kept); }

QString keepMapTitle(const core::JobKeepMap& map) {
  return QObject::tr("What is kept: %1 %2").arg(QString::fromStdString(map.method), QString::fromStdString(map.paramsText));
}

QString keepMapStatsText(const core::JobKeepMap& map) {
  return QObject::tr("job %1 · run %2 · capture %3 · %4 targets · mean per target: %5")
      .arg(QString::fromStdString(map.job.substr(0, 8)), QString::fromStdString(map.run),
           QString::fromStdString(map.capture))
      .arg(map.targets.size())
      .arg(summaryText(meanSummary(map)));
}

QString keepTargetText(const core::JobKeepMap& map, int target) {
  if (target < 0 || target >= static_cast<int>(map.targets.size()))
    return QObject::tr("Every target: each token shaded by the share of the targets that keep it");
  const core::KeepMapTarget& t = map.targets[static_cast<std::size_t>(target)];
  return QStringLiteral("%1: %2").arg(targetLabel(t), summaryText(core::summarizeKeep(t)));
}

std::vector<DamageJobChoice> keepMapJobChoices(const core::Project& project, const std::vector<core::RunInfo>& runs) {
  auto choices = damageJobChoices(project, runs);
  std::erase_if(choices, [](const DamageJobChoice& c) {
    const auto& all = core::methodDescriptors();
    const auto m = std::find_if(all.begin(), all.end(), [&](const auto* d) { return d->name == c.method; });
    return m == all.end() || (*m)->family != core::MethodFamily::Eviction;
  });
  return choices;
}

}  // namespace kvwb::widgets
