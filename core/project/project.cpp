// Project reading and copy-on-write editing (see project.h for the crash-safety model).
#include "core/project/project.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/formats/checked_shape.h"
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

// Why `name` cannot name a capture, or "" when it can: it becomes an HDF5 path element and is
// printed to terminals, so no '/', no leading '.', no control characters, valid UTF-8 only.
std::string nameProblem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.find('/') != std::string::npos) return "contains '/'";
  if (name[0] == '.') return "starts with '.'";
  for (std::size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    const std::size_t n = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xe  ? 3
                          : (c >> 3) == 0x1e ? 4
                                             : 0;
    if (n == 0 || i + n > name.size()) return "is not valid UTF-8";
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(name[i + k]) & 0xc0) != 0x80) return "is not valid UTF-8";
    i += n;
  }
  return "";
}

// `name` with control characters and non-ASCII bytes as \xNN, safe to print to a terminal.
std::string printable(const std::string& name) {
  std::string out;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    static constexpr char kHex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f)
      out += ch;
    else
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
  }
  return out;
}

// The shape of 4-D dataset `kind` of capture group `g`, checked against the bytes it stores.
std::vector<std::int64_t> captureShape(hid_t g, const std::string& capture, TensorKind kind,
                                       const std::filesystem::path& path) {
  const std::string name = "captures/" + capture + "/" + datasetName(kind);
  const auto ds = h5::openDataset(g, datasetName(kind), path);
  h5::checkedDatasetBytes(ds, name, path);
  const auto shape = h5::datasetShape(ds);
  if (shape.size() != 4) throw InputError(path, name + " " + shapeString(shape) + " is not 4-D");
  return shape;
}

