// JSON forms of RunInfo and ResultRow (journal records, exports). Metric keys are the fit metric
// table's column names; NaN travels as null, and a key that is missing or not a number reads
// as NaN (journals written before a metric existed). Plain functions, any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "core/project/project_types.h"

namespace kvwb::core {

nlohmann::json runToJson(const RunInfo& run);
RunInfo runFromJson(const nlohmann::json& j);
nlohmann::json resultToJson(const ResultRow& row);
ResultRow resultFromJson(const nlohmann::json& j);

}  // namespace kvwb::core
