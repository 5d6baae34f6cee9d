// Common TensorFile helpers and the by-suffix dispatcher (one table of dump formats).
#include "core/formats/tensor_file.h"

#include <algorithm>
#include <cctype>

#include "core/base/errors.h"

namespace kvwb::core {
namespace {

struct DumpFormat {
  const char* suffix;
  std::unique_ptr<TensorFile> (*open)(const std::filesystem::path&);
};

constexpr DumpFormat kDumpFormats[] = {
    {".safetensors", openSafetensors}, {".npy", openNpy},       {".npz", openNpz},
    {".h5", openHdf5Dump},             {".hdf5", openHdf5Dump}, {".hdf", openHdf5Dump}};

std::string lowerSuffix(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

const DumpFormat* formatOf(const std::filesystem::path& path) {
  const std::string ext = lowerSuffix(path);
  for (const DumpFormat& format : kDumpFormats)
    if (ext == format.suffix) return &format;
  return nullptr;
}

}  // namespace

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shapeString(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const TensorInfo* TensorFile::find(const std::string& name) const {
  auto it = std::find_if(m_tensors.begin(), m_tensors.end(),
                         [&](const TensorInfo& t) { return t.name == name; });
  return it == m_tensors.end() ? nullptr : &*it;
}

std::unique_ptr<TensorFile> openTensorFile(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, "no such file");
  if (const DumpFormat* format = formatOf(path)) return format->open(path);
  throw InputError(path, "unknown dump format '" + lowerSuffix(path) + "' (expected " +
                             dumpSuffixesText() + ")");
}

const std::vector<std::string>& dumpSuffixes() {
  static const std::vector<std::string> suffixes = [] {
    std::vector<std::string> all;
    for (const DumpFormat& format : kDumpFormats) all.emplace_back(format.suffix);
    return all;
  }();
  return suffixes;
}

bool isDumpFile(const std::filesystem::path& path) { return formatOf(path) != nullptr; }

std::string dumpSuffixesText() {
  const auto& suffixes = dumpSuffixes();
  std::string text;
  for (std::size_t i = 0; i < suffixes.size(); ++i)
    text += (i == 0 ? "" : i + 1 == suffixes.size() ? " or " : ", ") + suffixes[i];
  return text;
}

}  // namespace kvwb::core
