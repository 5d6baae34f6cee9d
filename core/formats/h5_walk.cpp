// The metadata walk of kvwb-h5check (see h5_walk.h): a recursion over hard links that reuses the
// readers' own helpers (h5.h) wherever they exist, so that it takes the same paths into libhdf5.
#include "core/formats/h5_walk.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "core/base/errors.h"
#include "core/formats/h5.h"

namespace kvwb::core::h5 {
namespace {

// Whether values of `type` hold variable-length parts (sequences or strings) anywhere inside.
bool hasVariableLength(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_VLEN: return true;
    case H5T_STRING: return H5Tis_variable_str(type) > 0;
    case H5T_ARRAY: {
      const Handle base(H5Tget_super(type));
      return base.valid() && hasVariableLength(base);
    }
    case H5T_COMPOUND: {
      const int n = H5Tget_nmembers(type);
      for (int i = 0; i < n; ++i) {
        const Handle member(H5Tget_member_type(type, static_cast<unsigned>(i)));
        if (member.valid() && hasVariableLength(member)) return true;
      }
      return false;
    }
    default: return false;
  }
}

// A zeroed buffer of at least `bytes`, aligned for any value HDF5 converts into it.
std::vector<std::max_align_t> buffer(std::size_t bytes) {
  return std::vector<std::max_align_t>((bytes + sizeof(std::max_align_t) - 1) /
                                       sizeof(std::max_align_t));
}

class Walker {
 public:
  explicit Walker(const std::filesystem::path& file) : m_file(file) {}

