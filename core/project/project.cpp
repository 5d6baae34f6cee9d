// Project reading and copy-on-write editing (see project.h for the crash-safety model).
#include "core/project/project.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/formats/h5.h"
#include "core/formats/tensor_file.h"
#include "core/project/results_table.h"
#include "core/project/run_journal.h"

namespace kvwb::core {

const char* datasetName(TensorKind kind) {
  switch (kind) {
    case TensorKind::Keys: return "keys";
    case TensorKind::Values: return "values";
    case TensorKind::Queries: return "queries";
    case TensorKind::KeysPreRope: return "keys_prerope";
  }
  return "?";
}

const char* shortName(TensorKind kind) {
  switch (kind) {
    case TensorKind::Keys: return "K";
    case TensorKind::Values: return "V";
    case TensorKind::Queries: return "Q";
    case TensorKind::KeysPreRope: return "Kpre";
  }
  return "?";
}

namespace {

void checkFormat(hid_t file, const std::filesystem::path& path) {
  const auto format = h5::readStringAttr(file, "format");
  if (format != kFormatName)
    throw InputError(path, "not a KV Workbench project (root attribute format=\"kv-workbench\" "
                           "missing)");
  const auto version = h5::readIntAttr(file, "version").value_or(0);
  if (version > kFormatVersion)
    throw InputError(path, "project format version " + std::to_string(version) +
                               " is newer than this KV Workbench reads (" +
                               std::to_string(kFormatVersion) + "); upgrade KV Workbench");
  if (version < 1) throw InputError(path, "project has no valid format version");
}

CaptureInfo readCaptureInfo(hid_t captures, const std::string& name,
                            const std::filesystem::path& path) {
  h5::Handle g(H5Gopen2(captures, name.c_str(), H5P_DEFAULT));
  CaptureInfo c;
  c.name = name;
  if (H5Lexists(g, "keys", H5P_DEFAULT) <= 0 || H5Lexists(g, "values", H5P_DEFAULT) <= 0)
    throw InputError(path, "capture '" + name + "' lacks keys or values");
  h5::Handle keys(H5Dopen2(g, "keys", H5P_DEFAULT));
  const auto shape = h5::datasetShape(keys);
  if (shape.size() != 4) throw InputError(path, "capture '" + name + "': keys are not 4-D");
  c.layers = shape[0];
  c.kvHeads = shape[1];
  c.tokens = shape[2];
  c.headDim = shape[3];
  if (c.layers < 1 || c.kvHeads < 1 || c.tokens < 1 || c.headDim < 1)
    throw InputError(path, "capture '" + name + "': keys " + shapeString(shape) + " are empty");
  h5::Handle type(H5Dget_type(keys));
  c.storageDtype = H5Tget_size(type) == 2 ? "float16" : "float32";
  c.hasQueries = H5Lexists(g, "queries", H5P_DEFAULT) > 0;
  c.hasKeysPreRope = H5Lexists(g, "keys_prerope", H5P_DEFAULT) > 0;
  c.queryHeads = c.kvHeads;
  if (c.hasQueries) {
    h5::Handle q(H5Dopen2(g, "queries", H5P_DEFAULT));
    const auto qShape = h5::datasetShape(q);
    // 0 query heads would divide by zero in every grouped-query mapping.
    if (qShape.size() != 4 || qShape[0] != c.layers || qShape[1] < 1 ||
        qShape[1] % c.kvHeads != 0 || qShape[2] != c.tokens || qShape[3] != c.headDim)
      throw InputError(path, "capture '" + name + "': queries " + shapeString(qShape) +
                                 " do not fit keys " + shapeString(shape));
    c.queryHeads = qShape[1];
  }
  c.metadataJson = h5::readStringAttr(g, "metadata").value_or("{}");
  return c;
}

std::vector<std::string> childNames(hid_t group) {
  std::vector<std::string> names;
  H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr,
             [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
               static_cast<std::vector<std::string>*>(out)->push_back(name);
               return 0;
             },
             &names);
  return names;
}

h5::Handle createTrackedGroup(hid_t parent, const std::string& name) {
  h5::Handle gcpl(H5Pcreate(H5P_GROUP_CREATE));
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  return h5::Handle(h5::check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT),
                              "create group"));
}

void writeRunAttrs(hid_t g, const RunInfo& r) {
  h5::writeStringAttr(g, "method", r.method);
  h5::writeStringAttr(g, "params", r.paramsJson);
  h5::writeStringAttr(g, "capture", r.capture);
  h5::writeStringAttr(g, "created", r.created);
  h5::writeStringAttr(g, "device", r.device);
  h5::writeStringAttr(g, "software_version", r.softwareVersion);
  h5::writeStringAttr(g, "status", r.status);
}