CaptureInfo readCaptureInfo(hid_t captures, const std::string& name,
                            const std::filesystem::path& path) {
  if (const auto problem = nameProblem(name); !problem.empty())
    throw InputError(path, "capture name '" + printable(name) + "' " + problem +
                               " (the file is crafted or corrupt)");
  const auto g = h5::openGroup(captures, name, path);
  CaptureInfo c;
  c.name = name;
  if (!h5::exists(g, "keys", path) || !h5::exists(g, "values", path))
    throw InputError(path, "capture '" + name + "' lacks keys or values");
  const auto shape = captureShape(g, name, TensorKind::Keys, path);
  c.layers = shape[0];
  c.kvHeads = shape[1];
  c.tokens = shape[2];
  c.headDim = shape[3];
  if (c.layers < 1 || c.kvHeads < 1 || c.tokens < 1 || c.headDim < 1)
    throw InputError(path, "capture '" + name + "': keys " + shapeString(shape) + " are empty");
  c.hasQueries = h5::exists(g, "queries", path);
  c.hasKeysPreRope = h5::exists(g, "keys_prerope", path);
  for (const auto kind : {TensorKind::Values, TensorKind::KeysPreRope}) {
    if (kind == TensorKind::KeysPreRope && !c.hasKeysPreRope) continue;
    const auto other = captureShape(g, name, kind, path);
    if (other != shape)
      throw InputError(path, "capture '" + name + "': " + datasetName(kind) + " " +
                                 shapeString(other) + " do not match keys " + shapeString(shape));
  }
  const auto keys = h5::openDataset(g, "keys", path);
  h5::Handle type(H5Dget_type(keys));
  c.storageDtype = H5Tget_size(type) == 2 ? "float16" : "float32";
  c.queryHeads = c.kvHeads;
  if (c.hasQueries) {
    const auto qShape = captureShape(g, name, TensorKind::Queries, path);
    // 0 query heads would divide by zero in every grouped-query mapping.
    if (qShape[0] != c.layers || qShape[1] < 1 || qShape[1] % c.kvHeads != 0 ||
        qShape[2] != c.tokens || qShape[3] != c.headDim)
      throw InputError(path, "capture '" + name + "': queries " + shapeString(qShape) +
                                 " do not fit keys " + shapeString(shape));
    c.queryHeads = qShape[1];
  }
  c.metadataJson = h5::readStringAttr(g, "metadata").value_or("{}");
  return c;
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

// The file a project path names: itself, or the file at the end of its symlinks (also one that
// does not exist yet).
std::filesystem::path symlinkTarget(const std::filesystem::path& project) {
  if (!std::filesystem::is_symlink(project)) return project;
  if (std::filesystem::exists(project)) return std::filesystem::canonical(project);
  return (std::filesystem::absolute(project).parent_path() / std::filesystem::read_symlink(project))
      .lexically_normal();
}

// File access in the 1.8 file format, for every object an edit adds (also to a project written
// in the earliest format): it checksums metadata (superblock, object headers, B-trees), so a
// flipped bit there is reported instead of parsed, and stores attributes above 64 KiB (dense
// storage). HDF5 1.8 and later (h5py) read it.
h5::Handle format18() {
  h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
  return fapl;
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
  if (!h5::exists(file, "captures", m_path)) return;
  const auto captures = h5::openGroup(file, "captures", m_path);
  for (const auto& name : h5::childNames(captures, "captures", m_path))
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
  if (!h5::exists(file, dsPath, m_path))
    throw InputError(m_path, "capture '" + captureName + "' has no " + datasetName(kind));
  const auto ds = h5::openDataset(file, dsPath, m_path);
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
  h5::read(ds, half ? h5::halfType() : H5T_NATIVE_FLOAT, memSpace, fileSpace,
           half ? static_cast<void*>(raw.data()) : m.data.data(), m_path);
  if (half) convertToFloat(DType::F16, raw.data(), raw.size(), m.data.data());
  return m;
}

std::vector<std::int32_t> Project::tokenIds(const std::string& captureName) const {
  const auto file = h5::openFile(m_path, false);
  const std::string dsPath = "captures/" + captureName + "/token_ids";
  if (!h5::exists(file, dsPath, m_path)) return {};
  const auto ds = h5::openDataset(file, dsPath, m_path);
  h5::checkedDatasetBytes(ds, dsPath, m_path);
  const auto shape = h5::datasetShape(ds);
  const auto tokens = capture(captureName).tokens;
  if (shape != std::vector<std::int64_t>{tokens})
    throw InputError(m_path, dsPath + " has shape " + shapeString(shape) + "; expected [" +
                                 std::to_string(tokens) + "] (one id per token)");
  std::vector<std::int32_t> ids(static_cast<std::size_t>(tokens));
  if (tokens > 0) h5::read(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, ids.data(), m_path);
  const auto negative = std::find_if(ids.begin(), ids.end(), [](std::int32_t id) { return id < 0; });
  if (negative != ids.end())
    throw InputError(m_path, dsPath + " holds token id " + std::to_string(*negative) +
                                 " at position " + std::to_string(negative - ids.begin()));
  return ids;
}

std::string Project::arrayGroupAttrs(const std::string& group) const {
  const auto file = h5::openFile(m_path, false);
  if (!h5::exists(file, group, m_path)) return "";
  return h5::readStringAttr(h5::openGroup(file, group, m_path), "attrs").value_or("");
}

std::vector<std::string> Project::arrayGroupNames(const std::string& group) const {
  const auto file = h5::openFile(m_path, false);
  if (!h5::exists(file, group, m_path)) return {};
  return h5::childNames(h5::openGroup(file, group, m_path), group, m_path);
}

NamedArray Project::readArray(const std::string& group, const std::string& name, std::int64_t firstRow,
                              std::int64_t rows) const {
  const auto file = h5::openFile(m_path, false);
  const std::string path = group + "/" + name;
  if (!h5::exists(file, path, m_path)) throw InputError(m_path, "has no array " + path);
  const auto ds = h5::openDataset(file, path, m_path);
  NamedArray a;
  a.name = name;
  a.shape = h5::datasetShape(ds);
  h5::checkedDatasetBytes(ds, path, m_path);
  const bool slice = rows >= 0;
  if (slice) {
    if (a.shape.empty() || firstRow < 0 || firstRow + rows > a.shape[0])
      throw InputError(m_path, "array " + path + " has no rows " + std::to_string(firstRow) + ".." +
                                   std::to_string(firstRow + rows));
    a.shape[0] = rows;
  }
  const auto n = checkedByteSize(m_path, path, a.shape, sizeof(float)) / sizeof(float);
  a.data.resize(static_cast<std::size_t>(n));
  if (n == 0) return a;
  if (!slice) {
    h5::read(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, a.data.data(), m_path);
    return a;
  }
  const h5::Handle fileSpace(H5Dget_space(ds));
  std::vector<hsize_t> start(a.shape.size(), 0), count(a.shape.begin(), a.shape.end());
  start[0] = static_cast<hsize_t>(firstRow);
  H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  const h5::Handle memSpace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
  h5::read(ds, H5T_NATIVE_FLOAT, memSpace, fileSpace, a.data.data(), m_path);
  return a;
}

std::vector<RunInfo> Project::runs() const {
  const auto journal = readJournal(m_path);  // journal before file: see run_journal.h
  const auto file = h5::openFile(m_path, false);
  std::vector<RunInfo> out;
  if (h5::exists(file, "runs", m_path)) {
    const auto runs = h5::openGroup(file, "runs", m_path);
    for (const auto& id : h5::childNames(runs, "runs", m_path)) {
      const auto g = h5::openGroup(runs, id, m_path);
      out.push_back(readRunAttrs(g, id));
      out.back().resultCount = countResults(g, m_path);
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
  if (h5::exists(file, groupPath, m_path)) {
    out = readResults(h5::openGroup(file, groupPath, m_path), m_path);
  }
  for (const auto& e : pendingEntries(file, journal))
    if (e.type == "result" && e.runId == runId) out.push_back(e.result);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ProjectEdit

struct ProjectEdit::Impl {
  // project: the path the edit was asked for (its journal and lock sit beside it); target: the
  // file the commit replaces, the project itself or, for a symlink, the file it names (written
  // through: the link stays a link).
  std::filesystem::path project, target, temp;
  ProjectLock lock;
  h5::Handle file;
  bool foldedJournal = false;
  std::vector<std::string> journalDamage;
  explicit Impl(const std::filesystem::path& p) : project(p), lock(p) {}
  ~Impl() {  // a failed or abandoned edit (also one whose constructor threw) leaves no copy
    file.reset();
    std::error_code ec;
    if (!temp.empty()) std::filesystem::remove(temp, ec);
  }
};

ProjectEdit::ProjectEdit(const std::filesystem::path& project)
    : m_impl(std::make_unique<Impl>(project)) {
  h5::silenceErrorPrinting();
  auto& d = *m_impl;
  d.target = symlinkTarget(project);
  d.temp = d.target.string() + ".tmp-" + std::to_string(::getpid());
  removeStaleCopies(d.target);  // left by writers that crashed; we hold the lock, none is live
  if (std::filesystem::exists(project)) {
    Project::open(project);  // validates before copying
    std::error_code ec;
    std::filesystem::copy_file(project, d.temp, ec);
    if (ec)
      throw InputError(project,
                       "cannot make the working copy " + d.temp.string() + ": " + ec.message());
    d.file = h5::Handle(h5::check(H5Fopen(d.temp.c_str(), H5F_ACC_RDWR, format18()), project,
                                  "open the working copy " + d.temp.string()));
  } else {
    h5::Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    d.file = h5::Handle(h5::check(H5Fcreate(d.temp.c_str(), H5F_ACC_TRUNC, fcpl, format18()),
                                  project, "create the project file " + d.temp.string()));
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
    appendResults(g, list, d.project);
  }
  h5::writeStringAttr(d.file, "journal_id", journal.journalId);
  h5::writeIntAttr(d.file, "journal_applied_seq", journal.entries.back().seq);
  d.foldedJournal = true;
}

ProjectEdit::~ProjectEdit() = default;

void ProjectEdit::createCapture(const CaptureInfo& info) {
  auto& d = *m_impl;
  h5::Handle captures(H5Gopen2(d.file, "captures", H5P_DEFAULT));
  if (H5Lexists(captures, info.name.c_str(), H5P_DEFAULT) > 0)
    throw InputError(d.project, "a capture named '" + info.name + "' already exists");
  if (const auto problem = nameProblem(info.name); !problem.empty())
    throw InputError(d.project, "capture name '" + printable(info.name) + "' " + problem);
  const auto g = createTrackedGroup(captures, info.name);
  h5::writeStringAttr(g, "metadata", info.metadataJson);
  const hid_t storage = info.storageDtype == "float16" ? h5::halfType() : H5T_IEEE_F32LE;
  auto make = [&](TensorKind kind, std::int64_t heads) {  // a target (layer, head) is one chunk
    const auto tokens = static_cast<hsize_t>(info.tokens), dim = static_cast<hsize_t>(info.headDim);
    h5::createDataset(g, datasetName(kind), storage,
                      {static_cast<hsize_t>(info.layers), static_cast<hsize_t>(heads), tokens, dim},
                      {1, 1, tokens, dim});
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
  h5::check(H5Dwrite(ds, memType, memSpace, fileSpace, H5P_DEFAULT, src), d.project,
            "write " + dsPath + " layer " + std::to_string(layer));
}

void ProjectEdit::writeTokenIds(const std::string& capture, std::span<const std::int32_t> ids) {
  auto& d = *m_impl;
  const std::string dsPath = "captures/" + capture + "/token_ids";
  const auto ds = h5::createDataset(d.file, dsPath, H5T_STD_I32LE, {ids.size()});
  if (!ids.empty())
    h5::check(H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()), d.project,
              "write " + dsPath);
}

void ProjectEdit::deleteCapture(const std::string& name) {
  auto& d = *m_impl;
  const std::string path = "captures/" + name;
  if (!h5::exists(d.file, path, d.project))
    throw InputError(d.project, "no capture named '" + name + "'");
  H5Ldelete(d.file, path.c_str(), H5P_DEFAULT);
  for (const std::string derived : {"analysis/" + name, "quality_baseline/" + name})
    if (h5::exists(d.file, derived, d.project)) H5Ldelete(d.file, derived.c_str(), H5P_DEFAULT);
}

void ProjectEdit::writeArrayGroup(const std::string& group, const std::vector<NamedArray>& arrays,
                                  const std::string& attrsJson) {
  auto& d = *m_impl;
  if (h5::exists(d.file, group, d.project)) H5Ldelete(d.file, group.c_str(), H5P_DEFAULT);
  h5::Handle parent(H5Gopen2(d.file, "/", H5P_DEFAULT));
  std::string made;
  for (std::size_t from = 0;;) {  // each missing group on the way (analysis/<capture>, ...)
    const auto slash = group.find('/', from);
    const auto name = group.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
    made += (made.empty() ? "" : "/") + name;
    parent = h5::exists(d.file, made, d.project) ? h5::Handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT))
                                                  : createTrackedGroup(parent, name);
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  h5::writeStringAttr(parent, "attrs", attrsJson);
  for (const auto& a : arrays) {
    const auto ds = h5::createDataset(parent, a.name, H5T_IEEE_F32LE, {a.shape.begin(), a.shape.end()});
    if (!a.data.empty())
      h5::check(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data.data()),
                d.project, "write array " + group + "/" + a.name);
  }
}

const std::vector<std::string>& ProjectEdit::journalDamage() const { return m_impl->journalDamage; }

void ProjectEdit::commit() {
  auto& d = *m_impl;
  h5::check(H5Fflush(d.file, H5F_SCOPE_GLOBAL), d.project,
            "save the edit to the working copy " + d.temp.string() + " (the project is unchanged)");
  d.file.reset();
  fsyncPath(d.temp, O_RDONLY);
  std::filesystem::rename(d.temp, d.target);
  d.temp.clear();
  fsyncPath(d.target.parent_path().empty() ? "." : d.target.parent_path(), O_RDONLY | O_DIRECTORY);
  // A damaged journal did not fold completely: it stays for a manual rescue of what it hides.
  if (d.foldedJournal && d.journalDamage.empty()) std::filesystem::remove(journalPath(d.project));
  m_impl.reset();
}

}  // namespace kvwb::core
