// HDF5 dump reader: every numeric dataset, named by its path without the leading '/'.
// Floating datasets of any width (also custom bfloat16 types) are read as float32, except IEEE
// half which stays float16; integers are read as int64. Refused: external links, external or
// virtual storage, unreadable object headers, and shapes the stored bytes cannot hold.
#include <map>
#include <mutex>

#include "core/formats/checked_shape.h"
#include "core/base/errors.h"
#include "core/formats/h5.h"
#include "core/formats/tensor_file.h"

namespace kvwb::core {
namespace {

class Hdf5DumpFile final : public TensorFile {
 public:
  explicit Hdf5DumpFile(const std::filesystem::path& path)
      : TensorFile(path), m_file(h5::openFile(path, false)) {
    // Listed first and examined after the walk: nothing is thrown through HDF5's C frames.
    for (const auto& link : h5::linksBelow(m_file, path)) {
      if (link.type == H5L_TYPE_SOFT) continue;  // inside the file: its target has a hard link
      if (link.type != H5L_TYPE_HARD)
        throw InputError(path, "'" + link.path +
                                   "' is an external link; a dump must hold its "
                                   "data itself");
      H5O_info_t info;
      if (H5Oget_info_by_name(m_file, link.path.c_str(), &info, H5P_DEFAULT) < 0)
        throw InputError(path, "object '" + link.path + "' has a corrupt header");
      if (info.type == H5O_TYPE_DATASET) add(link.path);
    }
  }

  std::span<const std::byte> read(const std::string& name) const override {
    const auto* info = find(name);
    if (!info) throw InputError(m_path, "no dataset named '" + name + "'");
    std::lock_guard lock(m_mutex);
    auto it = m_cache.find(name);
    if (it != m_cache.end()) return it->second;
    std::vector<std::byte> buf(info->nbytes());
    const auto ds = h5::openDataset(m_file, name, m_path);
    if (H5Dread(ds, memoryType(info->dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw InputError(m_path, "dataset '" + name + "' cannot be read (truncated or corrupt)");
    return m_cache.emplace(name, std::move(buf)).first->second;
  }

 private:
  static hid_t memoryType(DType t) {
    switch (t) {
      case DType::F16: return h5::halfType();
      case DType::F32: return H5T_NATIVE_FLOAT;
      default: return H5T_NATIVE_INT64;
    }
  }
  void add(const std::string& name) {
    const auto ds = h5::openDataset(m_file, name, m_path);
    h5::Handle type(H5Dget_type(ds));
    TensorInfo info;
    info.name = name;
    const auto cls = H5Tget_class(type);
    if (cls == H5T_FLOAT) {
      const bool ieeeHalf = H5Tget_size(type) == 2 && H5Tget_ebias(type) == 15;
      info.dtype = ieeeHalf ? DType::F16 : DType::F32;
    } else if (cls == H5T_INTEGER) {
      info.dtype = DType::I64;
    } else {
      return;  // strings, compounds: not tensors
    }
    h5::checkedDatasetBytes(ds, name, m_path);
    info.shape = h5::datasetShape(ds);
    checkedByteSize(m_path, name, info.shape, dtypeSize(info.dtype));
    m_tensors.push_back(std::move(info));
  }

  h5::Handle m_file;
  mutable std::mutex m_mutex;
  mutable std::map<std::string, std::vector<std::byte>> m_cache;
};

}  // namespace

std::unique_ptr<TensorFile> openHdf5Dump(const std::filesystem::path& path) {
  return std::make_unique<Hdf5DumpFile>(path);
}

}  // namespace kvwb::core
