// HDF5 C API helpers: handles, attributes, shapes, and the checks of untrusted files.
#include "core/formats/h5.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string_view>

#include "core/base/errors.h"
#include "core/formats/checked_shape.h"
#include "core/formats/h5_isolation.h"
#include "core/formats/tensor_file.h"

namespace kvwb::core::h5 {
namespace {

constexpr std::size_t kChunkBytes = 1u << 20;  // chunk size aimed at when none is given

// HDF5 1.10 cannot cleanly close a file whose metadata flush failed (a full disk): the close
// releases the file's descriptor but fails, its identifier stays in the library, and the
// library's exit handler then crashes on it. Every file here is closed by its Handle, so that
// handler is turned off before HDF5 starts (the full-disk test checks no descriptor is kept).
[[maybe_unused]] const herr_t kNoExitHandler = H5dont_atexit();

// Calls `visit` with each leading part of `path` ("a", "a/b", "a/b/c"); stops at the first false.
template <typename Visit>
bool eachPrefix(const std::string& path, Visit&& visit) {
  std::string prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    prefix += (prefix.empty() ? "" : "/") + path.substr(start, slash - start);
    if (!prefix.empty() && !visit(prefix)) return false;
    start = slash + 1;
  }
  return true;
}

// The most specific message on this thread's HDF5 error stack; for a failed system call only its
// error text ("No space left on device"). Empty when the stack is empty.
std::string innermostError() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) noexcept -> herr_t {
        if (n != 0 || !e->desc) return 0;
        try {
          std::string desc = e->desc;
          const std::string key = "error message = '";
          const auto at = desc.find(key);
          if (at != std::string::npos)
            desc = desc.substr(at + key.size(), desc.find('\'', at + key.size()) - at - key.size());
          *static_cast<std::string*>(data) = desc;
        } catch (...) {
          return -1;
        }
        return 0;
      },
      &out);
  return out;
}

// Whether any message on this thread's HDF5 error stack contains `text`.
bool stackMentions(const std::string& text) {
  struct Search {
    const std::string& text;
    bool found = false;
  } search{text};
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* e, void* data) noexcept -> herr_t {
        auto& s = *static_cast<Search*>(data);
        s.found = s.found ||
                  (e->desc && std::string_view(e->desc).find(s.text) != std::string_view::npos);
        return 0;
      },
      &search);
  return search.found;
}

// The name HDF5 knows `object` by ("/captures/cap/keys"), for messages.
std::string objectName(hid_t object) {
  char name[1024] = "";
  H5Iget_name(object, name, sizeof name);
  return name;
}

// Whether the filter pipeline of `dcpl` compresses (a Fletcher32 checksum alone does not).
bool compresses(hid_t dcpl) {
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return false;  // HDF5 filters only chunked data
  const int n = H5Pget_nfilters(dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0;
    std::size_t nValues = 0;
    if (H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nValues, nullptr, 0, nullptr,
                       nullptr) != H5Z_FILTER_FLETCHER32)
      return true;
  }
  return false;
}

// Chunk dimensions for an array of `dims`: the whole array when it holds at most kChunkBytes,
// else single slices of its leading dimensions and, if still larger, a run of its last one.
std::vector<hsize_t> chunkFor(std::vector<hsize_t> dims, std::size_t elementSize) {
  const auto bytes = [&] {
    return std::accumulate(dims.begin(), dims.end(), hsize_t{elementSize}, std::multiplies<>());
  };
  for (std::size_t i = 0; i + 1 < dims.size() && bytes() > kChunkBytes; ++i) dims[i] = 1;
  if (bytes() > kChunkBytes)
    dims.back() = std::max<hsize_t>(1, kChunkBytes * dims.back() / bytes());
  return dims;
}

// Throws InputError when a chunk of `dataset` (its path `name`) that the selection `fileSpace`
// (H5S_ALL: everything) touches is not stored. The workbench writes every chunk, so a missing one
// is a damaged chunk index (the 1.8 format's B-tree has no checksum), where HDF5 reads zeros.
void requireStoredChunks(hid_t dataset, hid_t fileSpace, const std::string& name,
                         const std::filesystem::path& file) {
  const Handle dcpl(H5Dget_create_plist(dataset));
  const auto shape = datasetShape(dataset);
  const int rank = static_cast<int>(shape.size());
  if (H5Pget_layout(dcpl) != H5D_CHUNKED || std::count(shape.begin(), shape.end(), 0) > 0) return;
  std::vector<hsize_t> chunk(shape.size()), first(shape.size(), 0);
  std::vector<hsize_t> last(shape.begin(), shape.end());
  if (H5Pget_chunk(dcpl, rank, chunk.data()) != rank || std::count(chunk.begin(), chunk.end(), 0))
    throw InputError(file, "dataset '" + name + "' has a corrupt chunk layout");
  for (auto& l : last) --l;
  if (fileSpace != H5S_ALL) H5Sget_select_bounds(fileSpace, first.data(), last.data());
  for (int d = 0; d < rank; ++d) first[d] -= first[d] % chunk[d];
  for (auto at = first;;) {  // every chunk offset from `first` to `last`, last dimension fastest
    // The lookup H5Dread makes; H5Dget_chunk_info_by_coord ignores a damaged element offset.
    hsize_t bytes = 0;
    if (H5Dget_chunk_storage_size(dataset, at.data(), &bytes) < 0 || bytes == 0)
      throw InputError(file, "dataset '" + name + "': the chunk at " +
                                 shapeString({at.begin(), at.end()}) +
                                 " is missing (damaged chunk index)");
    int d = rank - 1;
    for (; d >= 0 && (at[d] += chunk[d]) > last[d]; --d) at[d] = first[d];
    if (d < 0) return;
  }
}

