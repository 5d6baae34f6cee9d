// Helpers for core tests: temporary folders, the real model and texts bundled in the checkout, tiny
// file writers for crafting (also malformed) dumps, and Debian's Python for fixtures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kvwb::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

std::filesystem::path sourceDir();
// The real model `name` ("stories260K-hf", "stories260K") and real text `name` ("fiction.txt"):
// ../shared/models and ../shared/texts beside the checkout where they are, else the copies
// bundled in the checkout (datasets/, resources/texts/), so the real-data tests run in any clone.
std::filesystem::path modelDir(const std::string& name);
std::filesystem::path textFile(const std::string& name);
// datasets/demo.kvw copied into `dir` as `name`, with the model its captures name beside it
// (relative to the project, it travels with the copy); "" when the checkout has no demo project.
std::filesystem::path copyDemoProject(const std::filesystem::path& dir, const std::string& name = "p.kvw");

void writeFile(const std::filesystem::path& path, const std::string& bytes);
std::string readFile(const std::filesystem::path& path);

struct RawTensor {
  std::string name, dtype;  // safetensors dtype spelling
  std::vector<std::int64_t> shape;
  std::string bytes;
};
// A well-formed safetensors file (tests corrupt it afterwards where they need to).
std::string safetensorsBytes(const std::vector<RawTensor>& tensors);
std::string npyBytes(const std::string& descr, const std::vector<std::int64_t>& shape,
                     const std::string& data, bool fortranOrder = false);
// A .npy stream with `header` verbatim (format 1.0, or 2.0 when it needs a 4-byte length).
std::string npyFromHeader(const std::string& header, const std::string& data);
std::string floatBytes(const std::vector<float>& v);

// Runs /usr/bin/python3 with arguments; returns its exit code (127 when absent).
int runPython(const std::vector<std::string>& args);
bool pythonHasModules(const std::string& modules);  // e.g. "numpy,h5py,torch"

// The InputError message of `action`, or "" when it succeeds (any other exception propagates and
// fails the test).
std::string inputErrorOf(const std::function<void()>& action);
bool contains(const std::string& text, const std::string& part);

}  // namespace kvwb::test
