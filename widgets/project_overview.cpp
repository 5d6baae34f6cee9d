// ProjectOverview: the project's front page as HTML built from the session's project, runs and
// atlases, with kvwb: links back into the window.
#include "widgets/project_overview.h"

#include <QUrl>
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/formats/tensor_file.h"
#include "core/reports/results_summary.h"
#include "widgets/atlas_data.h"
#include "widgets/project_session.h"

namespace kvwb::widgets {
namespace {

constexpr const char* kScheme = "kvwb";

QString html(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString link(const QString& kind, const QString& target, const QString& text) {
  QUrl url;
  url.setScheme(QString::fromLatin1(kScheme));
  url.setPath(kind + QLatin1Char('/') + target);
  return QStringLiteral("<a href=\"%1\">%2</a>").arg(url.toString(QUrl::FullyEncoded), text);
}

QString metadataField(const core::CaptureInfo& capture, const char* key) {
  const auto meta = nlohmann::json::parse(capture.metadataJson, nullptr, false);
  if (!meta.is_object() || !meta.contains(key) || !meta[key].is_string()) return {};
  return html(meta[key].get<std::string>());
}

// The cosine similarity of a summary row over all its targets (each kind's mean, weighted by its
// targets), NaN when it measured none.
double rowCosine(const core::SummaryRow& row) {
  double sum = 0;
  int targets = 0;
  for (const auto& [kind, means] : row.kinds) {
    const double c = means.means[core::FitMetric::CosSim];
    if (!std::isfinite(c)) continue;
    sum += c * means.targets;
    targets += means.targets;
  }
  return targets ? sum / targets : std::nan("");
}

// The best of a run's jobs: the highest cosine (with its ratio) and the highest ratio whose
// cosine stays at or above kGoodCosine.
struct RunBest {
  double cosine = std::nan(""), cosineRatio = std::nan(""), goodRatio = std::nan("");
};

std::map<std::string, RunBest> bestPerRun(const core::ResultsSummary& summary) {
  std::map<std::string, RunBest> best;
  for (const core::SummaryRow& row : summary.rows) {
    RunBest& b = best[row.run];
    const double cosine = rowCosine(row);
    const double ratio = row.jobValues[core::FitMetric::Ratio];
    if (!std::isfinite(cosine)) continue;
    if (!(cosine <= b.cosine)) {
      b.cosine = cosine;
      b.cosineRatio = ratio;
    }
    if (cosine >= ProjectOverview::kGoodCosine && std::isfinite(ratio) && !(ratio <= b.goodRatio))
      b.goodRatio = ratio;
  }
  return best;
}

QString number(double value, const char* format) {
  return std::isfinite(value) ? QString::asprintf(format, value) : QStringLiteral("—");
}

QString capturesSection(const ProjectSession& session) {
  const auto& captures = session.project()->captures();
  if (captures.empty()) return {};
  QString out = QStringLiteral(
      "<h3>Captures</h3><table cellpadding='3'><tr><th align='left'>capture</th>"
      "<th align='left'>L × H × T × D</th><th align='left'>prompt type</th>"
      "<th align='left'>model</th><th align='left'>tensors</th><th align='left'>atlas</th></tr>");
  for (const core::CaptureInfo& c : captures) {
    const QString name = QString::fromStdString(c.name);
    const bool analysed = session.atlas(c.name) != nullptr;
    QString tensors = QStringLiteral("K, V");
    if (c.hasQueries) tensors += QStringLiteral(", Q");
    if (c.hasKeysPreRope) tensors += QStringLiteral(", Kpre");
    out += QStringLiteral("<tr><td>%1</td><td>%2 × %3 × %4 × %5</td><td>%6</td><td>%7</td>"
                          "<td>%8</td><td>%9</td></tr>")
               .arg(link(QStringLiteral("capture"), name, name.toHtmlEscaped()))
               .arg(c.layers)
               .arg(c.kvHeads)
               .arg(c.tokens)
               .arg(c.headDim)
               .arg(metadataField(c, "prompt_label"), metadataField(c, "model"), tensors,
                    analysed ? QStringLiteral("analysed") : QStringLiteral("not analysed"));
  }
  return out + QStringLiteral("</table>");
}

QString runsSection(const ProjectSession& session) {
  const auto& runs = session.model().runs();
  if (runs.empty()) return {};
  const auto best = bestPerRun(
      core::summarizeResults(*session.project(), runs, core::SummaryGrouping::Job));
  QString out = QStringLiteral(
      "<h3>Runs</h3><table cellpadding='3'><tr><th align='left'>run</th>"
      "<th align='left'>method</th><th align='left'>capture</th><th align='left'>status</th>"
      "<th align='right'>results</th><th align='right'>best cos (at ratio)</th>"
      "<th align='right'>highest ratio at cos ≥ %1</th></tr>")
                    .arg(ProjectOverview::kGoodCosine);
  for (const core::RunInfo& run : runs) {
    const auto it = best.find(run.id);
    const RunBest b = it == best.end() ? RunBest{} : it->second;
    const QString id = QString::fromStdString(run.id);
    out += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td>"
                          "<td align='right'>%5</td><td align='right'>%6 (%7)</td>"
                          "<td align='right'>%8</td></tr>")
               .arg(link(QStringLiteral("run"), id, id.toHtmlEscaped()), html(run.method),
                    html(run.capture), html(run.status))
               .arg(run.resultCount)
               .arg(number(b.cosine, "%.4f"), number(b.cosineRatio, "%.2f×"),
                    number(b.goodRatio, "%.2f×"));
  }
  return out + QStringLiteral("</table>");
}

// What to do next, from what the project has so far.
QString nextSteps(const ProjectSession& session) {
  const auto& captures = session.project()->captures();
  const bool anyAnalysed = std::any_of(captures.begin(), captures.end(), [&](const auto& c) {
    return session.atlas(c.name) != nullptr;
  });
  const bool allAnalysed = std::all_of(captures.begin(), captures.end(), [&](const auto& c) {
    return session.atlas(c.name) != nullptr;
  });
  QStringList steps;
  if (captures.empty())
    steps << QObject::tr("%1 a capture from a checkpoint, or %2 a KV dump (%3).")
                 .arg(link(QStringLiteral("action"), QStringLiteral("extract"),
                           QObject::tr("Extract")),
                      link(QStringLiteral("action"), QStringLiteral("import"),
                           QObject::tr("import")),
                      QString::fromStdString(core::dumpSuffixesText()).toHtmlEscaped());
  if (!captures.empty() && !allAnalysed)
    steps << QObject::tr("%1 the selected capture to open its structure atlas.")
                 .arg(link(QStringLiteral("action"), QStringLiteral("analyze"),
                           QObject::tr("Analyze")));
  if (anyAnalysed)
    steps << QObject::tr("Click a capture above to open its atlas; click a heatmap cell to see "
                         "one target's spectra and ranks.");
  if (!captures.empty())
    steps << QObject::tr("%1 to compress captures with several methods at once.")
                 .arg(link(QStringLiteral("action"), QStringLiteral("sweep"),
                           QObject::tr("Start a sweep")));
  if (!session.model().runs().empty())
    steps << QObject::tr("Click a run to read its Pareto front; click a point there to compare "
                         "that fit with its counterpart side by side.");
  return QStringLiteral("<h3>Next</h3><ul><li>%1</li></ul>")
      .arg(steps.join(QStringLiteral("</li><li>")));
}

}  // namespace

ProjectOverview::ProjectOverview(const ProjectSession& session, QWidget* parent)
    : QTextBrowser(parent), m_session(session) {
  setObjectName(QStringLiteral("overview"));
  setOpenLinks(false);
  setFrameShape(QFrame::NoFrame);
  connect(this, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (url.scheme() != QLatin1String(kScheme)) return;
    const QString path = url.path();
    const QString kind = path.section(QLatin1Char('/'), 0, 0);
    const QString target = path.section(QLatin1Char('/'), 1);
    if (kind == QLatin1String("capture")) Q_EMIT captureClicked(target);
    if (kind == QLatin1String("run")) Q_EMIT runClicked(target);
    if (kind == QLatin1String("action")) Q_EMIT actionClicked(target);
  });
}

void ProjectOverview::refresh() {
  m_stale = true;
  if (isVisible()) rebuild();
}

void ProjectOverview::showEvent(QShowEvent* event) {
  QTextBrowser::showEvent(event);
  if (m_stale) rebuild();
}

void ProjectOverview::rebuild() {
  m_stale = false;
  const auto& project = m_session.project();
  if (!project) {
    setHtml(tr("<h2>KV Workbench</h2><p>Open a project (File → Open) or create one (File → New), "
               "then drop %1 KV dumps on the window to import them.</p>")
                .arg(QString::fromStdString(core::dumpSuffixesText()).toHtmlEscaped()));
    return;
  }
  setHtml(QStringLiteral("<h2>%1</h2><p style='color:#555'>%2</p>%3%4%5")
              .arg(html(project->path().filename().string()),
                   html(project->path().parent_path().string()), capturesSection(m_session),
                   runsSection(m_session), nextSteps(m_session)));
}

}  // namespace kvwb::widgets
