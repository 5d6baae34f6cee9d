// Tree model of a project for the explorer: groups "Captures", "Analyses", "Runs", each listing its
// items (capture: name and shape "L×H×T×D, dtype"; analysis: its capture and array count; run: id
// and "method · status · N results"). A re-read that changes only runs' status or result counts
// updates those rows in place (the view keeps its selection); other changes reset the model.
// GUI thread only; holds a copy of the project listing, re-read by reload().
#pragma once

#include <QAbstractItemModel>
#include <optional>
#include <vector>

#include "core/project/project.h"

namespace kvwb::widgets {

class ProjectModel : public QAbstractItemModel {
  Q_OBJECT

 public:
  enum Group { Captures, Analyses, Runs };
  enum Column { NameColumn, DetailsColumn };

  // What a setProject or reload changed, compared with the listing shown before.
  struct Changes {
    bool project = false;  // another project file (or none was shown)
    bool captures = false, analyses = false, runs = false;
  };

  explicit ProjectModel(QObject* parent = nullptr);

  // Shows `project`, reading its runs and analyses now. Throws core::InputError when they cannot
  // be read; the model is then unchanged.
  Changes setProject(core::Project project);
  // Re-reads the open project's listing (after an import or another process's edit); throws like
  // setProject.
  Changes reload();
  void clear();
  const std::optional<core::Project>& project() const { return m_project; }
  const std::vector<core::RunInfo>& runs() const { return m_runs; }

  QModelIndex groupIndex(Group group) const;
  const core::CaptureInfo* captureAt(const QModelIndex& index) const;  // null unless a capture row
  const core::RunInfo* runAt(const QModelIndex& index) const;          // null unless a run row
  // The capture an analysis row belongs to; empty unless an analysis row.
  QString analysisCaptureAt(const QModelIndex& index) const;
  // The row of group `group` named `name` (a capture, an analysed capture, a run id); invalid when
  // there is none.
  QModelIndex find(Group group, const QString& name) const;
  static QString shapeText(const core::CaptureInfo& capture);  // "6×4×64×8, float32"

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  QVariant groupData(Group group, int column, int role) const;
  QVariant captureData(const core::CaptureInfo& capture, int column, int role) const;
  QVariant runData(const core::RunInfo& run, int column, int role) const;

  // /analysis/<capture> of one capture, as listed by the project.
  struct Analysis {
    std::string capture;
    std::size_t arrays = 0;
    bool operator==(const Analysis&) const = default;
  };
  std::optional<core::Project> m_project;
  std::vector<Analysis> m_analyses;
  std::vector<core::RunInfo> m_runs;
};

}  // namespace kvwb::widgets
