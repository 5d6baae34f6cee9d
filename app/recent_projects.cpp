// RecentProjects: one QSettings string list under "recentProjects", absolute paths.
#include "app/recent_projects.h"

#include <QFileInfo>
#include <QSettings>

namespace kvwb::app {
namespace {

const QString kKey = QStringLiteral("recentProjects");

}  // namespace

QStringList RecentProjects::paths() const { return QSettings().value(kKey).toStringList(); }

void RecentProjects::add(const QString& path) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  QStringList list = paths();
  list.removeAll(absolute);
  list.prepend(absolute);
  store(list.mid(0, kMax));
}

void RecentProjects::remove(const QString& path) {
  QStringList list = paths();
  list.removeAll(QFileInfo(path).absoluteFilePath());
  store(list);
}

void RecentProjects::clear() { store({}); }

void RecentProjects::store(const QStringList& paths) { QSettings().setValue(kKey, paths); }

}  // namespace kvwb::app