  WalkSummary run() {
    silenceErrorPrinting();
    Handle file;
    step([&] {
      file = Handle(check(H5Fopen(m_file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open as HDF5"));
    });
    if (!file.valid()) return m_summary;
    step([&] { linksBelow(file, m_file); });  // the dump reader's walk: every group's name index
    Handle root;
    step([&] { root = Handle(check(H5Gopen2(file, "/", H5P_DEFAULT), "open group '/'")); });
    if (!root.valid()) return m_summary;
    H5O_info_t info{};
    step([&] { check(H5Oget_info(root, &info), "read the object header of '/'"); });
    m_visited.insert(info.addr);
    group(root, "", 0);
    return m_summary;
  }

 private:
  // Runs `body`; the InputError it throws is counted and the walk goes on.
  template <typename Body>
  void step(Body&& body) {
    try {
      body();
    } catch (const InputError& e) {
      if (m_summary.problems++ == 0) m_summary.firstProblem = e.problem();
    }
  }

  hid_t check(hid_t status, const std::string& what) const {
    return h5::check(status, m_file, what);
  }

  // Group `g` at `path` ("" for the root): its attributes and the links it lists.
  void group(hid_t g, const std::string& path, int depth) {
    ++m_summary.objects;
    attributes(g, path.empty() ? "/" : path);
    std::vector<std::string> names;
    step([&] { names = childNames(g, path.empty() ? "/" : path, m_file); });
    for (const auto& name : names) step([&] { link(g, path, name, depth); });
  }

  // The link `name` of group `parent` (at `parentPath`) and, for a hard link, its object.
  void link(hid_t parent, const std::string& parentPath, const std::string& name, int depth) {
    const std::string path = parentPath + "/" + name;
    exists(parent, name, m_file);  // the lookup by name that readers make
    H5L_info_t linkInfo;
    check(H5Lget_info(parent, name.c_str(), &linkInfo, H5P_DEFAULT),
          "read the link '" + path + "'");
    if (linkInfo.type != H5L_TYPE_HARD) return;  // readers refuse soft and external links
    H5O_info_t info;
    check(H5Oget_info_by_name(parent, name.c_str(), &info, H5P_DEFAULT),
          "read the object header of '" + path + "'");
    if (!m_visited.insert(info.addr).second) return;  // reached before (a second link, a cycle)
    switch (info.type) {
      case H5O_TYPE_GROUP:
        if (depth + 1 > kWalkMaxDepth)
          throw InputError(m_file, "groups nest deeper than " + std::to_string(kWalkMaxDepth) +
                                       " at '" + path + "'; not walked further");
        group(openGroup(parent, name, m_file), path, depth + 1);
        break;
      case H5O_TYPE_DATASET: dataset(parent, name, path); break;
      default: {
        ++m_summary.objects;
        const Handle object(
            check(H5Oopen(parent, name.c_str(), H5P_DEFAULT), "open '" + path + "'"));
        attributes(object, path);
      }
    }
  }

  void dataset(hid_t parent, const std::string& name, const std::string& path) {
    ++m_summary.objects;
    const auto ds = openDataset(parent, name, m_file);  // refused external or virtual: stop here
    attributes(ds, path);
    step([&] { checkedDatasetBytes(ds, path, m_file); });
    step([&] { chunkIndex(ds, path); });
    step([&] { variableLengthContents(ds, path); });
  }

  void chunkIndex(hid_t ds, const std::string& path) {
    const Handle dcpl(check(H5Dget_create_plist(ds), "read the layout of '" + path + "'"));
    if (H5Pget_layout(dcpl) != H5D_CHUNKED) return;
    const Handle space(check(H5Dget_space(ds), "read the dataspace of '" + path + "'"));
    hsize_t chunks = 0;
    check(H5Dget_num_chunks(ds, space, &chunks), "walk the chunk index of '" + path + "'");
    m_summary.chunks += chunks;
    std::vector<hsize_t> offset(datasetShape(ds).size() + 1);  // + 1: never empty
    for (hsize_t i = 0; i < std::min<hsize_t>(chunks, kWalkChunksByIndex); ++i) {
      unsigned filters = 0;
      haddr_t address = HADDR_UNDEF;
      hsize_t bytes = 0;
      check(H5Dget_chunk_info(ds, space, i, offset.data(), &filters, &address, &bytes),
            "look up chunk " + std::to_string(i) + " of '" + path + "'");
      check(H5Dget_chunk_storage_size(ds, offset.data(), &bytes),
            "look up chunk " + std::to_string(i) + " of '" + path + "' by its offset");
    }
  }

  // The first kWalkVariableLengthElements elements (whole rows) of a variable-length dataset.
  void variableLengthContents(hid_t ds, const std::string& path) {
    const Handle type(check(H5Dget_type(ds), "read the type of '" + path + "'"));
    if (!hasVariableLength(type)) return;
    const Handle memType(
        check(H5Tget_native_type(type, H5T_DIR_ASCEND), "convert the type of '" + path + "'"));
    const auto shape = datasetShape(ds);
    std::vector<hsize_t> count(shape.begin(), shape.end());
    constexpr hsize_t kLimit = kWalkVariableLengthElements;
    const auto times = [](hsize_t a, hsize_t b) {  // saturates at kLimit + 1: no wrap-around
      return b != 0 && a > kLimit / b ? kLimit + 1 : a * b;
    };
    hsize_t rowElements = 1;
    for (std::size_t d = 1; d < count.size(); ++d) rowElements = times(rowElements, count[d]);
    if (!count.empty() && rowElements > 0) count[0] = std::min(count[0], kLimit / rowElements);
    const hsize_t elements = count.empty() ? 1 : count[0] * rowElements;
    if (elements == 0) return;
    const Handle fileSpace(check(H5Dget_space(ds), "read the dataspace of '" + path + "'"));
    const std::vector<hsize_t> start(count.size(), 0);
    if (!count.empty())
      check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                nullptr),
            "select rows of '" + path + "'");
    const Handle memSpace(
        count.empty() ? H5Screate(H5S_SCALAR)
                      : H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
    auto values = buffer(elements * H5Tget_size(memType));
    check(H5Dread(ds, memType, memSpace, fileSpace, H5P_DEFAULT, values.data()),
          "read the variable-length values of '" + path + "'");
    m_summary.variableLengthElements += elements;
    H5Dvlen_reclaim(memType, memSpace, H5P_DEFAULT, values.data());
  }

  // Every attribute of `object` (at `path`), found by iterating its name index.
  void attributes(hid_t object, const std::string& path) {
    std::vector<std::string> names;
    step([&] {
      check(H5Aiterate2(
                object, H5_INDEX_NAME, H5_ITER_INC, nullptr,
                [](hid_t, const char* name, const H5A_info_t*, void* out) noexcept -> herr_t {
                  try {
                    static_cast<std::vector<std::string>*>(out)->push_back(name);
                  } catch (...) {
                    return -1;
                  }
                  return 0;
                },
                &names),
            "list the attributes of '" + path + "'");
    });
    for (const auto& name : names) step([&] { attribute(object, path, name); });
  }

  // Attribute `name`: a single string or number the way the readers read one
  // (readStringAttr, readIntAttr), and every attribute converted to its native memory type.
  void attribute(hid_t object, const std::string& path, const std::string& name) {
    ++m_summary.attributes;
    const std::string what = "attribute '" + name + "' of '" + path + "'";
    const Handle attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open " + what));
    const Handle type(check(H5Aget_type(attr), "read the type of " + what));
    const Handle space(check(H5Aget_space(attr), "read the dataspace of " + what));
    const auto elements = static_cast<std::uint64_t>(
        check(H5Sget_simple_extent_npoints(space), "read the dataspace of " + what));
    const auto kind = H5Tget_class(type);
    if (elements == 1 && kind == H5T_STRING) readStringAttr(object, name);
    if (elements == 1 && (kind == H5T_INTEGER || kind == H5T_FLOAT)) readIntAttr(object, name);
    const Handle memType(
        check(H5Tget_native_type(type, H5T_DIR_ASCEND), "convert the type of " + what));
    const auto size = H5Tget_size(memType);
    if (size == 0 || elements > kMaxStringAttrBytes / size) return;  // too large to read
    auto values = buffer(elements * size);
    check(H5Aread(attr, memType, values.data()), "read " + what);
    if (hasVariableLength(memType)) H5Dvlen_reclaim(memType, space, H5P_DEFAULT, values.data());
  }

  std::filesystem::path m_file;
  std::set<haddr_t> m_visited;  // object header addresses of the groups and objects reached
  WalkSummary m_summary;
};

}  // namespace

WalkSummary walkMetadata(const std::filesystem::path& file) { return Walker(file).run(); }

}  // namespace kvwb::core::h5
