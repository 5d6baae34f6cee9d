// The GUI's view of core::resourceDirectory (core/base/resource_paths.h): the same lookup, with
// the executable's folder taken from QCoreApplication. GUI thread or any thread.
#pragma once

#include <QString>

namespace kvwb::widgets {

// `relative` such as "resources/presets"; an empty string when no candidate folder exists.
QString resourceDirectory(const QString& relative);

}  // namespace kvwb::widgets
