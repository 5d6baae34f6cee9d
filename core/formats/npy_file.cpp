// .npy and .npz readers. .npy is memory-mapped; .npz members (stored or deflated) are read with
// libzip on first use and cached.
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <regex>

#include "core/formats/checked_shape.h"
#include "core/base/errors.h"
#include "core/formats/mapped_file.h"
#include "core/formats/npy_header.h"

namespace kvwb::core {

NpyHeader parseNpyHeader(std::span<const std::byte> bytes, std::size_t totalSize,
                         const std::filesystem::path& file, const std::string& name) {
  auto fail = [&](const std::string& what) -> NpyHeader {
    throw InputError(file, (name.empty() ? "" : "member '" + name + "': ") + what);
  };
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return fail("not a .npy array (bad magic or truncated)");
  const auto major = static_cast<unsigned>(bytes[6]);
  std::size_t headerLen = 0, prefix = 0;
  if (major == 1) {
    headerLen = static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return fail("truncated .npy header");
    std::uint32_t len = 0;
    std::memcpy(&len, bytes.data() + 8, 4);
    headerLen = len;
    prefix = 12;
  } else {
    return fail("unsupported .npy format version " + std::to_string(major));
  }
  if (prefix + headerLen > bytes.size())
    return fail("header length " + std::to_string(headerLen) + " runs past the end of the file");
  const std::string header(reinterpret_cast<const char*>(bytes.data() + prefix), headerLen);

  std::smatch m;
  static const std::regex descrRe(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex fortranRe(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shapeRe(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, descrRe)) return fail("header has no 'descr'");
  const std::string descr = m[1];
  if (!std::regex_search(header, m, fortranRe)) return fail("header has no 'fortran_order'");
  if (m[1] == "True")
    return fail("array is Fortran-ordered (not C-contiguous); save it with "
                "numpy.ascontiguousarray first");
  if (!std::regex_search(header, m, shapeRe)) return fail("header has no 'shape'");
  NpyHeader out;
  out.info.name = name;
  const std::string dims = m[1];
  static const std::regex intRe(R"(-?\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), intRe); it != std::sregex_iterator();
       ++it)
    out.info.shape.push_back(std::stoll(it->str()));
  const auto dtype = dtypeFromNumpyDescr(descr);
  if (!dtype)
    return fail("unsupported dtype '" + descr +
                "' (expected little-endian float16/32/64 or integers; store bfloat16 in "
                "safetensors or HDF5)");
  out.info.dtype = *dtype;
  out.dataOffset = prefix + headerLen;
  const auto need = checkedByteSize(file, name, out.info.shape, dtypeSize(out.info.dtype));
  if (out.dataOffset + need > totalSize)
    return fail("truncated: shape " + shapeString(out.info.shape) + " of " +
                dtypeName(out.info.dtype) + " needs " + std::to_string(need) +
                " data bytes, the file has " + std::to_string(totalSize - out.dataOffset));
  return out;
}

namespace {

class NpyFile final : public TensorFile {
 public:
  explicit NpyFile(const std::filesystem::path& path) : TensorFile(path), m_map(path) {
    const auto header = parseNpyHeader(m_map.bytes(), m_map.bytes().size(), path, path.stem().string());
    m_offset = header.dataOffset;
    m_tensors.push_back(header.info);
  }
  std::span<const std::byte> read(const std::string& name) const override {
    if (name != m_tensors[0].name) throw InputError(m_path, "no tensor named '" + name + "'");
    return m_map.bytes().subspan(m_offset, m_tensors[0].nbytes());
  }

 private:
  MappedFile m_map;
  std::size_t m_offset = 0;
};

class NpzFile final : public TensorFile {
 public:
  explicit NpzFile(const std::filesystem::path& path) : TensorFile(path) {
    int err = 0;
    m_zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!m_zip) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      const std::string msg = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      throw InputError(path, "not a readable .npz (zip) archive: " + msg);
    }
    const auto n = zip_get_num_entries(m_zip, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const std::string member = zip_get_name(m_zip, i, 0);
      if (member.size() < 4 || member.substr(member.size() - 4) != ".npy") continue;
      const auto name = member.substr(0, member.size() - 4);
      const auto [prefix, total] = readPrefix(i, member);
      m_headers.push_back(parseNpyHeader(prefix, total, path, name));
      m_tensors.push_back(m_headers.back().info);
      m_index.push_back(i);
    }
  }
  ~NpzFile() override {
    if (m_zip) zip_discard(m_zip);
  }

  std::span<const std::byte> read(const std::string& name) const override {
    for (std::size_t k = 0; k < m_tensors.size(); ++k) {
      if (m_tensors[k].name != name) continue;
      const auto whole = readMember(m_index[k], name + ".npy");
      return whole.subspan(m_headers[k].dataOffset, m_tensors[k].nbytes());
    }
    throw InputError(m_path, "no tensor named '" + name + "'");
  }

 private:
  // The first bytes of a member (enough for any .npy header) and the member's full size.
  std::pair<std::vector<std::byte>, std::size_t> readPrefix(zip_int64_t index,
                                                            const std::string& member) const {
    zip_stat_t st;
    if (zip_stat_index(m_zip, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw InputError(m_path, "member '" + member + "': cannot stat");
    std::vector<std::byte> buf(std::min<zip_uint64_t>(st.size, 65536));
    zip_file_t* f = zip_fopen_index(m_zip, index, 0);
    if (!f) throw InputError(m_path, "member '" + member + "': " + zip_strerror(m_zip));
    const auto got = zip_fread(f, buf.data(), buf.size());
    zip_fclose(f);
    if (got < 0) throw InputError(m_path, "member '" + member + "' is corrupt");
    buf.resize(static_cast<std::size_t>(got));
    return {std::move(buf), static_cast<std::size_t>(st.size)};
  }

  std::span<const std::byte> readMember(zip_int64_t index, const std::string& member) const {
    std::lock_guard lock(m_mutex);
    auto it = m_cache.find(index);
    if (it != m_cache.end()) return it->second;
    zip_stat_t st;
    if (zip_stat_index(m_zip, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw InputError(m_path, "member '" + member + "': cannot stat");
    std::vector<std::byte> buf(st.size);
    zip_file_t* f = zip_fopen_index(m_zip, index, 0);
    if (!f) throw InputError(m_path, "member '" + member + "': " + zip_strerror(m_zip));
    const auto got = zip_fread(f, buf.data(), buf.size());
    const std::string zerr = zip_file_strerror(f);
    zip_fclose(f);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size)
      throw InputError(m_path, "member '" + member + "' is truncated or corrupt: " + zerr);
    return m_cache.emplace(index, std::move(buf)).first->second;
  }

  zip_t* m_zip = nullptr;
  std::vector<NpyHeader> m_headers;
  std::vector<zip_int64_t> m_index;
  mutable std::mutex m_mutex;
  mutable std::map<zip_int64_t, std::vector<std::byte>> m_cache;
};

}  // namespace

std::unique_ptr<TensorFile> openNpy(const std::filesystem::path& path) {
  return std::make_unique<NpyFile>(path);
}
std::unique_ptr<TensorFile> openNpz(const std::filesystem::path& path) {
  return std::make_unique<NpzFile>(path);
}

}  // namespace kvwb::core
