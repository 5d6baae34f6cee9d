// UTC ISO-8601 time stamps.
#include "core/project/time_stamp.h"

#include <chrono>
#include <ctime>

namespace kvwb::core {

std::string utcTimestamp() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace kvwb::core
