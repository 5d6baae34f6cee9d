// Fuzz target: run-journal records with valid frames. The input is split at 0x1E bytes; each
// piece is framed [magic "KVWJ"][length][crc32] as RunJournal writes it, so the fuzzer reaches
// the record parser (framing fields, run/result/results/status payloads, journal ids) instead of
// the checksum. Then readJournalFile, one append and a re-read (fuzz/journal_checks.h).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz/journal_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  std::string file;
  const auto* text = reinterpret_cast<const char*>(data);
  for (std::size_t begin = 0; begin <= size;) {
    const auto* sep = static_cast<const char*>(std::memchr(text + begin, 0x1E, size - begin));
    const std::size_t end = sep ? static_cast<std::size_t>(sep - text) : size;
    const std::string payload(text + begin, end - begin);
    const std::uint32_t frame[3] = {
        0x4A57564B, static_cast<std::uint32_t>(payload.size()),
        static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                                         static_cast<uInt>(payload.size())))};
    file.append(reinterpret_cast<const char*>(frame), sizeof frame);
    file += payload;
    begin = end + 1;
  }
  const auto path = fuzz::writeInput("records.kvw-journal",
                                     reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
  fuzz::expectInputErrors([&] { fuzz::checkJournal(path); });
  return 0;
}
