// HDF5 C API helpers: handles, attributes, shapes.
#include "core/formats/h5.h"

#include <stdexcept>

#include "core/base/errors.h"

namespace kvwb::core::h5 {

void Handle::reset() {
  if (m_id < 0) return;
  switch (H5Iget_type(m_id)) {
    case H5I_FILE: H5Fclose(m_id); break;
    case H5I_GROUP: H5Gclose(m_id); break;
    case H5I_DATASET: H5Dclose(m_id); break;
    case H5I_DATASPACE: H5Sclose(m_id); break;
    case H5I_DATATYPE: H5Tclose(m_id); break;
    case H5I_ATTR: H5Aclose(m_id); break;
    case H5I_GENPROP_LST: H5Pclose(m_id); break;
    default: break;
  }
  m_id = H5I_INVALID_HID;
}

void silenceErrorPrinting() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

hid_t check(hid_t status, const char* what) {
  if (status < 0) throw std::runtime_error(std::string("HDF5 failure: ") + what);
  return status;
}

Handle openFile(const std::filesystem::path& path, bool writable) {
  silenceErrorPrinting();
  if (!std::filesystem::exists(path)) throw InputError(path, "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path, "not an HDF5 file (or truncated)");
  Handle f(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) throw InputError(path, "cannot open as HDF5 (corrupt or locked)");
  return f;
}

bool exists(hid_t loc, const std::string& path) {
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    prefix += (prefix.empty() ? "" : "/") + path.substr(start, slash - start);
    if (!prefix.empty() && H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = slash + 1;
  }
  return true;
}

void writeStringAttr(hid_t obj, const std::string& name, const std::string& value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create attribute"));
  const char* p = value.c_str();
  check(H5Awrite(attr, type, &p), "write attribute");
}

std::optional<std::string> readStringAttr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  Handle fileType(H5Aget_type(attr));
  if (H5Tget_class(fileType) != H5T_STRING) return std::nullopt;
  Handle space(H5Aget_space(attr));
  if (H5Tis_variable_str(fileType) > 0) {
    Handle memType(H5Tcopy(H5T_C_S1));
    H5Tset_size(memType, H5T_VARIABLE);
    H5Tset_cset(memType, H5Tget_cset(fileType));
    char* p = nullptr;
    if (H5Aread(attr, memType, &p) < 0 || !p) return std::nullopt;
    std::string out(p);
    H5free_memory(p);
    return out;
  }
  const auto size = H5Tget_size(fileType);
  std::string out(size, '\0');
  if (H5Aread(attr, fileType, out.data()) < 0) return std::nullopt;
  out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
  return out;
}

void writeIntAttr(hid_t obj, const std::string& name, std::int64_t value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(check(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create attribute"));
  check(H5Awrite(attr, H5T_NATIVE_INT64, &value), "write attribute");
}

std::optional<std::int64_t> readIntAttr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  std::int64_t v = 0;
  if (H5Aread(attr, H5T_NATIVE_INT64, &v) < 0) return std::nullopt;
  return v;
}

hid_t halfType() {
  static const hid_t type = [] {
    hid_t h = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(h, 15, 10, 5, 0, 10);
    H5Tset_size(h, 2);
    H5Tset_ebias(h, 15);
    return h;
  }();
  return type;
}

std::vector<std::int64_t> datasetShape(hid_t dataset) {
  Handle space(H5Dget_space(dataset));
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

}  // namespace kvwb::core::h5
