// Compound-type results table in HDF5. Columns: layer, head, kind, params, one float64 per fit
// metric (fit_metric_table.h, named by its column), device. Rows are packed into byte records
// whose compound type is built per table: strings are written fixed-length (as wide as the
// longest value), and read fixed or variable-length (tables of older versions) as the file has
// them. HDF5 converts compound members by name, so a table written before a metric existed reads
// it as NaN. Appending rows that the table's columns cannot hold (a missing metric, strings longer
// than its widths, variable-length strings) rewrites the table with every row.
#include "core/project/results_table.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "core/base/errors.h"
#include "core/formats/h5.h"

namespace kvwb::core {
namespace {

// One column of the table and the ResultRow field it holds.
struct Column {
  enum Kind { Int32, Real, Text };
  const char* name;
  Kind kind;
  std::int32_t ResultRow::*integer = nullptr;
  std::string ResultRow::*text = nullptr;
  std::size_t metric = 0;
};

const std::vector<Column>& columns() {
  static const std::vector<Column> all = [] {
    std::vector<Column> c{{"layer", Column::Int32, &ResultRow::layer},
                          {"head", Column::Int32, &ResultRow::head},
                          {"kind", Column::Text, nullptr, &ResultRow::kind},
                          {"params", Column::Text, nullptr, &ResultRow::paramsJson}};
    for (const auto& m : fitMetrics())
      c.push_back({m.column, Column::Real, nullptr, nullptr, static_cast<std::size_t>(m.id)});
    c.push_back({"device", Column::Text, nullptr, &ResultRow::device});
    return c;
  }();
  return all;
}

// A column's place in a packed record: its offset and size; `vlen` for a char* to a
// variable-length string.
struct Member {
  const Column* column;
  std::size_t offset, size;
  bool vlen;
};

// Packed records of some columns: the compound type over one record and where each column sits.
struct Layout {
  h5::Handle type;
  std::size_t size = 0;
  std::vector<Member> members;
};

// A string of `width` bytes, zero-padded, or variable-length (width H5T_VARIABLE). HDF5 converts
// no variable-length string between character sets: readers take the file's.
h5::Handle stringType(std::size_t width, H5T_cset_t cset = H5T_CSET_UTF8) {
  h5::Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t, width);
  if (width != H5T_VARIABLE) H5Tset_strpad(t, H5T_STR_NULLPAD);
  H5Tset_cset(t, cset);
  return t;
}

h5::Handle numberType(const Column& c) {
  return h5::Handle(H5Tcopy(c.kind == Column::Int32 ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE));
}

Layout layoutOf(std::vector<std::pair<const Column*, h5::Handle>> types) {
  Layout l;
  for (const auto& [column, type] : types) l.size += H5Tget_size(type);
  l.type = h5::Handle(h5::check(H5Tcreate(H5T_COMPOUND, l.size), "create results type"));
  std::size_t offset = 0;
  for (const auto& [column, type] : types) {
    h5::check(H5Tinsert(l.type, column->name, offset, type), "build results type");
    l.members.push_back({column, offset, H5Tget_size(type), H5Tis_variable_str(type) > 0});
    offset += H5Tget_size(type);
  }
  return l;
}

// Every column, strings as wide as the longest value in `rows` (at least 1 byte).
Layout layoutFor(const std::vector<ResultRow>& rows) {
  std::vector<std::pair<const Column*, h5::Handle>> types;
  for (const auto& c : columns()) {
    std::size_t width = 1;
    if (c.kind == Column::Text)
      for (const auto& r : rows) width = std::max(width, (r.*c.text).size());
    types.emplace_back(&c, c.kind == Column::Text ? stringType(width) : numberType(c));
  }
  return layoutOf(std::move(types));
}

// The columns that `fileType` has, strings fixed or variable-length as there.
Layout layoutFor(hid_t fileType) {
  std::vector<std::pair<const Column*, h5::Handle>> types;
  for (const auto& c : columns()) {
    const int index = H5Tget_member_index(fileType, c.name);
    if (index < 0) continue;
    const h5::Handle member(H5Tget_member_type(fileType, static_cast<unsigned>(index)));
    const bool fixed = H5Tget_class(member) == H5T_STRING && H5Tis_variable_str(member) == 0;
    types.emplace_back(
        &c, c.kind != Column::Text
                ? numberType(c)
                : stringType(fixed ? H5Tget_size(member) : H5T_VARIABLE, H5Tget_cset(member)));
  }
  return layoutOf(std::move(types));
}

// Whether `table` (a layout from the file) has every column, with fixed strings as wide as
// `fresh` (the layout `rows` need).
bool holds(const Layout& table, const Layout& fresh) {
  return table.members.size() == fresh.members.size() &&
         std::equal(table.members.begin(), table.members.end(), fresh.members.begin(),
                    [](const Member& t, const Member& f) {
                      return !t.vlen && (t.column->kind != Column::Text || t.size >= f.size);
                    });
}

std::vector<std::byte> pack(const Layout& l, const std::vector<ResultRow>& rows) {
  std::vector<std::byte> buf(rows.size() * l.size);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (const auto& m : l.members) {
      std::byte* at = buf.data() + i * l.size + m.offset;
      const auto& c = *m.column;
      if (c.kind == Column::Int32) std::memcpy(at, &(rows[i].*c.integer), m.size);
      if (c.kind == Column::Real) std::memcpy(at, &rows[i].metrics[c.metric], m.size);
      if (c.kind == Column::Text)
        std::memcpy(at, (rows[i].*c.text).data(), (rows[i].*c.text).size());
    }
  return buf;
}

ResultRow unpack(const Layout& l, const std::byte* record) {
  ResultRow r;
  for (const auto& m : l.members) {
    const std::byte* at = record + m.offset;
    const auto& c = *m.column;
    if (c.kind == Column::Int32) std::memcpy(&(r.*c.integer), at, m.size);
    if (c.kind == Column::Real) std::memcpy(&r.metrics[c.metric], at, m.size);
    if (c.kind != Column::Text) continue;
    const char* text = reinterpret_cast<const char*>(at);
    if (m.vlen) std::memcpy(&text, at, sizeof text);
    r.*c.text = !text ? "" : m.vlen ? std::string(text) : std::string(text, strnlen(text, m.size));
  }
  return r;
}

// "/runs/<id>/results", for messages.
std::string tablePath(hid_t runGroup) {
  char name[512] = "";
  H5Iget_name(runGroup, name, sizeof name);
  return std::string(name) + "/results";
}

// The table of `runGroup`, its size checked against the bytes the file stores for it.
h5::Handle openTable(hid_t runGroup, const std::filesystem::path& file) {
  auto ds = h5::openDataset(runGroup, "results", file);
  const h5::Handle type(H5Dget_type(ds));
  if (H5Tget_class(type) != H5T_COMPOUND || H5Tget_member_index(type, "layer") < 0)
    throw InputError(file, tablePath(runGroup) + " is not a results table (no 'layer' column)");
  if (h5::datasetShape(ds).size() != 1)
    throw InputError(file, tablePath(runGroup) + " is not a one-dimensional table");
  h5::checkedDatasetBytes(ds, tablePath(runGroup), file);
  return ds;
}

}  // namespace

