// Method descriptors as JSON, text and markdown (see method_docs.h).
#include "core/compress/method_docs.h"

#include <cmath>

#include "core/compress/compress_params.h"  // shortNumber
#include "core/compress/method_descriptor.h"

namespace kvwb::core {
namespace {

std::string valueText(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// "[1, 65536]", "8, 4, 2", "float16, float32", "" (booleans, nested methods).
std::string rangeText(const ParamSpec& p) {
  if (!p.choices.empty()) {
    std::string list;
    for (const auto& c : p.choices) list += (list.empty() ? "" : ", ") + valueText(c);
    return list;
  }
  if (p.type != ParamType::Integer && p.type != ParamType::Number) return "";
  const auto bound = [](double v) { return std::isfinite(v) ? shortNumber(v) : std::string(v < 0 ? "-inf" : "inf"); };
  return "[" + bound(p.min) + ", " + bound(p.max) + "]";
}

constexpr const char* kGeneratedText = "written by kvwb-cli allocate --spec, not offered in the sweep dialog";

// The default, or why there is none: required, one of a group, derived (the doc says from what).
std::string defaultText(const MethodDescriptor& m, const ParamSpec& p) {
  if (p.defaultValue == "") return "none";
  if (!p.defaultValue.is_null()) return valueText(p.defaultValue);
  if (p.required) return "required";
  if (!p.oneOf.empty()) {
    std::string group;
    for (const auto& q : m.params)
      if (q.oneOf == p.oneOf) group += (group.empty() ? "" : " or ") + q.name;
    return "exactly one of " + group;
  }
  return "derived";
}

std::string needsText(const MethodNeeds& n) {
  std::string s;
  const auto add = [&](bool need, const char* what) { if (need) s += (s.empty() ? "" : ", ") + std::string(what); };
  add(n.queries, "queries");
  add(n.calibration, "calibration tokens");
  add(n.oneKind, "one kind per batch");
  add(n.model, "the model");
  return s.empty() ? "nothing else" : s;
}

std::string gridText(const nlohmann::json& grid) {
  std::string s;
  for (const auto& [name, values] : grid.items()) {
    std::string list;
    for (const auto& v : values) list += (list.empty() ? "" : ", ") + valueText(v);
    s += (s.empty() ? "" : "; ") + name + " = " + list;
  }
  return s;
}

// A markdown table cell: pipes escaped.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

nlohmann::json methodsJson() {
  auto all = nlohmann::json::array();
  for (const auto* m : methodDescriptors()) {
    auto params = nlohmann::json::array();
    for (const auto& p : m->params) {
      nlohmann::json j = {{"name", p.name}, {"type", paramTypeName(p.type)}, {"default", p.defaultValue},
                          {"doc", p.doc}, {"required", p.required}};
      if (p.type == ParamType::Integer || p.type == ParamType::Number) {
        if (std::isfinite(p.min)) j["min"] = p.min;
        if (std::isfinite(p.max)) j["max"] = p.max;
      }
      if (!p.choices.empty()) j["choices"] = p.choices;
      if (!p.oneOf.empty()) j["one_of"] = p.oneOf;
      params.push_back(std::move(j));
    }
    all.push_back({{"name", m->name},
                   {"family", familyName(m->family)},
                   {"doc", m->doc},
                   {"params", std::move(params)},
                   {"default_grid", m->defaultGrid},
                   {"needs",
                    {{"queries", m->needs.queries},
                     {"calibration", m->needs.calibration},
                     {"one_kind", m->needs.oneKind},
                     {"model", m->needs.model}}},
                   {"ratio_param", m->ratioParam},
                   {"bytes_exact", m->bytesExact}});
  }
  return all;
}

void writeMethodsText(std::ostream& out) {
  for (const auto* m : methodDescriptors()) {
    out << m->name << "  (" << familyName(m->family) << ")  " << m->doc << "\n";
    for (const auto& p : m->params) {
      const auto range = rangeText(p);
      out << "    " << p.name << "  " << paramTypeName(p.type) << (range.empty() ? "" : " " + range)
          << ", default " << defaultText(*m, p) << ": " << p.doc << "\n";
    }
    out << "    needs: " << needsText(m->needs) << "; "
        << (m->generated ? std::string(kGeneratedText) : "default grid: " + gridText(m->defaultGrid)) << "\n\n";
  }
}

void writeMethodsMarkdown(std::ostream& out) {
  for (const auto* m : methodDescriptors()) {
    out << "### `" << m->name << "` (" << familyName(m->family) << ")\n" << cell(m->doc) << ". Needs: "
        << needsText(m->needs) << ". "
        << (m->generated ? std::string(kGeneratedText) : "Sweep dialog's default grid: " + cell(gridText(m->defaultGrid)))
        << ".\n\n";
    out << "| parameter | type | default | range or choices | meaning |\n| --- | --- | --- | --- | --- |\n";
    for (const auto& p : m->params)
      out << "| `" << p.name << "` | " << paramTypeName(p.type) << " | " << cell(defaultText(*m, p)) << " | "
          << cell(rangeText(p)) << " | " << cell(p.doc) << " |\n";
    out << "\n";
  }
}

}  // namespace kvwb::core
