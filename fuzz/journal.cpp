// Fuzz target: a run-journal file as raw bytes (readJournalFile: frame scan, CRC, resync past
// damaged records, JSON records and their payloads), then one append and a re-read
// (fuzz/journal_checks.h). Random bytes rarely carry a valid CRC, so this target mostly covers the
// scanner; journal_records covers the record contents.
#include <cstddef>
#include <cstdint>

#include "fuzz/journal_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.kvw-journal", data, size);
  fuzz::expectInputErrors([&] { fuzz::checkJournal(path); });
  return 0;
}
