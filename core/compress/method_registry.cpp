// The method registry: the entries listed in methods/registered_methods.def, looked up by name.
#include "core/compress/method_registry.h"

#include <stdexcept>

namespace kvwb::core {

#define KVWB_METHOD(entry) MethodEntry entry();
#include "core/compress/methods/registered_methods.def"
#undef KVWB_METHOD

namespace {

const std::vector<MethodEntry>& entries() {
  static const std::vector<MethodEntry> all = {
#define KVWB_METHOD(entry) entry(),
#include "core/compress/methods/registered_methods.def"
#undef KVWB_METHOD
  };
  return all;
}

const MethodEntry& entry(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : entries()) {
    if (e.describe().name == name) return e;
    names.push_back(e.describe().name);
  }
  const auto guess = closestWord(name, names);
  throw std::invalid_argument("unknown compression method '" + name + "'" +
                              (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
}

}  // namespace

const std::vector<const MethodDescriptor*>& methodDescriptors() {
  static const std::vector<const MethodDescriptor*> all = [] {
    std::vector<const MethodDescriptor*> out;
    for (const auto& e : entries()) out.push_back(&e.describe());
    return out;
  }();
  return all;
}

const MethodDescriptor& methodDescriptor(const std::string& name) { return entry(name).describe(); }

std::unique_ptr<Compressor> makeCompressor(const std::string& method) { return entry(method).make(); }

}  // namespace kvwb::core
