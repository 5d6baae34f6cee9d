// .npy and .npz readers. .npy is memory-mapped; .npz members (stored or deflated) are read with
// libzip on first use, checked against their size and CRC-32, and cached.
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/base/errors.h"
#include "core/formats/checked_shape.h"
#include "core/formats/mapped_file.h"
#include "core/formats/npy_header.h"

namespace kvwb::core {

namespace {

struct NpyFields {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<std::int64_t>> shape;
};

// Single-pass parser of the Python dict literal in a .npy header: {'key': value, ...} with string,
// True/False and integer-tuple values. Hand-written (no regex) so that its stack use does not grow
// with the header. A key given twice keeps its last value, as Python's dict (and numpy) does.
class NpyDictParser {
 public:
  // `file` and `label` ("member 'x': " or empty) only name errors.
  NpyDictParser(std::string_view text, const std::filesystem::path& file, std::string label)
      : m_text(text), m_file(file), m_label(std::move(label)) {}

  NpyFields parse() {
    NpyFields out;
    expect('{');
    while (!peekIs('}')) {
      const auto key = parseString();
      expect(':');
      if (key == "descr") {
        if (!peekIs('\'') && !peekIs('"'))
          error("'descr' is not a string (structured dtypes are not supported)");
        out.descr = parseString();
      } else if (key == "fortran_order") {
        out.fortranOrder = parseBool();
      } else if (key == "shape") {
        out.shape = parseShape();
      } else {
        error("unexpected key '" + key + "'");
      }
      if (!peekIs(',')) break;
      ++m_pos;
    }
    expect('}');
    skipSpace();
    if (m_pos != m_text.size()) error("text after the closing '}'");
    return out;
  }

 private:
  [[noreturn]] void error(const std::string& what) {
    throw InputError(m_file, m_label + "malformed header at byte " + std::to_string(m_pos) + ": " +
                                 what);
  }
  void skipSpace() {
    while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos]))) ++m_pos;
  }
  bool peekIs(char c) {
    skipSpace();
    return m_pos < m_text.size() && m_text[m_pos] == c;
  }
  void expect(char c) {
    if (!peekIs(c)) error(std::string("expected '") + c + "'");
    ++m_pos;
  }
  std::string parseString() {
    skipSpace();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"'))
      error("expected a quoted string");
    const char quote = m_text[m_pos++];
    const auto close = m_text.find(quote, m_pos);
    if (close == std::string_view::npos) error("unterminated string");
    std::string s(m_text.substr(m_pos, close - m_pos));
    m_pos = close + 1;
    return s;
  }
  bool parseBool() {
    skipSpace();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (m_text.substr(m_pos).starts_with(word)) {
        m_pos += std::string_view(word).size();
        return value;
      }
    }
    error("expected True or False");
  }
  std::vector<std::int64_t> parseShape() {
    std::vector<std::int64_t> shape;
    expect('(');
    while (!peekIs(')')) {
      if (shape.size() == kMaxNpyRank)
        error("shape has more than " + std::to_string(kMaxNpyRank) + " dimensions");
      shape.push_back(parseInt());
      if (peekIs('L')) ++m_pos;  // Python 2 long suffix, in headers numpy wrote under Python 2
      if (!peekIs(',')) break;
      ++m_pos;
    }
    expect(')');
    return shape;
  }
  std::int64_t parseInt() {
    skipSpace();
    const bool negative = m_pos < m_text.size() && m_text[m_pos] == '-';
    if (negative) ++m_pos;
    const auto begin = m_pos;
    std::int64_t v = 0;
    while (m_pos < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_pos]))) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, m_text[m_pos] - '0', &v))
        error("shape dimension does not fit in 64 bits");
      ++m_pos;
    }
    if (m_pos == begin) error("expected an integer in the shape");
    return negative ? -v : v;
  }

  std::string_view m_text;
  const std::filesystem::path& m_file;
  std::string m_label;
  std::size_t m_pos = 0;
};

}  // namespace

