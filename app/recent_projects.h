// The File → Recent list: most recent first, at most kMax entries, kept in QSettings.
// GUI thread only (QSettings is reentrant, not shared).
#pragma once

#include <QString>
#include <QStringList>

namespace kvwb::app {

class RecentProjects {
 public:
  static constexpr int kMax = 8;

  QStringList paths() const;
  void add(const QString& path);  // moves it to the front
  void remove(const QString& path);
  void clear();

 private:
  void store(const QStringList& paths);
};

}  // namespace kvwb::app
