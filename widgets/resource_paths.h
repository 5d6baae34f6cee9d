// Where the workbench's bundled files live (resources/presets, resources/texts, datasets/...):
// the source tree of a build, else beside the installed executable. GUI thread or any thread.
#pragma once

#include <QString>

namespace kvwb::widgets {

// `relative` such as "resources/presets"; an empty string when no candidate folder exists.
QString resourceDirectory(const QString& relative);

}  // namespace kvwb::widgets
