// Where the workbench's bundled files live (resources/presets, resources/texts, datasets/...): one
// rule for the CLI and the GUI, the source tree of a build first, then the install layouts beside
// the executable. Plain file-system lookups; any thread.
//
//   const auto exe = kvwb::core::executableDirectory();
//   auto texts = kvwb::core::resourceDirectory("resources/texts", exe);
//   auto spec = kvwb::core::findSweepSpec("demo", exe);  // resources/presets/demo.json
#pragma once

#include <filesystem>
#include <string>

namespace kvwb::core {

// The folder of the running executable (from /proc/self/exe); empty where that is unknown.
std::filesystem::path executableDirectory();

// `relative` such as "resources/presets": <source tree>/relative of this build, else
// <exe>/<leaf>, <exe>/../share/kvwb/<leaf>, <exe>/../relative (leaf: its last component).
// An empty path when no candidate folder exists.
std::filesystem::path resourceDirectory(const std::string& relative,
                                        const std::filesystem::path& executableDir);

// A sweep spec: `specOrPreset` itself when it exists, else the preset of that name
// (<resourceDirectory("resources/presets")>/<name>.json). Throws InputError when neither exists.
std::filesystem::path findSweepSpec(const std::string& specOrPreset,
                                    const std::filesystem::path& executableDir);

}  // namespace kvwb::core
