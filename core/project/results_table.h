// The HDF5 results table of a run (/runs/<id>/results): an extensible compound dataset whose
// columns are the ResultRow fields, one float64 per fit metric named by its column (strings
// variable-length UTF-8, NaN = not measured). Internal to the project implementation.
#pragma once

#include <hdf5.h>

#include <vector>

#include "core/project/project_types.h"

namespace kvwb::core {

void appendResults(hid_t runGroup, const std::vector<ResultRow>& rows);  // creates when absent
std::vector<ResultRow> readResults(hid_t runGroup);
std::int64_t countResults(hid_t runGroup);

}  // namespace kvwb::core
