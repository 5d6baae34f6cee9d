// Typed errors of the core library: every message names the file (or target) and what is wrong.
// Thrown inside core, caught at module edges (CLI main, job runner, GUI adapters).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace kvwb::core {

// Bad or unreadable input: a dump, a project, a checkpoint. what() = "<file>: <problem>".
class InputError : public std::runtime_error {
 public:
  InputError(const std::filesystem::path& file, const std::string& problem)
      : std::runtime_error(file.string() + ": " + problem), m_file(file), m_problem(problem) {}
  const std::filesystem::path& file() const { return m_file; }
  const std::string& problem() const { return m_problem; }

 private:
  std::filesystem::path m_file;
  std::string m_problem;
};

// The user cancelled a long operation through its JobContext.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace kvwb::core
