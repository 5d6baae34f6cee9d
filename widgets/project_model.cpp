// ProjectModel: a two-level tree. Group rows carry internal id 0; an item row carries its group
// + 1.
#include "widgets/project_model.h"

#include <QFont>
#include <algorithm>
#include <array>
#include <tuple>

namespace kvwb::widgets {
namespace {

constexpr int kGroupCount = 3;
constexpr int kColumnCount = 2;
constexpr quintptr kGroupId = 0;
constexpr quintptr itemId(ProjectModel::Group group) { return static_cast<quintptr>(group) + 1; }

auto fields(const core::CaptureInfo& c) {
  return std::tie(c.name, c.layers, c.kvHeads, c.queryHeads, c.tokens, c.headDim, c.hasQueries,
                  c.hasKeysPreRope, c.storageDtype, c.metadataJson);
}

auto fields(const core::RunInfo& r) {
  return std::tie(r.id, r.method, r.paramsJson, r.capture, r.created, r.device,
                  r.softwareVersion, r.status, r.resultCount);
}

template <typename T>
bool sameItems(const std::vector<T>& a, const std::vector<T>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T& x, const T& y) { return fields(x) == fields(y); });
}

bool sameIds(const std::vector<core::RunInfo>& a, const std::vector<core::RunInfo>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const core::RunInfo& x, const core::RunInfo& y) { return x.id == y.id; });
}

}  // namespace

ProjectModel::ProjectModel(QObject* parent) : QAbstractItemModel(parent) {}

ProjectModel::Changes ProjectModel::setProject(core::Project project) {
  std::vector<Analysis> analyses;
  for (const auto& c : project.captures()) {
    const auto arrays = project.arrayGroupNames(core::analysisGroup(c.name));
    if (!arrays.empty()) analyses.push_back({c.name, arrays.size()});
  }
  auto runs = project.runs();
  Changes changes;
  changes.project = !m_project || m_project->path() != project.path();
  changes.captures = changes.project || !sameItems(m_project->captures(), project.captures());
  changes.analyses = changes.project || m_analyses != analyses;
  changes.runs = changes.project || !sameItems(m_runs, runs);
  const bool reset = changes.captures || changes.analyses || !sameIds(m_runs, runs);
  if (reset) beginResetModel();
  m_project = std::move(project);
  m_analyses = std::move(analyses);
  m_runs = std::move(runs);
  if (reset) {
    endResetModel();
  } else if (changes.runs) {  // the same rows: only their status or result counts moved
    const QModelIndex group = groupIndex(Runs);
    Q_EMIT dataChanged(index(0, 0, group), index(rowCount(group) - 1, kColumnCount - 1, group));
  }
  return changes;
}

ProjectModel::Changes ProjectModel::reload() {
  if (!m_project) return {};
  core::Project copy = *m_project;
  copy.refresh();
  return setProject(std::move(copy));
}

void ProjectModel::clear() {
  beginResetModel();
  m_project.reset();
  m_analyses.clear();
  m_runs.clear();
  endResetModel();
}

QString ProjectModel::shapeText(const core::CaptureInfo& c) {
  return QStringLiteral("%1×%2×%3×%4, %5")
      .arg(c.layers)
      .arg(c.kvHeads)
      .arg(c.tokens)
      .arg(c.headDim)
      .arg(QString::fromStdString(c.storageDtype));
}

QModelIndex ProjectModel::groupIndex(Group group) const {
  return m_project ? index(group, 0) : QModelIndex();
}

const core::CaptureInfo* ProjectModel::captureAt(const QModelIndex& index) const {
  if (!index.isValid() || index.internalId() != itemId(Captures)) return nullptr;
  return &m_project->captures()[static_cast<std::size_t>(index.row())];
}

const core::RunInfo* ProjectModel::runAt(const QModelIndex& index) const {
  if (!index.isValid() || index.internalId() != itemId(Runs)) return nullptr;
  return &m_runs[static_cast<std::size_t>(index.row())];
}

