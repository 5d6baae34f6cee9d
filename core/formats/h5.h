// Thin RAII and helper layer over the HDF5 C API, shared by the project file and the HDF5 dump
// reader. HDF5 is built thread-safe in Debian but serialises calls; use from any thread.
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

// Opens a file; nullopt-free: throws InputError naming the file when it is not HDF5.
Handle openFile(const std::filesystem::path& path, bool writable);

bool exists(hid_t loc, const std::string& path);  // link exists (each path element checked)

// String attributes (variable-length UTF-8) and scalar integer attributes.
void writeStringAttr(hid_t obj, const std::string& name, const std::string& value);
std::optional<std::string> readStringAttr(hid_t obj, const std::string& name);
void writeIntAttr(hid_t obj, const std::string& name, std::int64_t value);
std::optional<std::int64_t> readIntAttr(hid_t obj, const std::string& name);

// IEEE binary16 little-endian (HDF5 1.10 has no predefined one); owned by the library.
hid_t halfType();

// Dimensions of a dataset.
std::vector<std::int64_t> datasetShape(hid_t dataset);

// Throws std::runtime_error with `what` when `status` < 0 (internal HDF5 failures).
hid_t check(hid_t status, const char* what);

}  // namespace kvwb::core::h5
