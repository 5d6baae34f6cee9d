// The run journal's promises checked on a journal file the fuzzer wrote: reading never throws
// (damage is reported, not thrown), and appending one record keeps every record read before,
// in order, plus the new one (run_journal.h: "never drop records silently").
#pragma once

#include <filesystem>
#include <string>

#include "core/project/run_journal.h"
#include "fuzz/fuzz_common.h"

namespace kvwb::fuzz {

inline void checkJournal(const std::filesystem::path& file) {
  using kvwb::core::JournalContents;
  const JournalContents before = kvwb::core::readJournalFile(file);
  auto journal = kvwb::core::RunJournal::atFile(file);
  journal.setStatus("fuzz-run", "finished");
  const JournalContents after = kvwb::core::readJournalFile(file);
  if (after.entries.size() != before.entries.size() + 1)
    broken("appending one record took the journal from " + std::to_string(before.entries.size()) +
           " to " + std::to_string(after.entries.size()) + " entries");
  for (std::size_t i = 0; i < before.entries.size(); ++i) {
    const auto &a = before.entries[i], &b = after.entries[i];
    if (a.seq != b.seq || a.type != b.type || a.runId != b.runId)
      broken("entry " + std::to_string(i) + " changed after an append");
  }
  const auto& last = after.entries.back();
  if (last.type != "status" || last.runId != "fuzz-run" || last.status != "finished")
    broken("the appended record did not read back last");
}

}  // namespace kvwb::fuzz
