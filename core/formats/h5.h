// Thin RAII and helper layer over the HDF5 C API, shared by the project file and the HDF5 dump
// reader, with the checks every untrusted file gets (hard links only, data inside the file, sizes
// checked before allocating). No exception ever leaves an HDF5 callback. HDF5 is built
// thread-safe in Debian but serialises calls; use from any thread.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kvwb::core::h5 {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : m_id(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : m_id(o.m_id) { o.m_id = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) { reset(); m_id = o.m_id; o.m_id = H5I_INVALID_HID; }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return m_id; }
  operator hid_t() const { return m_id; }
  bool valid() const { return m_id >= 0; }
  void reset();

 private:
  hid_t m_id = H5I_INVALID_HID;
};

// Silences HDF5's automatic error stack printing for this process (we report our own errors).
void silenceErrorPrinting();

// Opens a file; nullopt-free: throws InputError naming the file when it is not HDF5, or when
// requireSafeToOpen (h5_isolation.h) finds that reading its metadata crashes or hangs libhdf5.
Handle openFile(const std::filesystem::path& path, bool writable);

// Whether a link `path` below `loc` exists (each path element checked); throws InputError naming
// `file` when a group on the way cannot be read (a corrupt group is not an absent one).
bool exists(hid_t loc, const std::string& path, const std::filesystem::path& file);

// Longest string attribute written or read (capture metadata holds the prompt text).
inline constexpr std::size_t kMaxStringAttrBytes = std::size_t{16} << 20;

// String attributes and scalar integer attributes. Strings are written fixed-length (as many bytes
// as the value, at least 1; UTF-8, zero-padded): variable-length ones would live in HDF5's global
// heap, which has no checksum. Both kinds are read; an attribute holding more than one value
// reads as absent.
void writeStringAttr(hid_t obj, const std::string& name, const std::string& value);
std::optional<std::string> readStringAttr(hid_t obj, const std::string& name);
void writeIntAttr(hid_t obj, const std::string& name, std::int64_t value);
std::optional<std::int64_t> readIntAttr(hid_t obj, const std::string& name);

// IEEE binary16 little-endian (HDF5 1.10 has no predefined one); owned by the library.
hid_t halfType();

// Creates dataset `path` below `loc`, stored in chunks of `chunk` (default: the whole array, cut
// down to about 1 MiB) that each carry a Fletcher32 checksum, which every read verifies.
// `extensible`: every dimension can grow. An array with no elements (or no dimensions) is not
// chunked: it stores nothing to check.
Handle createDataset(hid_t loc, const std::string& path, hid_t type,
                     const std::vector<hsize_t>& dims, std::vector<hsize_t> chunk = {},
                     bool extensible = false);

// Dimensions of a dataset.
std::vector<std::int64_t> datasetShape(hid_t dataset);

// Throws std::runtime_error with `what` when `status` < 0 (internal HDF5 failures).
hid_t check(hid_t status, const char* what);
// Throws InputError naming `file`, `what` and the innermost HDF5 error (a system error such as
// "No space left on device" where there is one) when `status` < 0.
hid_t check(hid_t status, const std::filesystem::path& file, const std::string& what);

// ---- Untrusted files: each of these throws InputError naming `file` and the object.

// Opens group / dataset `path` below `loc`. Every link on the way must be a hard link (soft and
// external links are refused: they can lead outside the file), the object header must be
// readable, and a dataset's raw data must live in this file (no external storage, no virtual
// dataset).
Handle openGroup(hid_t loc, const std::string& path, const std::filesystem::path& file);
Handle openDataset(hid_t loc, const std::string& path, const std::filesystem::path& file);
// Declared byte size of `dataset` (`name` labels errors), checked against kMaxTensorElements and
// against the bytes the file really stores for it, so that a corrupt dimension fails here
// instead of in an allocation.
std::uint64_t checkedDatasetBytes(hid_t dataset, const std::string& name,
                                  const std::filesystem::path& file);
// H5Dread of `dataset`; throws InputError naming `file` and the dataset's path when a chunk the
// read needs is missing (the workbench writes every chunk, so that is a damaged chunk index), with
// "checksum mismatch: stored data damaged" when a Fletcher32 checksum fails, else with the
// innermost HDF5 error when the read fails.
void read(hid_t dataset, hid_t memType, hid_t memSpace, hid_t fileSpace, void* buf,
          const std::filesystem::path& file);
// Names of the links in `group` (its path `name` labels errors), in creation order where the
// group tracks it, else in name order.
std::vector<std::string> childNames(hid_t group, const std::string& name,
                                    const std::filesystem::path& file);
// Every link below `loc` (recursively through hard-linked groups), by path.
struct Link {
  std::string path;
  H5L_type_t type = H5L_TYPE_HARD;
};
std::vector<Link> linksBelow(hid_t loc, const std::filesystem::path& file);

}  // namespace kvwb::core::h5