void appendResults(hid_t runGroup, const std::vector<ResultRow>& rows,
                   const std::filesystem::path& file) {
  if (rows.empty()) return;
  h5::Handle ds;
  auto layout = layoutFor(rows);
  if (h5::exists(runGroup, "results", file)) {
    ds = openTable(runGroup, file);
    auto table = layoutFor(h5::Handle(H5Dget_type(ds)));
    if (!holds(table, layout)) {  // too narrow or too old: rewrite with every row
      auto all = readResults(runGroup, file);
      all.insert(all.end(), rows.begin(), rows.end());
      ds.reset();
      h5::check(H5Ldelete(runGroup, "results", H5P_DEFAULT), "replace results table");
      return appendResults(runGroup, all, file);
    }
    layout = std::move(table);
  } else {
    ds = h5::createDataset(runGroup, "results", layout.type, {0}, {256}, true);
  }
  const auto old = static_cast<hsize_t>(h5::datasetShape(ds).at(0));
  const hsize_t add = rows.size(), total = old + add;
  h5::check(H5Dset_extent(ds, &total), "extend results table");
  const auto records = pack(layout, rows);
  h5::Handle fileSpace(H5Dget_space(ds));
  H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &old, nullptr, &add, nullptr);
  h5::Handle memSpace(H5Screate_simple(1, &add, nullptr));
  h5::check(H5Dwrite(ds, layout.type, memSpace, fileSpace, H5P_DEFAULT, records.data()), file,
            "write " + tablePath(runGroup));
}

std::int64_t countResults(hid_t runGroup, const std::filesystem::path& file) {
  if (!h5::exists(runGroup, "results", file)) return 0;
  return h5::datasetShape(openTable(runGroup, file)).at(0);
}

std::vector<ResultRow> readResults(hid_t runGroup, const std::filesystem::path& file) {
  std::vector<ResultRow> out;
  if (!h5::exists(runGroup, "results", file)) return out;
  const auto ds = openTable(runGroup, file);
  const auto n = static_cast<std::size_t>(h5::datasetShape(ds).at(0));
  if (n == 0) return out;
  const auto layout = layoutFor(h5::Handle(H5Dget_type(ds)));
  std::vector<std::byte> records(n * layout.size);
  h5::read(ds, layout.type, H5S_ALL, H5S_ALL, records.data(), file);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(unpack(layout, records.data() + i * layout.size));
  h5::Handle space(H5Dget_space(ds));
  H5Dvlen_reclaim(layout.type, space, H5P_DEFAULT, records.data());
  return out;
}

}  // namespace kvwb::core
