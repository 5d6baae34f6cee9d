// Write-ahead journal of runs and results beside a project (`P.kvw` -> `P.kvw-journal`).
// Appending a record is the commit point of a result: when append returns, the record is on disk
// (fsync). Each record is framed [magic][length][crc32][JSON]; a torn tail from a crash is ignored
// on read and cut off before the next append. A damaged record in the middle (or a well-framed one
// whose content is malformed) is skipped alone and reported (JournalContents::damage); so is a
// damaged header, whose journal id every record also carries. A journal with damage is never
// removed by a fold. ProjectEdit folds the journal into the HDF5 file.
// One writer at a time (an exclusive lock on `P.kvw.lock`); readers need no lock. A sweep shard
// (core/sweep/sweep_shard.h) is a file in the same format at its own path, locked by itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/base/file_lock.h"
#include "core/project/project_types.h"

namespace kvwb::core {

std::filesystem::path journalPath(const std::filesystem::path& project);
std::filesystem::path lockPath(const std::filesystem::path& project);

// A journal's committed content, in order.
struct JournalContents {
  std::string journalId;  // random id of this journal file ("" when there is none)
  struct Entry {
    std::int64_t seq = 0;
    std::string type;  // "run", "result", "status" ("results" records are read as "result"s)
    std::string runId;
    RunInfo run;        // type "run"
    ResultRow result;   // type "result"
    std::string status; // type "status"
    std::string payloadJson;  // any other type (a shard's header): its payload
  };
  std::vector<Entry> entries;
  // Damaged stretches skipped by the reader (a record whose checksum fails), each naming its
  // bytes and the record numbers lost; empty for a healthy journal or one with a torn tail.
  std::vector<std::string> damage;
};

JournalContents readJournal(const std::filesystem::path& project);
JournalContents readJournalFile(const std::filesystem::path& file);  // a journal-format file

// Exclusive advisory lock on the project's lock file (lockPath), held for the object's life.
class ProjectLock {
 public:
  explicit ProjectLock(const std::filesystem::path& project) : m_lock(lockPath(project)) {}

 private:
  FileLock m_lock;
};

class RunJournal {
 public:
  explicit RunJournal(std::filesystem::path project);
  // Writes the journal-format file `file` itself, locking that file instead of a project.
  static RunJournal atFile(std::filesystem::path file);
  void beginRun(const RunInfo& run);
  void append(const std::string& runId, const ResultRow& row);  // durable on return
  // Several rows as one record: all of them are committed, or (after a crash) none.
  void appendBatch(const std::string& runId, const std::vector<ResultRow>& rows);
  void setStatus(const std::string& runId, const std::string& status);
  // A record of another type (read back with its payloadJson), e.g. a shard's header.
  void appendRecord(const std::string& type, const std::string& payloadJson);

 private:
  RunJournal() = default;
  void write(const std::string& type, const std::string& runId, const std::string& payloadJson);
  std::filesystem::path m_project;  // whose lock guards writes; empty: lock m_file itself
  std::filesystem::path m_file;
  // What this writer last left on disk; a mismatch (another writer, a fold) forces a rescan.
  std::uint64_t m_knownSize = 0, m_knownInode = 0;
  std::int64_t m_nextSeq = 0;  // 0: unknown
  std::string m_journalId;     // written into every record, so a damaged header loses no id
};

}  // namespace kvwb::core
