// Named tensors read from a dump or checkpoint file: safetensors, .npy, .npz, HDF5.
// Opening validates the whole header against the file's real size; data is then read lazily
// (safetensors and .npy are memory-mapped). Objects are read-only and safe to share across threads.
//
//   auto file = kvwb::core::openTensorFile("cache.safetensors");
//   for (const auto& t : file->tensors()) std::cout << t.name << "\n";
//   auto bytes = file->read("past_key_values.0.key");   // a view valid while `file` lives
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/formats/dtype.h"

namespace kvwb::core {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::int64_t numel() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtypeSize(dtype); }
};

// Shape as "[a, b, c]" for messages.
std::string shapeString(const std::vector<std::int64_t>& shape);

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  const std::filesystem::path& path() const { return m_path; }
  const std::vector<TensorInfo>& tensors() const { return m_tensors; }
  const TensorInfo* find(const std::string& name) const;  // nullptr when absent
  // Bytes of tensor `name` in C order. The span stays valid while this object lives.
  // Throws InputError naming the file when absent or unreadable.
  virtual std::span<const std::byte> read(const std::string& name) const = 0;

 protected:
  explicit TensorFile(std::filesystem::path path) : m_path(std::move(path)) {}
  std::filesystem::path m_path;
  std::vector<TensorInfo> m_tensors;
};

// Opens by suffix (dumpSuffixes(), any case). Throws InputError on any defect.
std::unique_ptr<TensorFile> openTensorFile(const std::filesystem::path& path);

// The dump suffixes openTensorFile reads, lower case with the dot: ".safetensors", ".npy", ".npz",
// ".h5", ".hdf5", ".hdf". Import, the CLI and the GUI's file dialog and drop check use this list.
const std::vector<std::string>& dumpSuffixes();
bool isDumpFile(const std::filesystem::path& path);  // its suffix is one of them, in any case
std::string dumpSuffixesText();                       // ".safetensors, .npy, ... or .hdf"

std::unique_ptr<TensorFile> openSafetensors(const std::filesystem::path& path);
std::unique_ptr<TensorFile> openNpy(const std::filesystem::path& path);  // one tensor: file stem
std::unique_ptr<TensorFile> openNpz(const std::filesystem::path& path);  // members minus ".npy"
std::unique_ptr<TensorFile> openHdf5Dump(const std::filesystem::path& path);  // every dataset, by path

}  // namespace kvwb::core
