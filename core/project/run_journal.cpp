// Run journal: framed, checksummed, fsync'd appends; tolerant reads.
#include "core/project/run_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>

#include "core/base/errors.h"
#include "core/project/result_json.h"

namespace kvwb::core {
namespace {

constexpr std::uint32_t kMagic = 0x4A57564B;  // "KVWJ"
constexpr std::uint32_t kMaxRecord = 16u << 20;

struct Frame {
  std::uint32_t magic, length, crc;
};

std::uint32_t crcOf(const std::string& s) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// A journal file read tolerantly: every record whose frame and checksum hold, in order.
struct Scan {
  std::vector<nlohmann::json> records;
  std::string journalId;  // from the header, or from any record when the header is damaged
  std::vector<std::string> damage;  // one line per unreadable stretch between or after records
  std::uint64_t appendAt = 0;       // where the next record goes: past the last byte worth keeping
};

// Whether the record's framing fields have their types (a crafted record with a good checksum
// must not reach the reader as a raw JSON type error).
bool wellFormed(const nlohmann::json& r) {
  auto optional = [&r](const char* key, bool (nlohmann::json::*is)() const noexcept) {
    return !r.contains(key) || (r[key].*is)();
  };
  return r.contains("type") && r["type"].is_string() &&
         optional("seq", &nlohmann::json::is_number_integer) &&
         optional("run_id", &nlohmann::json::is_string) &&
         optional("id", &nlohmann::json::is_string) &&
         optional("journal", &nlohmann::json::is_string);
}

// The record framed at `pos` of `bytes`, or nullopt when its frame, checksum or JSON is bad.
std::optional<nlohmann::json> recordAt(const std::string& bytes, std::size_t pos, std::uint32_t& length) {
  Frame f{};
  if (bytes.size() - pos < sizeof f) return std::nullopt;
  std::memcpy(&f, bytes.data() + pos, sizeof f);
  if (f.magic != kMagic || f.length > kMaxRecord || bytes.size() - pos - sizeof f < f.length)
    return std::nullopt;
  const std::string payload = bytes.substr(pos + sizeof f, f.length);
  if (crcOf(payload) != f.crc) return std::nullopt;
  auto record = nlohmann::json::parse(payload, nullptr, false);
  if (record.is_discarded() || !record.is_object() || !wellFormed(record)) return std::nullopt;
  length = f.length;
  return record;
}

// Reads every valid record. A damaged record (a flipped byte anywhere in it) is skipped by
// resynchronising on the next frame that checks out, and reported with the sequence numbers it
// hid; only a torn tail (the last record cut short by a crash) is dropped silently.
Scan scan(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string magic(reinterpret_cast<const char*>(&kMagic), sizeof kMagic);
  Scan out;
  std::size_t pos = 0;
  std::int64_t lastSeq = 0;
  while (pos < bytes.size()) {
    std::uint32_t length = 0;
    if (auto record = recordAt(bytes, pos, length)) {
      lastSeq = record->value("seq", lastSeq);
      const bool header = record->value("type", "") == "journal";
      if (header || out.journalId.empty())
        out.journalId = record->value(header ? "id" : "journal", "");
      out.records.push_back(std::move(*record));
      pos += sizeof(Frame) + length;
      out.appendAt = pos;
      continue;
    }
    std::size_t next = bytes.find(magic, pos + 1);
    while (next != std::string::npos && !recordAt(bytes, next, length))
      next = bytes.find(magic, next + 1);
    const auto stretchEnd = next == std::string::npos ? bytes.size() : next;
    Frame f{};
    std::memcpy(&f, bytes.data() + pos, std::min(sizeof f, bytes.size() - pos));
    const bool tornTail = next == std::string::npos &&
                          (bytes.size() - pos < sizeof f ||
                           (f.magic == kMagic && bytes.size() - pos - sizeof f < f.length));
    if (tornTail) break;
    std::string lost = (pos == 0 ? "the journal header is damaged (bytes " : "bytes ") +
                       std::to_string(pos) + "-" + std::to_string(stretchEnd) +
                       (pos == 0 ? ")" : " are damaged");
    if (next != std::string::npos) {
      const auto nextSeq = recordAt(bytes, next, length)->value("seq", lastSeq + 1);
      lost += nextSeq > lastSeq + 1 ? "; records " + std::to_string(lastSeq + 1) + " to " +
                                          std::to_string(nextSeq - 1) + " are lost"
                                    : "; no numbered record is lost";
    } else {
      lost += "; records after " + std::to_string(lastSeq) + " are lost";
    }
    out.damage.push_back(lost);
    out.appendAt = stretchEnd;  // keep damaged bytes on disk for a manual rescue
    pos = stretchEnd;
  }
  return out;
}

void writeAll(int fd, const void* data, std::size_t n, const std::filesystem::path& file) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const auto w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw InputError(file, std::string("cannot write: ") + std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::string randomId() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dist(rd)));
  return buf;
}

}  // namespace

std::filesystem::path journalPath(const std::filesystem::path& project) {
  return project.string() + "-journal";
}
std::filesystem::path lockPath(const std::filesystem::path& project) {
  return project.string() + ".lock";
}

