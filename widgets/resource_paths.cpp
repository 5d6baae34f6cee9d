// Resource folder lookup: build tree first, then install layouts beside the executable.
#include "widgets/resource_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace kvwb::widgets {

QString resourceDirectory(const QString& relative) {
  const QString app = QCoreApplication::applicationDirPath();
  const QString leaf = QFileInfo(relative).fileName();
  for (const QString& dir : {QStringLiteral(KVWB_SOURCE_DIR "/") + relative, app + "/" + leaf,
                             app + "/../share/kvwb/" + leaf, app + "/../" + relative})
    if (QDir(dir).exists()) return QDir(dir).absolutePath();
  return {};
}

}  // namespace kvwb::widgets
