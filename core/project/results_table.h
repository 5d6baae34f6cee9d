// The HDF5 results table of a run (/runs/<id>/results): an extensible compound dataset whose
// columns are the ResultRow fields, one float64 per fit metric named by its column (strings
// fixed-length UTF-8 as wide as the longest value, NaN = not measured), chunked with a Fletcher32
// checksum per chunk. Internal to the project implementation; `file` names the project in errors
// (InputError), and a table whose size the file cannot hold is refused before it is read.
#pragma once

#include <hdf5.h>

#include <filesystem>
#include <vector>

#include "core/project/project_types.h"

namespace kvwb::core {

// Creates the table when absent.
void appendResults(hid_t runGroup, const std::vector<ResultRow>& rows,
                   const std::filesystem::path& file);
std::vector<ResultRow> readResults(hid_t runGroup, const std::filesystem::path& file);
std::int64_t countResults(hid_t runGroup, const std::filesystem::path& file);

}  // namespace kvwb::core
