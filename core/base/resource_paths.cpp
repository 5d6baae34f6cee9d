// Resource lookup: KVWB_SOURCE_DIR (defined for this file by core/CMakeLists.txt) first, then the
// folders an installed executable finds its data in.
#include "core/base/resource_paths.h"

#include <system_error>
#include <vector>

#include "core/base/errors.h"

namespace kvwb::core {

std::filesystem::path executableDirectory() {
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : exe.parent_path();
}

std::filesystem::path resourceDirectory(const std::string& relative,
                                        const std::filesystem::path& executableDir) {
  const std::filesystem::path rel = relative;
  std::vector<std::filesystem::path> candidates = {std::filesystem::path(KVWB_SOURCE_DIR) / rel};
  if (!executableDir.empty())
    candidates.insert(candidates.end(), {executableDir / rel.filename(),
                                         executableDir / "../share/kvwb" / rel.filename(),
                                         executableDir / ".." / rel});
  std::error_code error;
  for (const auto& dir : candidates)
    if (std::filesystem::is_directory(dir, error))
      return std::filesystem::absolute(dir).lexically_normal();
  return {};
}

std::filesystem::path findSweepSpec(const std::string& specOrPreset,
                                    const std::filesystem::path& executableDir) {
  if (std::filesystem::exists(specOrPreset)) return specOrPreset;
  const auto presets = resourceDirectory("resources/presets", executableDir);
  if (!presets.empty() && std::filesystem::is_regular_file(presets / (specOrPreset + ".json")))
    return presets / (specOrPreset + ".json");
  throw InputError(specOrPreset, "no such sweep spec file or preset (see resources/presets)");
}

}  // namespace kvwb::core