// Whether attribute `attr` holds exactly one value: H5Aread writes all of them, and the readers
// here read one (a crafted array attribute would overrun the buffer).
bool singleValue(hid_t attr) {
  const Handle space(H5Aget_space(attr));
  return space.valid() && H5Sget_simple_extent_npoints(space) == 1;
}

// The absolute path of `path` below `loc`, for messages ("/captures/cap/keys").
std::string fullPath(hid_t loc, const std::string& path) {
  const std::string prefix = objectName(loc);
  return (prefix.empty() || prefix == "/" ? "/" : prefix + "/") + path;
}

// Refuses a soft or external link anywhere on `path` below `loc`.
void requireHardLinks(hid_t loc, const std::string& path, const std::filesystem::path& file) {
  eachPrefix(path, [&](const std::string& prefix) {
    H5L_info_t info;
    if (H5Lget_info(loc, prefix.c_str(), &info, H5P_DEFAULT) < 0)
      throw InputError(file,
                       "has no object '" + fullPath(loc, prefix) + "' (or its link is corrupt)");
    if (info.type != H5L_TYPE_HARD)
      throw InputError(file, "'" + fullPath(loc, prefix) + "' is " +
                                 (info.type == H5L_TYPE_SOFT ? "a soft" : "an external") +
                                 " link; links are refused (they can lead outside the file)");
    return true;
  });
}

void requireDataInside(hid_t dataset, const std::string& name, const std::filesystem::path& file) {
  const Handle dcpl(H5Dget_create_plist(dataset));
  if (!dcpl.valid()) throw InputError(file, "dataset '" + name + "' has a corrupt header");
  if (H5Pget_layout(dcpl) == H5D_VIRTUAL)
    throw InputError(file, "dataset '" + name + "' is virtual (data in other files); refused");
  if (H5Pget_external_count(dcpl) != 0)
    throw InputError(file, "dataset '" + name + "' keeps its data in external files; refused");
}

}  // namespace

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

hid_t check(hid_t status, const std::filesystem::path& file, const std::string& what) {
  if (status >= 0) return status;
  const auto cause = innermostError();
  throw InputError(file, "cannot " + what + (cause.empty() ? "" : ": " + cause));
}

Handle openGroup(hid_t loc, const std::string& path, const std::filesystem::path& file) {
  requireHardLinks(loc, path, file);
  Handle g(H5Gopen2(loc, path.c_str(), H5P_DEFAULT));
  if (!g.valid())
    throw InputError(file,
                     "group '" + fullPath(loc, path) + "' cannot be opened (corrupt header?)");
  return g;
}

Handle openDataset(hid_t loc, const std::string& path, const std::filesystem::path& file) {
  requireHardLinks(loc, path, file);
  Handle ds(H5Dopen2(loc, path.c_str(), H5P_DEFAULT));
  if (!ds.valid())
    throw InputError(file,
                     "dataset '" + fullPath(loc, path) + "' cannot be opened (corrupt header?)");
  requireDataInside(ds, fullPath(loc, path), file);
  return ds;
}

std::uint64_t checkedDatasetBytes(hid_t dataset, const std::string& name,
                                  const std::filesystem::path& file) {
  const Handle type(H5Dget_type(dataset));
  const Handle dcpl(H5Dget_create_plist(dataset));
  const Handle space(H5Dget_space(dataset));
  if (!type.valid() || !dcpl.valid() || !space.valid() || H5Sget_simple_extent_ndims(space) < 0)
    throw InputError(file, "dataset '" + name + "' has a corrupt header");
  const auto declared = checkedByteSize(file, name, datasetShape(dataset), H5Tget_size(type));
  const auto stored = H5Dget_storage_size(dataset);
  std::error_code ec;
  const auto fileBytes = std::filesystem::file_size(file, ec);
  if (!ec && stored > fileBytes)  // a damaged chunk index or layout message
    throw InputError(file, "dataset '" + name + "' claims " + std::to_string(stored) +
                               " stored bytes; the file holds only " + std::to_string(fileBytes));
  checkStoredBytes(file, "dataset '" + name + "'", declared, stored, compresses(dcpl));
  return declared;
}