QString ProjectModel::analysisCaptureAt(const QModelIndex& index) const {
  if (!index.isValid() || index.internalId() != itemId(Analyses)) return {};
  return QString::fromStdString(m_analyses[static_cast<std::size_t>(index.row())].capture);
}

QModelIndex ProjectModel::find(Group group, const QString& name) const {
  const QModelIndex parent = groupIndex(group);
  for (int row = 0; row < rowCount(parent); ++row)
    if (index(row, NameColumn, parent).data().toString() == name)
      return index(row, NameColumn, parent);
  return {};
}

QModelIndex ProjectModel::index(int row, int column, const QModelIndex& parent) const {
  if (!hasIndex(row, column, parent)) return {};
  return createIndex(row, column,
                     parent.isValid() ? itemId(static_cast<Group>(parent.row())) : kGroupId);
}

QModelIndex ProjectModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == kGroupId) return {};
  return createIndex(static_cast<int>(child.internalId() - 1), 0, kGroupId);
}

int ProjectModel::rowCount(const QModelIndex& parent) const {
  if (!m_project) return 0;
  if (!parent.isValid()) return kGroupCount;
  if (parent.internalId() != kGroupId || parent.column() != 0) return 0;
  switch (static_cast<Group>(parent.row())) {
    case Captures:
      return static_cast<int>(m_project->captures().size());
    case Analyses:
      return static_cast<int>(m_analyses.size());
    case Runs:
      return static_cast<int>(m_runs.size());
  }
  return 0;
}

int ProjectModel::columnCount(const QModelIndex&) const { return kColumnCount; }

QVariant ProjectModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  if (index.internalId() == kGroupId)
    return groupData(static_cast<Group>(index.row()), index.column(), role);
  if (const auto* c = captureAt(index)) return captureData(*c, index.column(), role);
  if (const auto* r = runAt(index)) return runData(*r, index.column(), role);
  if (index.internalId() == itemId(Analyses) && role == Qt::DisplayRole) {
    const Analysis& a = m_analyses[static_cast<std::size_t>(index.row())];
    return index.column() == NameColumn ? QString::fromStdString(a.capture)
                                        : tr("%n array(s)", nullptr, static_cast<int>(a.arrays));
  }
  return {};
}

QVariant ProjectModel::groupData(Group group, int column, int role) const {
  static const std::array<const char*, kGroupCount> names = {
      QT_TR_NOOP("Captures"), QT_TR_NOOP("Analyses"), QT_TR_NOOP("Runs")};
  if (role == Qt::FontRole) {
    QFont bold;
    bold.setBold(true);
    return bold;
  }
  if (role != Qt::DisplayRole) return {};
  if (column == NameColumn) return tr(names[group]);
  return rowCount(groupIndex(group));
}

QVariant ProjectModel::captureData(const core::CaptureInfo& c, int column, int role) const {
  if (role == Qt::DisplayRole)
    return column == NameColumn ? QString::fromStdString(c.name) : shapeText(c);
  if (role == Qt::ToolTipRole)
    return tr("%1 layers, %2 KV heads (%3 query heads), %4 tokens, head dim %5, stored as %6")
        .arg(c.layers)
        .arg(c.kvHeads)
        .arg(c.queryHeads)
        .arg(c.tokens)
        .arg(c.headDim)
        .arg(QString::fromStdString(c.storageDtype));
  return {};
}

QVariant ProjectModel::runData(const core::RunInfo& r, int column, int role) const {
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  if (column == NameColumn) return QString::fromStdString(r.id);
  return tr("%1 · %2 · %n result(s)", nullptr, static_cast<int>(r.resultCount))
      .arg(QString::fromStdString(r.method), QString::fromStdString(r.status));
}

QVariant ProjectModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  return section == NameColumn ? tr("Name") : tr("Details");
}

}  // namespace kvwb::widgets
