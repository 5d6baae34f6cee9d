// resourceDirectory: QString in and out around the core rule.
#include "widgets/resource_paths.h"

#include <QCoreApplication>

#include "core/base/resource_paths.h"

namespace kvwb::widgets {

QString resourceDirectory(const QString& relative) {
  return QString::fromStdString(
      core::resourceDirectory(relative.toStdString(),
                              QCoreApplication::applicationDirPath().toStdString())
          .string());
}

}  // namespace kvwb::widgets
