// UTC time stamps for metadata and run records, ISO 8601 ("2026-11-23T11:37:51Z"). Any thread.
#pragma once

#include <string>

namespace kvwb::core {

std::string utcTimestamp();

}  // namespace kvwb::core
