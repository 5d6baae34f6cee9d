// JSON forms of RunInfo and ResultRow (journal records, exports). NaN metrics travel as null.
#pragma once

#include <nlohmann/json.hpp>

#include "core/project_types.h"

namespace kvwb::core {

nlohmann::json runToJson(const RunInfo& run);
RunInfo runFromJson(const nlohmann::json& j);
nlohmann::json resultToJson(const ResultRow& row);
ResultRow resultFromJson(const nlohmann::json& j);

}  // namespace kvwb::core