RunInfo readRunAttrs(hid_t g, const std::string& id) {
  RunInfo r;
  r.id = id;
  r.method = h5::readStringAttr(g, "method").value_or("");
  r.paramsJson = h5::readStringAttr(g, "params").value_or("{}");
  r.capture = h5::readStringAttr(g, "capture").value_or("");
  r.created = h5::readStringAttr(g, "created").value_or("");
  r.device = h5::readStringAttr(g, "device").value_or("");
  r.softwareVersion = h5::readStringAttr(g, "software_version").value_or("");
  r.status = h5::readStringAttr(g, "status").value_or("");
  return r;
}

// Journal entries not yet folded into `file` (per its journal_id / journal_applied_seq attrs).
std::vector<JournalContents::Entry> pendingEntries(hid_t file, const JournalContents& journal) {
  const auto appliedId = h5::readStringAttr(file, "journal_id").value_or("");
  const auto appliedSeq = h5::readIntAttr(file, "journal_applied_seq").value_or(0);
  std::vector<JournalContents::Entry> out;
  for (const auto& e : journal.entries)
    if (journal.journalId != appliedId || e.seq > appliedSeq) out.push_back(e);
  return out;
}

void fsyncPath(const std::filesystem::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void removeStaleCopies(const std::filesystem::path& project) {
  const auto dir = project.parent_path().empty() ? std::filesystem::path(".") : project.parent_path();
  const auto prefix = project.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Project

Project Project::open(const std::filesystem::path& path) {
  Project p(path);
  p.refresh();
  return p;
}

Project Project::create(const std::filesystem::path& path) {
  if (std::filesystem::exists(path)) throw InputError(path, "already exists");
  ProjectEdit edit(path);
  edit.commit();
  return open(path);
}

void Project::refresh() {
  const auto file = h5::openFile(m_path, false);
  checkFormat(file, m_path);
  m_captures.clear();
  if (H5Lexists(file, "captures", H5P_DEFAULT) <= 0) return;
  h5::Handle captures(H5Gopen2(file, "captures", H5P_DEFAULT));
  for (const auto& name : childNames(captures))
    m_captures.push_back(readCaptureInfo(captures, name, m_path));
}

bool Project::hasCapture(const std::string& name) const {
  return std::any_of(m_captures.begin(), m_captures.end(),
                     [&](const CaptureInfo& c) { return c.name == name; });
}

const CaptureInfo& Project::capture(const std::string& name) const {
  for (const auto& c : m_captures)
    if (c.name == name) return c;
  throw InputError(m_path, "no capture named '" + name + "'");
}

FloatMatrix Project::readTarget(const std::string& captureName, TensorKind kind,
                                std::int64_t layer, std::int64_t head) const {
  const auto& c = capture(captureName);
  const auto heads = kind == TensorKind::Queries ? c.queryHeads : c.kvHeads;
  if (layer < 0 || layer >= c.layers || head < 0 || head >= heads)
    throw InputError(m_path, "capture '" + captureName + "': target layer " +
                                 std::to_string(layer) + " head " + std::to_string(head) +
                                 " out of range");
  const auto file = h5::openFile(m_path, false);
  const std::string dsPath = "captures/" + captureName + "/" + datasetName(kind);
  if (!h5::exists(file, dsPath))
    throw InputError(m_path, "capture '" + captureName + "' has no " + datasetName(kind));
  h5::Handle ds(H5Dopen2(file, dsPath.c_str(), H5P_DEFAULT));
  FloatMatrix m;
  m.rows = c.tokens;
  m.cols = c.headDim;
  m.data.resize(static_cast<std::size_t>(m.rows * m.cols));
  const hsize_t start[4] = {static_cast<hsize_t>(layer), static_cast<hsize_t>(head), 0, 0};
  const hsize_t count[4] = {1, 1, static_cast<hsize_t>(m.rows), static_cast<hsize_t>(m.cols)};
  h5::Handle fileSpace(H5Dget_space(ds));
  H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nullptr, count, nullptr);
  h5::Handle memSpace(H5Screate_simple(4, count, nullptr));
  // Half storage is read raw and widened here: HDF5's generic float conversion is ~20x slower.
  const bool half = c.storageDtype == "float16";
  std::vector<std::uint16_t> raw(half ? m.data.size() : 0);
  const herr_t rc = half ? H5Dread(ds, h5::halfType(), memSpace, fileSpace, H5P_DEFAULT, raw.data())
                         : H5Dread(ds, H5T_NATIVE_FLOAT, memSpace, fileSpace, H5P_DEFAULT, m.data.data());
  if (rc < 0) throw InputError(m_path, "cannot read " + dsPath + " (corrupt file?)");
  if (half) convertToFloat(DType::F16, raw.data(), raw.size(), m.data.data());
  return m;
}

std::vector<std::int32_t> Project::tokenIds(const std::string& captureName) const {
  const auto file = h5::openFile(m_path, false);
  const std::string dsPath = "captures/" + captureName + "/token_ids";
  if (!h5::exists(file, dsPath)) return {};
  h5::Handle ds(H5Dopen2(file, dsPath.c_str(), H5P_DEFAULT));
  const auto shape = h5::datasetShape(ds);
  const auto tokens = capture(captureName).tokens;
  if (shape != std::vector<std::int64_t>{tokens})
    throw InputError(m_path, dsPath + " has shape " + shapeString(shape) + "; expected [" +
                                 std::to_string(tokens) + "] (one id per token)");
  std::vector<std::int32_t> ids(static_cast<std::size_t>(tokens));
  if (H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()) < 0)
    throw InputError(m_path, "cannot read " + dsPath + " (corrupt file?)");
  const auto negative = std::find_if(ids.begin(), ids.end(), [](std::int32_t id) { return id < 0; });
  if (negative != ids.end())
    throw InputError(m_path, dsPath + " holds token id " + std::to_string(*negative) +
                                 " at position " + std::to_string(negative - ids.begin()));
  return ids;
}

