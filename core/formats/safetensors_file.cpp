// Safetensors reader: 8-byte little-endian header length, JSON header, raw little-endian data.
// The file is memory-mapped; every entry's offsets are checked against the real file size.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "core/formats/checked_shape.h"
#include "core/base/errors.h"
#include "core/formats/mapped_file.h"
#include "core/formats/tensor_file.h"

namespace kvwb::core {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // the format's own limit is 100 MB

class SafetensorsFile final : public TensorFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path) : TensorFile(path), m_map(path) {
    const auto bytes = m_map.bytes();
    if (bytes.size() < 8) throw InputError(path, "truncated: shorter than the 8-byte header length");
    std::uint64_t headerLen = 0;
    std::memcpy(&headerLen, bytes.data(), 8);  // little-endian hosts only (x86-64, aarch64)
    if (headerLen > bytes.size() - 8)
      throw InputError(path, "header length " + std::to_string(headerLen) +
                                 " exceeds the file size " + std::to_string(bytes.size()) +
                                 " (truncated file or corrupt header)");
    if (headerLen > kMaxHeaderBytes)
      throw InputError(path, "header length " + std::to_string(headerLen) + " exceeds 100 MB");
    const auto* headerText = reinterpret_cast<const char*>(bytes.data() + 8);
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(headerText, headerText + headerLen);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) throw InputError(path, "header is not a JSON object");
    m_data = bytes.subspan(8 + headerLen);
    parseEntries(header);
  }

  std::span<const std::byte> read(const std::string& name) const override {
    for (std::size_t i = 0; i < m_tensors.size(); ++i)
      if (m_tensors[i].name == name) return m_data.subspan(m_offsets[i], m_tensors[i].nbytes());
    throw InputError(m_path, "no tensor named '" + name + "'");
  }

 private:
  void parseEntries(const nlohmann::json& header) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      auto fail = [&](const std::string& what) {
        throw InputError(m_path, "tensor '" + name + "': " + what);
      };
      if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
          !entry.contains("data_offsets"))
        fail("entry needs dtype, shape and data_offsets");
      TensorInfo info;
      info.name = name;
      const auto dtypeText = entry["dtype"].is_string() ? entry["dtype"].get<std::string>() : "";
      const auto dtype = dtypeFromSafetensors(dtypeText);
      if (!dtype) fail("unknown dtype '" + dtypeText + "'");
      info.dtype = *dtype;
      if (!entry["shape"].is_array()) fail("shape is not an array");
      for (const auto& d : entry["shape"]) {
        if (!d.is_number_integer()) fail("shape holds a non-integer");
        info.shape.push_back(d.get<std::int64_t>());
      }
      const auto& offs = entry["data_offsets"];
      if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() ||
          !offs[1].is_number_unsigned())
        fail("data_offsets must be two non-negative integers");
      const auto begin = offs[0].get<std::uint64_t>(), end = offs[1].get<std::uint64_t>();
      const auto expected = checkedByteSize(m_path, name, info.shape, dtypeSize(info.dtype));
      if (end < begin) fail("data_offsets end before they begin");
      if (end > m_data.size())
        fail("data ends at byte " + std::to_string(end) + " but the data section holds only " +
             std::to_string(m_data.size()) + " bytes (truncated file?)");
      if (end - begin != expected)
        fail("data_offsets span " + std::to_string(end - begin) + " bytes but shape " +
             shapeString(info.shape) + " of " + dtypeName(info.dtype) + " needs " +
             std::to_string(expected));
      ranges.emplace_back(begin, end);
      m_offsets.push_back(begin);
      m_tensors.push_back(std::move(info));
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i)
      if (ranges[i].first < ranges[i - 1].second)
        throw InputError(m_path, "tensor data ranges overlap (corrupt header)");
  }

  MappedFile m_map;
  std::span<const std::byte> m_data;
  std::vector<std::uint64_t> m_offsets;
};

}  // namespace

std::unique_ptr<TensorFile> openSafetensors(const std::filesystem::path& path) {
  return std::make_unique<SafetensorsFile>(path);
}

}  // namespace kvwb::core
