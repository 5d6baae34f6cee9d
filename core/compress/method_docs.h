// Every registered method's descriptor as documentation: JSON (`kvwb-cli methods --json`), plain
// text (`kvwb-cli methods`) and the markdown of docs/SWEEPS.md's parameter tables, which a test
// keeps equal to this output. Std-typed; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace kvwb::core {

nlohmann::json methodsJson();
void writeMethodsText(std::ostream& out);
void writeMethodsMarkdown(std::ostream& out);

}  // namespace kvwb::core