std::string Project::analysisAttrs(const std::string& captureName) const {
  const auto file = h5::openFile(m_path, false);
  const std::string path = "analysis/" + captureName;
  if (!h5::exists(file, path)) return "";
  h5::Handle g(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  return h5::readStringAttr(g, "attrs").value_or("");
}

std::vector<std::string> Project::analysisArrays(const std::string& captureName) const {
  const auto file = h5::openFile(m_path, false);
  const std::string path = "analysis/" + captureName;
  if (!h5::exists(file, path)) return {};
  h5::Handle g(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  return childNames(g);
}

NamedArray Project::readAnalysisArray(const std::string& captureName,
                                      const std::string& name) const {
  const auto file = h5::openFile(m_path, false);
  const std::string path = "analysis/" + captureName + "/" + name;
  if (!h5::exists(file, path))
    throw InputError(m_path, "no analysis array " + path + " (run kvwb-cli analyze)");
  h5::Handle ds(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  NamedArray a;
  a.name = name;
  a.shape = h5::datasetShape(ds);
  std::int64_t n = 1;
  for (auto d : a.shape) n *= d;
  a.data.resize(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()) < 0)
    throw InputError(m_path, "cannot read " + path);
  return a;
}

std::vector<RunInfo> Project::runs() const {
  const auto journal = readJournal(m_path);  // journal before file: see run_journal.h
  const auto file = h5::openFile(m_path, false);
  std::vector<RunInfo> out;
  if (H5Lexists(file, "runs", H5P_DEFAULT) > 0) {
    h5::Handle runs(H5Gopen2(file, "runs", H5P_DEFAULT));
    for (const auto& id : childNames(runs)) {
      h5::Handle g(H5Gopen2(runs, id.c_str(), H5P_DEFAULT));
      out.push_back(readRunAttrs(g, id));
      out.back().resultCount = countResults(g);
    }
  }
  for (const auto& e : pendingEntries(file, journal)) {
    auto it = std::find_if(out.begin(), out.end(), [&](const RunInfo& r) { return r.id == e.runId; });
    if (e.type == "run" && it == out.end()) out.push_back(e.run);
    if (it == out.end()) continue;
    if (e.type == "status") it->status = e.status;
    if (e.type == "result") ++it->resultCount;
  }
  return out;
}

std::vector<ResultRow> Project::results(const std::string& runId) const {
  const auto journal = readJournal(m_path);
  const auto file = h5::openFile(m_path, false);
  std::vector<ResultRow> out;
  const std::string groupPath = "runs/" + runId;
  if (h5::exists(file, groupPath)) {
    h5::Handle g(H5Gopen2(file, groupPath.c_str(), H5P_DEFAULT));
    out = readResults(g);
  }
  for (const auto& e : pendingEntries(file, journal))
    if (e.type == "result" && e.runId == runId) out.push_back(e.result);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ProjectEdit

struct ProjectEdit::Impl {
  std::filesystem::path project, temp;
  ProjectLock lock;
  h5::Handle file;
  bool foldedJournal = false;
  std::vector<std::string> journalDamage;
  explicit Impl(const std::filesystem::path& p) : project(p), lock(p) {}
};

ProjectEdit::ProjectEdit(const std::filesystem::path& project)
    : m_impl(std::make_unique<Impl>(project)) {
  h5::silenceErrorPrinting();
  auto& d = *m_impl;
  d.temp = project.string() + ".tmp-" + std::to_string(::getpid());
  removeStaleCopies(project);  // left by writers that crashed; we hold the lock, none is live
  if (std::filesystem::exists(project)) {
    Project::open(project);  // validates before copying
    std::filesystem::copy_file(project, d.temp);
    d.file = h5::Handle(H5Fopen(d.temp.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (!d.file.valid()) throw InputError(project, "cannot open a working copy");
  } else {
    h5::Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    d.file = h5::Handle(H5Fcreate(d.temp.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT));
    if (!d.file.valid()) throw InputError(project, "cannot create project file");
    h5::writeStringAttr(d.file, "format", kFormatName);
    h5::writeIntAttr(d.file, "version", kFormatVersion);
    for (const char* g : {"captures", "analysis", "runs"}) createTrackedGroup(d.file, g);
  }
  // Fold the journal's pending runs, results and statuses into the copy.
  const auto journal = readJournal(project);
  d.journalDamage = journal.damage;
  const auto pending = pendingEntries(d.file, journal);
  if (pending.empty()) return;
  h5::Handle runs(H5Gopen2(d.file, "runs", H5P_DEFAULT));
  std::map<std::string, std::vector<ResultRow>> rows;
  for (const auto& e : pending) {
    if (e.type == "run" && H5Lexists(runs, e.runId.c_str(), H5P_DEFAULT) <= 0) {
      const auto g = createTrackedGroup(runs, e.runId);
      writeRunAttrs(g, e.run);
    }
    if (H5Lexists(runs, e.runId.c_str(), H5P_DEFAULT) <= 0) continue;
    if (e.type == "result") rows[e.runId].push_back(e.result);
    if (e.type == "status") {
      h5::Handle g(H5Gopen2(runs, e.runId.c_str(), H5P_DEFAULT));
      h5::writeStringAttr(g, "status", e.status);
    }
  }
  for (const auto& [id, list] : rows) {
    h5::Handle g(H5Gopen2(runs, id.c_str(), H5P_DEFAULT));
    appendResults(g, list);
  }
  h5::writeStringAttr(d.file, "journal_id", journal.journalId);
  h5::writeIntAttr(d.file, "journal_applied_seq", journal.entries.back().seq);
  d.foldedJournal = true;
}

ProjectEdit::~ProjectEdit() {
  if (!m_impl) return;
  m_impl->file.reset();
  std::error_code ec;
  std::filesystem::remove(m_impl->temp, ec);
}

void ProjectEdit::createCapture(const CaptureInfo& info) {
  auto& d = *m_impl;
  h5::Handle captures(H5Gopen2(d.file, "captures", H5P_DEFAULT));
  if (H5Lexists(captures, info.name.c_str(), H5P_DEFAULT) > 0)
    throw InputError(d.project, "a capture named '" + info.name + "' already exists");
  if (info.name.empty() || info.name.find('/') != std::string::npos || info.name[0] == '.')
    throw InputError(d.project, "invalid capture name '" + info.name + "'");
  const auto g = createTrackedGroup(captures, info.name);
  h5::writeStringAttr(g, "metadata", info.metadataJson);
  const hid_t storage = info.storageDtype == "float16" ? h5::halfType() : H5T_IEEE_F32LE;
  auto make = [&](TensorKind kind, std::int64_t heads) {
    const hsize_t dims[4] = {static_cast<hsize_t>(info.layers), static_cast<hsize_t>(heads),
                             static_cast<hsize_t>(info.tokens), static_cast<hsize_t>(info.headDim)};
    const hsize_t chunk[4] = {1, 1, dims[2], dims[3]};
    h5::Handle space(H5Screate_simple(4, dims, nullptr));
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl, 4, chunk);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    h5::Handle ds(h5::check(
        H5Dcreate2(g, datasetName(kind), storage, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        "create capture dataset"));
  };
  make(TensorKind::Keys, info.kvHeads);
  make(TensorKind::Values, info.kvHeads);
  if (info.hasQueries) make(TensorKind::Queries, info.queryHeads);
  if (info.hasKeysPreRope) make(TensorKind::KeysPreRope, info.kvHeads);
}

void ProjectEdit::writeLayer(const std::string& capture, TensorKind kind, std::int64_t layer,
                             DType srcType, std::span<const std::byte> data) {
  auto& d = *m_impl;
  const std::string dsPath = "captures/" + capture + "/" + datasetName(kind);
  h5::Handle ds(h5::check(H5Dopen2(d.file, dsPath.c_str(), H5P_DEFAULT), "open capture dataset"));
  const auto shape = h5::datasetShape(ds);
  const hsize_t start[4] = {static_cast<hsize_t>(layer), 0, 0, 0};
  const hsize_t count[4] = {1, static_cast<hsize_t>(shape[1]), static_cast<hsize_t>(shape[2]),
                            static_cast<hsize_t>(shape[3])};
  const auto n = static_cast<std::size_t>(count[1] * count[2] * count[3]);
  if (data.size() != n * dtypeSize(srcType))
    throw std::invalid_argument("writeLayer: " + dsPath + " layer size mismatch");
  h5::Handle fileSpace(H5Dget_space(ds));
  H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nullptr, count, nullptr);
  h5::Handle memSpace(H5Screate_simple(4, count, nullptr));
  std::vector<float> converted;
  const void* src = data.data();
  hid_t memType = H5T_NATIVE_FLOAT;
  if (srcType == DType::F16) {
    memType = h5::halfType();
  } else if (srcType != DType::F32) {
    converted.resize(n);
    convertToFloat(srcType, data.data(), n, converted.data());
    src = converted.data();
  }
  h5::check(H5Dwrite(ds, memType, memSpace, fileSpace, H5P_DEFAULT, src), "write capture layer");
}

void ProjectEdit::writeTokenIds(const std::string& capture, std::span<const std::int32_t> ids) {
  auto& d = *m_impl;
  const std::string dsPath = "captures/" + capture + "/token_ids";
  const hsize_t n = ids.size();
  h5::Handle space(H5Screate_simple(1, &n, nullptr));
  h5::Handle ds(h5::check(H5Dcreate2(d.file, dsPath.c_str(), H5T_STD_I32LE, space, H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT),
                          "create token_ids"));
  if (n) H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data());
}

void ProjectEdit::deleteCapture(const std::string& name) {
  auto& d = *m_impl;
  const std::string path = "captures/" + name;
  if (!h5::exists(d.file, path)) throw InputError(d.project, "no capture named '" + name + "'");
  H5Ldelete(d.file, path.c_str(), H5P_DEFAULT);
  const std::string analysis = "analysis/" + name;
  if (h5::exists(d.file, analysis)) H5Ldelete(d.file, analysis.c_str(), H5P_DEFAULT);
}

void ProjectEdit::writeAnalysis(const std::string& capture, const std::vector<NamedArray>& arrays,
                                const std::string& attrsJson) {
  auto& d = *m_impl;
  if (!h5::exists(d.file, "captures/" + capture))
    throw InputError(d.project, "no capture named '" + capture + "'");
  const std::string path = "analysis/" + capture;
  if (h5::exists(d.file, path)) H5Ldelete(d.file, path.c_str(), H5P_DEFAULT);
  h5::Handle analysis(H5Gopen2(d.file, "analysis", H5P_DEFAULT));
  const auto g = createTrackedGroup(analysis, capture);
  h5::writeStringAttr(g, "attrs", attrsJson);
  for (const auto& a : arrays) {
    const std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
    h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    h5::Handle ds(h5::check(H5Dcreate2(g, a.name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT),
                            "create analysis array"));
    if (!a.data.empty())
      h5::check(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()),
                "write analysis array");
  }
}

const std::vector<std::string>& ProjectEdit::journalDamage() const { return m_impl->journalDamage; }

void ProjectEdit::commit() {
  auto& d = *m_impl;
  h5::check(H5Fflush(d.file, H5F_SCOPE_GLOBAL), "flush project");
  d.file.reset();
  fsyncPath(d.temp, O_RDONLY);
  std::filesystem::rename(d.temp, d.project);
  fsyncPath(d.project.parent_path().empty() ? "." : d.project.parent_path(), O_RDONLY | O_DIRECTORY);
  // A damaged journal did not fold completely: it stays for a manual rescue of what it hides.
  if (d.foldedJournal && d.journalDamage.empty()) std::filesystem::remove(journalPath(d.project));
  m_impl.reset();
}

}  // namespace kvwb::core
