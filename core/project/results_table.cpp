// Compound-type results table in HDF5. Columns: layer, head, kind, params, one float64 per fit
// metric (fit_metric_table.h, named by its column), device. HDF5 converts compound members by
// name, so a table written before a metric existed reads it as NaN, and appending to such a table
// first rewrites it with every column.
#include "core/project/results_table.h"

#include <array>
#include <cstddef>
#include <string>

#include "core/formats/h5.h"

namespace kvwb::core {
namespace {

struct Record {
  std::int32_t layer = 0, head = 0;
  char* kind = nullptr;
  char* params = nullptr;
  std::array<double, kFitMetricCount> metrics = ResultRow().metrics;  // NaN: not in the file
  char* device = nullptr;
};

// The record type, with only the members `fileType` has when it is given (reading a table
// written by an older version); the order is the file's column order.
h5::Handle recordType(hid_t fileType = H5I_INVALID_HID) {
  h5::Handle str(H5Tcopy(H5T_C_S1));
  H5Tset_size(str, H5T_VARIABLE);
  H5Tset_cset(str, H5T_CSET_UTF8);
  h5::Handle t(H5Tcreate(H5T_COMPOUND, sizeof(Record)));
  const auto insert = [&](const char* name, std::size_t offset, hid_t type) {
    if (fileType < 0 || H5Tget_member_index(fileType, name) >= 0) H5Tinsert(t, name, offset, type);
  };
  insert("layer", offsetof(Record, layer), H5T_NATIVE_INT32);
  insert("head", offsetof(Record, head), H5T_NATIVE_INT32);
  insert("kind", offsetof(Record, kind), str);
  insert("params", offsetof(Record, params), str);
  for (const auto& m : fitMetrics())
    insert(m.column, offsetof(Record, metrics) + static_cast<std::size_t>(m.id) * sizeof(double),
           H5T_NATIVE_DOUBLE);
  insert("device", offsetof(Record, device), str);
  return t;
}

// Whether the table has a column for every field this version writes.
bool hasEveryColumn(hid_t dataset) {
  h5::Handle fileType(H5Dget_type(dataset));
  h5::Handle full = recordType();
  return H5Tget_nmembers(recordType(fileType)) == H5Tget_nmembers(full);
}

h5::Handle createTable(hid_t runGroup, hid_t type) {
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 256;
  h5::Handle space(H5Screate_simple(1, &zero, &unlimited));
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl, 1, &chunk);
  return h5::Handle(
      h5::check(H5Dcreate2(runGroup, "results", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                "create results table"));
}

}  // namespace

void appendResults(hid_t runGroup, const std::vector<ResultRow>& rows) {
  if (rows.empty()) return;
  const auto type = recordType();
  h5::Handle ds;
  if (H5Lexists(runGroup, "results", H5P_DEFAULT) > 0) {
    ds = h5::Handle(H5Dopen2(runGroup, "results", H5P_DEFAULT));
    if (!hasEveryColumn(ds)) {  // written before a metric existed: rewrite with every column
      auto all = readResults(runGroup);
      all.insert(all.end(), rows.begin(), rows.end());
      ds.reset();
      h5::check(H5Ldelete(runGroup, "results", H5P_DEFAULT), "replace results table");
      return appendResults(runGroup, all);
    }
  } else {
    ds = createTable(runGroup, type);
  }
  const auto old = static_cast<hsize_t>(h5::datasetShape(ds).at(0));
  const hsize_t add = rows.size(), total = old + add;
  h5::check(H5Dset_extent(ds, &total), "extend results table");
  std::vector<Record> recs(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    recs[i] = Record{r.layer,
                     r.head,
                     const_cast<char*>(r.kind.c_str()),
                     const_cast<char*>(r.paramsJson.c_str()),
                     r.metrics,
                     const_cast<char*>(r.device.c_str())};
  }
  h5::Handle fileSpace(H5Dget_space(ds));
  H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &old, nullptr, &add, nullptr);
  h5::Handle memSpace(H5Screate_simple(1, &add, nullptr));
  h5::check(H5Dwrite(ds, type, memSpace, fileSpace, H5P_DEFAULT, recs.data()),
            "write results");
}

std::int64_t countResults(hid_t runGroup) {
  if (H5Lexists(runGroup, "results", H5P_DEFAULT) <= 0) return 0;
  h5::Handle ds(H5Dopen2(runGroup, "results", H5P_DEFAULT));
  return h5::datasetShape(ds).at(0);
}

std::vector<ResultRow> readResults(hid_t runGroup) {
  std::vector<ResultRow> out;
  if (H5Lexists(runGroup, "results", H5P_DEFAULT) <= 0) return out;
  h5::Handle ds(H5Dopen2(runGroup, "results", H5P_DEFAULT));
  const auto n = static_cast<std::size_t>(h5::datasetShape(ds).at(0));
  if (n == 0) return out;
  h5::Handle fileType(H5Dget_type(ds));
  const auto type = recordType(fileType);
  std::vector<Record> recs(n);
  h5::check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, recs.data()), "read results");
  auto str = [](const char* p) { return p ? std::string(p) : std::string(); };
  for (const auto& r : recs) {
    ResultRow row;
    row.layer = r.layer;
    row.head = r.head;
    row.kind = str(r.kind);
    row.paramsJson = str(r.params);
    row.metrics = r.metrics;
    row.device = str(r.device);
    out.push_back(std::move(row));
  }
  h5::Handle space(H5Dget_space(ds));
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, recs.data());
  return out;
}

}  // namespace kvwb::core