JournalContents readJournal(const std::filesystem::path& project) {
  return readJournalFile(journalPath(project));
}

namespace {

// Appends the entries of one record to `out`; throws nlohmann::json::exception on a bad payload.
void addEntries(const nlohmann::json& r, JournalContents& out) {
  JournalContents::Entry e;
  e.seq = r.value("seq", std::int64_t{0});
  e.type = r.value("type", "");
  e.runId = r.value("run_id", "");
  if (e.type == "results") {  // a batch: one entry per row, sharing the record's sequence number
    e.type = "result";
    std::vector<JournalContents::Entry> rows;
    for (const auto& row : r.at("payload")) {
      e.result = resultFromJson(row);
      rows.push_back(e);
    }
    out.entries.insert(out.entries.end(), rows.begin(), rows.end());
    return;
  }
  if (e.type == "run") e.run = runFromJson(r.at("payload"));
  if (e.type == "result") e.result = resultFromJson(r.at("payload"));
  if (e.type == "status") e.status = r.at("payload").get<std::string>();
  if (e.type != "run" && e.type != "result" && e.type != "status")
    e.payloadJson = r.at("payload").dump();
  out.entries.push_back(std::move(e));
}

}  // namespace

JournalContents readJournalFile(const std::filesystem::path& file) {
  JournalContents out;
  auto scanned = scan(file);
  out.damage = std::move(scanned.damage);
  out.journalId = scanned.journalId;
  for (const auto& r : scanned.records) {
    if (r["type"] == "journal") continue;
    try {
      addEntries(r, out);
    } catch (const nlohmann::json::exception& e) {
      out.damage.push_back("record " + std::to_string(r.value("seq", std::int64_t{0})) +
                           " has a malformed payload and is lost (" + e.what() + ")");
    }
  }
  return out;
}

RunJournal::RunJournal(std::filesystem::path project)
    : m_project(std::move(project)), m_file(journalPath(m_project)) {}

RunJournal RunJournal::atFile(std::filesystem::path file) {
  RunJournal journal;
  journal.m_file = std::move(file);
  return journal;
}

void RunJournal::beginRun(const RunInfo& run) { write("run", run.id, runToJson(run).dump()); }

void RunJournal::append(const std::string& runId, const ResultRow& row) {
  write("result", runId, resultToJson(row).dump());
}

void RunJournal::appendBatch(const std::string& runId, const std::vector<ResultRow>& rows) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : rows) all.push_back(resultToJson(r));
  write("results", runId, all.dump());
}

void RunJournal::setStatus(const std::string& runId, const std::string& status) {
  write("status", runId, nlohmann::json(status).dump());
}

void RunJournal::appendRecord(const std::string& type, const std::string& payloadJson) {
  write(type, "", payloadJson);
}

void RunJournal::write(const std::string& type, const std::string& runId,
                       const std::string& payloadJson) {
  std::optional<ProjectLock> projectLock;
  if (!m_project.empty()) projectLock.emplace(m_project);
  const auto& file = m_file;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(file, std::string("cannot open: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }  // also releases a lock on the file itself
  } closer{fd};
  if (m_project.empty())
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  struct stat st {};
  ::fstat(fd, &st);
  const bool known = m_nextSeq > 0 && static_cast<std::uint64_t>(st.st_size) == m_knownSize &&
                     static_cast<std::uint64_t>(st.st_ino) == m_knownInode;
  std::uint64_t end = m_knownSize;
  if (!known) {  // rescan: find where to append (past a torn tail) and the next sequence number
    const auto scanned = scan(file);
    end = scanned.appendAt;
    m_nextSeq = scanned.records.empty() ? 0 : scanned.records.back().value("seq", std::int64_t{0}) + 1;
    m_journalId = scanned.journalId;
  }
  if (::ftruncate(fd, static_cast<off_t>(end)) != 0 || ::lseek(fd, 0, SEEK_END) < 0)
    throw InputError(file, std::string("cannot truncate torn tail: ") + std::strerror(errno));
  std::string buf;
  auto frame = [&buf](const nlohmann::json& record) {
    const std::string payload = record.dump();
    const Frame f{kMagic, static_cast<std::uint32_t>(payload.size()), crcOf(payload)};
    buf.append(reinterpret_cast<const char*>(&f), sizeof f);
    buf += payload;
  };
  if (end == 0) {
    m_journalId = randomId();
    frame({{"type", "journal"}, {"id", m_journalId}});
    m_nextSeq = 1;
  }
  if (m_nextSeq == 0) m_nextSeq = 1;
  nlohmann::json record = {{"type", type},
                           {"seq", m_nextSeq},
                           {"run_id", runId},
                           {"payload", nlohmann::json::parse(payloadJson)}};
  if (!m_journalId.empty()) record["journal"] = m_journalId;  // survives a damaged header
  frame(record);
  writeAll(fd, buf.data(), buf.size(), file);
  if (::fsync(fd) != 0) throw InputError(file, std::string("fsync failed: ") + std::strerror(errno));
  ++m_nextSeq;
  m_knownSize = end + buf.size();
  m_knownInode = static_cast<std::uint64_t>(st.st_ino);
}

}  // namespace kvwb::core
