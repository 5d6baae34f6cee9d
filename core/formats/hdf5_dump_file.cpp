// HDF5 dump reader: every numeric dataset, named by its path without the leading '/'.
// Floating datasets of any width (also custom bfloat16 types) are read as float32, except IEEE
// half which stays float16; integers are read as int64.
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
    H5Ovisit(m_file, H5_INDEX_NAME, H5_ITER_NATIVE, &Hdf5DumpFile::visit, this);
  }

  std::span<const std::byte> read(const std::string& name) const override {
    const auto* info = find(name);
    if (!info) throw InputError(m_path, "no dataset named '" + name + "'");
    std::lock_guard lock(m_mutex);
    auto it = m_cache.find(name);
    if (it != m_cache.end()) return it->second;
    std::vector<std::byte> buf(info->nbytes());
    h5::Handle ds(H5Dopen2(m_file, name.c_str(), H5P_DEFAULT));
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
  static herr_t visit(hid_t obj, const char* name, const H5O_info_t* info, void* self) {
    if (info->type != H5O_TYPE_DATASET) return 0;
    static_cast<Hdf5DumpFile*>(self)->add(obj, name);
    return 0;
  }
  void add(hid_t loc, const std::string& name) {
    h5::Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
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
