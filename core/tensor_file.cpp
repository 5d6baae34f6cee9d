// Common TensorFile helpers and the by-extension dispatcher.
#include "core/tensor_file.h"

#include <algorithm>

#include "core/errors.h"

namespace kvwb::core {

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
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".safetensors") return openSafetensors(path);
  if (ext == ".npy") return openNpy(path);
  if (ext == ".npz") return openNpz(path);
  if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf") return openHdf5Dump(path);
  throw InputError(path, "unknown dump format '" + ext +
                             "' (expected .safetensors, .npy, .npz, .h5 or .hdf5)");
}

}  // namespace kvwb::core