NpyHeader parseNpyHeader(std::span<const std::byte> bytes, std::size_t totalSize,
                         const std::filesystem::path& file, const std::string& name) {
  const std::string label = name.empty() ? "" : "member '" + name + "': ";
  auto fail = [&](const std::string& what) -> NpyHeader {
    throw InputError(file, label + what);
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
  if (headerLen > kMaxNpyHeaderBytes)
    return fail("header of " + std::to_string(headerLen) + " bytes exceeds the limit of " +
                std::to_string(kMaxNpyHeaderBytes) + " bytes");
  if (prefix + headerLen > bytes.size())
    return fail("header length " + std::to_string(headerLen) + " runs past the end of the file");
  const std::string_view header(reinterpret_cast<const char*>(bytes.data() + prefix), headerLen);
  const auto fields = NpyDictParser(header, file, label).parse();
  if (!fields.descr) return fail("header has no 'descr'");
  if (!fields.fortranOrder) return fail("header has no 'fortran_order'");
  if (*fields.fortranOrder)
    return fail("array is Fortran-ordered (not C-contiguous); save it with "
                "numpy.ascontiguousarray first");
  if (!fields.shape) return fail("header has no 'shape'");
  const std::string& descr = *fields.descr;
  NpyHeader out;
  out.info.name = name;
  out.info.shape = *fields.shape;
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
  explicit NpzFile(const std::filesystem::path& path)
      : TensorFile(path), m_archiveSize(std::filesystem::file_size(path)) {
    int err = 0;
    m_zip.reset(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err));
    if (!m_zip) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      const std::string msg = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      throw InputError(path, "not a readable .npz (zip) archive: " + msg);
    }
    const auto n = zip_get_num_entries(m_zip.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* raw = zip_get_name(m_zip.get(), i, 0);
      if (!raw) throw InputError(path, "entry " + std::to_string(i) + " has no readable name");
      const std::string member = raw;
      if (member.size() < 4 || member.substr(member.size() - 4) != ".npy") continue;
      const auto name = member.substr(0, member.size() - 4);
      const auto [prefix, total] = readPrefix(i, member);
      m_headers.push_back(parseNpyHeader(prefix, total, path, name));
      m_tensors.push_back(m_headers.back().info);
      m_index.push_back(i);
    }
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
  // A member's stat, checked before anything is allocated or inflated: it must be stored or
  // deflated (what numpy writes), its compressed bytes must fit in the archive, and its size must
  // be one those bytes can hold (kMaxCompressionRatio).
  zip_stat_t statMember(zip_int64_t index, const std::string& member) const {
    zip_stat_t st;
    constexpr auto kNeeded =
        ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC;
    if (zip_stat_index(m_zip.get(), index, 0, &st) != 0 || (st.valid & kNeeded) != kNeeded)
      throw InputError(m_path, "member '" + member + "': cannot stat");
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
      throw InputError(m_path, "member '" + member + "' uses compression method " +
                                   std::to_string(st.comp_method) +
                                   " (numpy writes stored or deflated members)");
    if (st.comp_size > m_archiveSize)
      throw InputError(m_path, "member '" + member + "' claims " + std::to_string(st.comp_size) +
                                   " compressed bytes, more than the archive's " +
                                   std::to_string(m_archiveSize));
    checkStoredBytes(m_path, "member '" + member + "'", st.size, st.comp_size,
                     st.comp_method == ZIP_CM_DEFLATE);
    return st;
  }

  // Up to `limit` first bytes of a member (inflated).
  std::vector<std::byte> readBytes(zip_int64_t index, const std::string& member,
                                   std::size_t limit) const {
    std::vector<std::byte> buf(limit);
    zip_file_t* f = zip_fopen_index(m_zip.get(), index, 0);
    if (!f) throw InputError(m_path, "member '" + member + "': " + zip_strerror(m_zip.get()));
    const auto got = zip_fread(f, buf.data(), buf.size());
    const std::string zerr = zip_file_strerror(f);
    zip_fclose(f);
    if (got < 0) throw InputError(m_path, "member '" + member + "' is corrupt: " + zerr);
    buf.resize(static_cast<std::size_t>(got));
    return buf;
  }

  // The first bytes of a member (enough for any .npy header) and the member's full size.
  std::pair<std::vector<std::byte>, std::size_t> readPrefix(zip_int64_t index,
                                                            const std::string& member) const {
    const auto st = statMember(index, member);
    const auto limit = std::min<zip_uint64_t>(st.size, kNpyPrefixBytes + kMaxNpyHeaderBytes);
    return {readBytes(index, member, limit), static_cast<std::size_t>(st.size)};
  }

  // The whole member, inflated and checked against its size and CRC-32.
  std::span<const std::byte> readMember(zip_int64_t index, const std::string& member) const {
    std::lock_guard lock(m_mutex);
    auto it = m_cache.find(index);
    if (it != m_cache.end()) return it->second;
    const auto st = statMember(index, member);
    auto buf = readBytes(index, member, st.size);
    if (buf.size() != st.size)
      throw InputError(m_path, "member '" + member +
                                   "' is truncated: " + std::to_string(buf.size()) + " of " +
                                   std::to_string(st.size) + " bytes");
    const auto crc = crc32_z(0L, reinterpret_cast<const Bytef*>(buf.data()), buf.size());
    if (crc != st.crc)
      throw InputError(m_path, "member '" + member + "' fails its CRC-32 check (corrupt data)");
    return m_cache.emplace(index, std::move(buf)).first->second;
  }

  struct ZipCloser {
    void operator()(zip_t* z) const { zip_discard(z); }
  };
  std::uint64_t m_archiveSize = 0;
  std::unique_ptr<zip_t, ZipCloser> m_zip;
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
