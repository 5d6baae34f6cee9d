// Read-only memory map of a whole file (RAII). Used by the safetensors and .npy readers.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace kvwb::core {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws InputError
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const std::byte> bytes() const { return {m_data, m_size}; }

 private:
  const std::byte* m_data = nullptr;
  std::size_t m_size = 0;
};

}  // namespace kvwb::core