void read(hid_t dataset, hid_t memType, hid_t memSpace, hid_t fileSpace, void* buf,
          const std::filesystem::path& file) {
  requireStoredChunks(dataset, fileSpace, objectName(dataset), file);
  if (H5Dread(dataset, memType, memSpace, fileSpace, H5P_DEFAULT, buf) >= 0) return;
  const bool checksum = stackMentions("Fletcher32");  // before the next call clears the stack
  const auto cause = innermostError();
  const auto what = "dataset '" + objectName(dataset) + "'";
  if (checksum) throw InputError(file, what + ": checksum mismatch: stored data damaged");
  throw InputError(file,
                   what + " cannot be read (corrupt file?)" + (cause.empty() ? "" : ": " + cause));
}

std::vector<std::string> childNames(hid_t group, const std::string& name,
                                    const std::filesystem::path& file) {
  const Handle gcpl(H5Gget_create_plist(group));
  unsigned order = 0;
  const bool tracked = gcpl.valid() && H5Pget_link_creation_order(gcpl, &order) >= 0 &&
                       (order & H5P_CRT_ORDER_INDEXED);
  std::vector<std::string> names;
  const herr_t rc = H5Literate(
      group, tracked ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* link, const H5L_info_t*, void* out) noexcept -> herr_t {
        try {
          static_cast<std::vector<std::string>*>(out)->push_back(link);
        } catch (...) {
          return -1;
        }
        return 0;
      },
      &names);
  if (rc < 0) throw InputError(file, "group '" + name + "' cannot be listed (corrupt file)");
  return names;
}

std::vector<Link> linksBelow(hid_t loc, const std::filesystem::path& file) {
  std::vector<Link> links;
  const herr_t rc = H5Lvisit(
      loc, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* path, const H5L_info_t* info, void* out) noexcept -> herr_t {
        try {
          static_cast<std::vector<Link>*>(out)->push_back({path, info->type});
        } catch (...) {
          return -1;
        }
        return 0;
      },
      &links);
  if (rc < 0) throw InputError(file, "its objects cannot be listed (corrupt file)");
  return links;
}

Handle openFile(const std::filesystem::path& path, bool writable) {
  silenceErrorPrinting();
  if (!std::filesystem::exists(path)) throw InputError(path, "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path, "not an HDF5 file (or truncated)");
  requireSafeToOpen(path);
  return Handle(check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                      path, "open as HDF5 (corrupt, truncated or locked)"));
}

bool exists(hid_t loc, const std::string& path, const std::filesystem::path& file) {
  return eachPrefix(path, [&](const std::string& prefix) {
    const htri_t found = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
    if (found < 0)
      throw InputError(file, "cannot look up '" + fullPath(loc, prefix) + "' (corrupt group?)");
    return found > 0;
  });
}

void writeStringAttr(hid_t obj, const std::string& name, const std::string& value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  if (value.size() > kMaxStringAttrBytes)
    throw std::length_error("string attribute '" + name + "' of " + std::to_string(value.size()) +
                            " bytes exceeds " + std::to_string(kMaxStringAttrBytes));
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, std::max<std::size_t>(1, value.size()));
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create attribute"));
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  check(H5Awrite(attr, type, padded.data()), "write attribute");
}

std::optional<std::string> readStringAttr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  Handle fileType(H5Aget_type(attr));
  if (H5Tget_class(fileType) != H5T_STRING || !singleValue(attr)) return std::nullopt;
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
  if (size == 0 || size > kMaxStringAttrBytes) return std::nullopt;  // corrupt type: no allocation
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
  if (!singleValue(attr) || H5Aread(attr, H5T_NATIVE_INT64, &v) < 0) return std::nullopt;
  return v;
}

Handle createDataset(hid_t loc, const std::string& path, hid_t type,
                     const std::vector<hsize_t>& dims, std::vector<hsize_t> chunk,
                     bool extensible) {
  auto maxDims = dims;
  if (extensible) std::fill(maxDims.begin(), maxDims.end(), H5S_UNLIMITED);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxDims.data()));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  const bool empty = dims.empty() || std::find(dims.begin(), dims.end(), 0) != dims.end();
  if (extensible || !empty) {
    if (chunk.empty()) chunk = chunkFor(dims, H5Tget_size(type));
    check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "chunk dataset");
    check(H5Pset_fletcher32(dcpl), "add the Fletcher32 checksum");
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);  // every chunk is written whole
  }
  return Handle(check(H5Dcreate2(loc, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                      "create dataset"));
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
