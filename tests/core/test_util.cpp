// Test helpers (see test_util.h).
#include "test_util.h"

#include "core/base/errors.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace kvwb::test {

TempDir::TempDir() {
  std::random_device rd;
  m_path = std::filesystem::temp_directory_path() /
           ("kvwb-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path sourceDir() { return KVWB_SOURCE_DIR; }

std::filesystem::path copyDemoProject(const std::filesystem::path& dir, const std::string& name) {
  const auto demo = sourceDir() / "datasets/demo.kvw";
  if (!std::filesystem::exists(demo)) return {};
  if (!std::filesystem::exists(dir / "stories260K-hf"))
    std::filesystem::copy(sourceDir() / "datasets/stories260K-hf", dir / "stories260K-hf");
  std::filesystem::copy_file(demo, dir / name);
  return dir / name;
}

namespace {
// `shared` under ../shared when it is there, else the checkout's copy `bundled`.
std::filesystem::path sharedOrBundled(const std::filesystem::path& shared, const std::filesystem::path& bundled) {
  const auto p = std::filesystem::path(KVWB_SHARED_DIR) / shared;
  return std::filesystem::exists(p) ? p : sourceDir() / bundled;
}
}  // namespace

std::filesystem::path modelDir(const std::string& name) {
  return sharedOrBundled(std::filesystem::path("models") / name, std::filesystem::path("datasets") / name);
}

std::filesystem::path textFile(const std::string& name) {
  return sharedOrBundled(std::filesystem::path("texts") / name, std::filesystem::path("resources/texts") / name);
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string safetensorsBytes(const std::vector<RawTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape},
                      {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  const std::string h = header.dump();
  const std::uint64_t n = h.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + h + data;
}

std::string npyBytes(const std::string& descr, const std::vector<std::int64_t>& shape,
                     const std::string& data, bool fortranOrder) {
  std::string dims;
  for (auto d : shape) dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " +
                       (fortranOrder ? "True" : "False") + ", 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  return npyFromHeader(header + '\n', data);
}

std::string npyFromHeader(const std::string& header, const std::string& data) {
  const bool v1 = header.size() <= 0xffff;
  std::string out = "\x93NUMPY";
  out += v1 ? '\x01' : '\x02';
  out += '\x00';
  for (std::size_t i = 0; i < (v1 ? 2u : 4u); ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string floatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

int runPython(const std::vector<std::string>& args) {
  if (!std::filesystem::exists("/usr/bin/python3")) return 127;
  std::string cmd = "/usr/bin/python3";
  for (const auto& a : args) cmd += " '" + a + "'";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

bool pythonHasModules(const std::string& modules) {
  return runPython({"-c", "import " + modules}) == 0;
}

std::string inputErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const kvwb::core::InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace kvwb::test
