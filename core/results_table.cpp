// Compound-type results table in HDF5.
#include "core/results_table.h"

#include <cstddef>
#include <cstring>

#include "core/h5.h"

namespace kvwb::core {
namespace {

struct Record {
  std::int32_t layer, head;
  char* kind;
  char* params;
  double bytes, ratio, cosSim, relErr, attnOutErr, attnKl, deltaPpl, fitSeconds, decodeMs;
  char* device;
};

h5::Handle recordType() {
  h5::Handle str(H5Tcopy(H5T_C_S1));
  H5Tset_size(str, H5T_VARIABLE);
  H5Tset_cset(str, H5T_CSET_UTF8);
  h5::Handle t(H5Tcreate(H5T_COMPOUND, sizeof(Record)));
  H5Tinsert(t, "layer", offsetof(Record, layer), H5T_NATIVE_INT32);
  H5Tinsert(t, "head", offsetof(Record, head), H5T_NATIVE_INT32);
  H5Tinsert(t, "kind", offsetof(Record, kind), str);
  H5Tinsert(t, "params", offsetof(Record, params), str);
  const std::pair<const char*, std::size_t> metrics[] = {
      {"bytes", offsetof(Record, bytes)},           {"ratio", offsetof(Record, ratio)},
      {"cos_sim", offsetof(Record, cosSim)},        {"rel_err", offsetof(Record, relErr)},
      {"attn_out_err", offsetof(Record, attnOutErr)}, {"attn_kl", offsetof(Record, attnKl)},
      {"delta_ppl", offsetof(Record, deltaPpl)},    {"fit_seconds", offsetof(Record, fitSeconds)},
      {"decode_ms", offsetof(Record, decodeMs)}};
  for (const auto& [name, off] : metrics) H5Tinsert(t, name, off, H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "device", offsetof(Record, device), str);
  return t;
}

}  // namespace

void appendResults(hid_t runGroup, const std::vector<ResultRow>& rows) {
  if (rows.empty()) return;
  const auto type = recordType();
  h5::Handle ds;
  if (H5Lexists(runGroup, "results", H5P_DEFAULT) > 0) {
    ds = h5::Handle(H5Dopen2(runGroup, "results", H5P_DEFAULT));
  } else {
    const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 256;
    h5::Handle space(H5Screate_simple(1, &zero, &unlimited));
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl, 1, &chunk);
    ds = h5::Handle(h5::check(
        H5Dcreate2(runGroup, "results", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        "create results table"));
  }
  const auto old = static_cast<hsize_t>(h5::datasetShape(ds).at(0));
  const hsize_t add = rows.size(), total = old + add;
  h5::check(H5Dset_extent(ds, &total), "extend results table");
  std::vector<Record> recs(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    recs[i] = Record{r.layer, r.head, const_cast<char*>(r.kind.c_str()),
                     const_cast<char*>(r.paramsJson.c_str()), r.bytes, r.ratio, r.cosSim, r.relErr,
                     r.attnOutErr, r.attnKl, r.deltaPpl, r.fitSeconds, r.decodeMs,
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
  const auto type = recordType();
  std::vector<Record> recs(n);
  h5::check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, recs.data()), "read results");
  auto str = [](const char* p) { return p ? std::string(p) : std::string(); };
  for (const auto& r : recs) {
    ResultRow row;
    row.layer = r.layer;
    row.head = r.head;
    row.kind = str(r.kind);
    row.paramsJson = str(r.params);
    row.bytes = r.bytes;
    row.ratio = r.ratio;
    row.cosSim = r.cosSim;
    row.relErr = r.relErr;
    row.attnOutErr = r.attnOutErr;
    row.attnKl = r.attnKl;
    row.deltaPpl = r.deltaPpl;
    row.fitSeconds = r.fitSeconds;
    row.decodeMs = r.decodeMs;
    row.device = str(r.device);
    out.push_back(std::move(row));
  }
  h5::Handle space(H5Dget_space(ds));
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, recs.data());
  return out;
}

}  // namespace kvwb::core
