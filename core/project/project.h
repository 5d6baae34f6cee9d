// The KV Workbench project file (.kvw, HDF5, schema v1 in docs/PROJECT_FORMAT.md).
// `Project` reads; `ProjectEdit` changes a project copy-on-write: it copies the file, folds the run
// journal in, applies the edit, and on commit() atomically renames the copy over the original, so a
// crash at any moment leaves either the old or the new project. Results of running sweeps go
// through RunJournal (run_journal.h) and are visible to Project immediately.
//
//   kvwb::core::Project p = kvwb::core::Project::open("demo.kvw");
//   for (const auto& c : p.captures()) std::cout << c.name << " " << c.layers << "\n";
//   FloatMatrix keys = p.readTarget("fiction", TensorKind::Keys, /*layer*/ 2, /*head*/ 1);
//
// Project is a value (path + cached listing); it opens the HDF5 file per call, so it never holds a
// handle across a concurrent commit. Safe to use from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/formats/dtype.h"
#include "core/project/project_types.h"

namespace kvwb::core {

inline constexpr const char* kFormatName = "kv-workbench";
inline constexpr std::int64_t kFormatVersion = 1;

// The array groups a capture owns (deleted with it): its structure analysis and quality baselines.
inline std::string analysisGroup(const std::string& capture) { return "analysis/" + capture; }
inline std::string qualityBaselineGroup(const std::string& capture, const std::string& key) {
  return "quality_baseline/" + capture + "/" + key;
}

class Project {
 public:
  // Throws InputError naming the file when it is missing, not HDF5, not a KV Workbench project,
  // or of a newer format version.
  static Project open(const std::filesystem::path& path);
  // Creates an empty project (atomically); throws if the file exists.
  static Project create(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return m_path; }
  const std::vector<CaptureInfo>& captures() const { return m_captures; }
  const CaptureInfo& capture(const std::string& name) const;  // throws InputError when absent
  bool hasCapture(const std::string& name) const;

  // One (layer, head) of a tensor kind as a T x D float32 matrix: a single chunk read.
  FloatMatrix readTarget(const std::string& capture, TensorKind kind, std::int64_t layer,
                         std::int64_t head) const;
  std::vector<std::int32_t> tokenIds(const std::string& capture) const;  // empty when not stored

  // Groups of float32 arrays with a JSON "attrs" attribute: the structure analysis of a capture
  // (analysis/<capture>) and its quality baselines (quality_baseline/<capture>/<key>). The attrs
  // ("" when the group is absent), the arrays' names, and one array: whole, or `rows` rows of
  // its leading dimension from `firstRow` (one read of that slice).
  std::string arrayGroupAttrs(const std::string& group) const;
  std::vector<std::string> arrayGroupNames(const std::string& group) const;
  NamedArray readArray(const std::string& group, const std::string& name, std::int64_t firstRow = 0,
                       std::int64_t rows = -1) const;

  // Runs from the HDF5 file and the journal, in creation order, with result counts.
  std::vector<RunInfo> runs() const;
  std::vector<ResultRow> results(const std::string& runId) const;

  // Re-reads the listing (after an edit by this or another process).
  void refresh();

 private:
  explicit Project(std::filesystem::path path) : m_path(std::move(path)) {}
  std::filesystem::path m_path;
  std::vector<CaptureInfo> m_captures;
};

class ProjectEdit {
 public:
  // Starts an edit of `project`, creating a new empty project when the file does not exist.
  // Holds the project's lock until commit or destruction.
  explicit ProjectEdit(const std::filesystem::path& project);
  ~ProjectEdit();  // without commit(): discards the copy, the project is untouched
  ProjectEdit(const ProjectEdit&) = delete;
  ProjectEdit& operator=(const ProjectEdit&) = delete;

  // Creates /captures/<name> with datasets for the layout in `info` (keys and values always;
  // queries / keys_prerope when flagged), stored as info.storageDtype. Replaces nothing: throws
  // InputError when a capture of that name exists (deleteCapture first).
  void createCapture(const CaptureInfo& info);
  // Writes one layer [H, T, D] of `kind`, converting from `srcType` to the storage type.
  void writeLayer(const std::string& capture, TensorKind kind, std::int64_t layer, DType srcType,
                  std::span<const std::byte> data);
  void writeTokenIds(const std::string& capture, std::span<const std::int32_t> ids);
  void deleteCapture(const std::string& name);
  // Replaces the array group `group` (see Project::arrayGroupAttrs) with `arrays` (float32
  // datasets) and an "attrs" JSON attribute, creating the groups on its path.
  void writeArrayGroup(const std::string& group, const std::vector<NamedArray>& arrays,
                       const std::string& attrsJson);

  // What the journal fold skipped as damaged (JournalContents::damage); call before commit().
  // Callers report it: those records are lost from the project, and the journal is kept.
  const std::vector<std::string>& journalDamage() const;

  // Atomically replaces the project with the edited copy, then drops the folded journal unless
  // it had damage.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kvwb::core
