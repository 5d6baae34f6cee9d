// Sweep shards (see sweep_shard.h): assignment, shard files and their headers.
#include "core/sweep/sweep_shard.h"

#include <algorithm>
#include <stdexcept>

#include "core/analysis/capture_analysis.h"
#include "core/base/errors.h"
#include "core/base/json_int.h"
#include "core/base/stable_hash.h"
#include "core/project/run_journal.h"

namespace kvwb::core {
namespace {

constexpr const char* kHeaderType = "shard";

nlohmann::json headerToJson(const ShardHeader& h) {
  return {{"shard", h.shard.index},  {"of", h.shard.count}, {"spec_name", h.specName},
          {"spec_hash", h.specHash}, {"spec", h.spec},      {"fingerprints", h.fingerprints},
          {"project", h.project}};
}

ShardHeader headerFromJson(const nlohmann::json& j) {
  ShardHeader h;
  h.shard = {intAt(j, "shard"), intAt(j, "of")};
  h.specName = j.at("spec_name").get<std::string>();
  h.specHash = j.at("spec_hash").get<std::string>();
  h.spec = j.at("spec");
  h.fingerprints = j.at("fingerprints").get<std::map<std::string, std::string>>();
  h.project = j.value("project", "");
  return h;
}

// The header a shard of `spec` on `project` carries: the fingerprints of the captures its jobs
// read.
ShardHeader makeHeader(const Project& project, const SweepSpec& spec, ShardId shard,
                       const std::vector<SweepJob>& jobs) {
  ShardHeader h;
  h.shard = shard;
  h.specName = spec.name;
  h.specHash = specHash(spec);
  h.spec = spec.source;
  for (const auto& job : jobs)
    h.fingerprints[job.capture] = captureFingerprint(project.capture(job.capture));
  h.project = std::filesystem::absolute(project.path()).string();
  return h;
}

}  // namespace

std::string ShardId::text() const { return std::to_string(index) + "/" + std::to_string(count); }

ShardId parseShardId(const std::string& text) {
  const auto slash = text.find('/');
  ShardId id;
  try {
    std::size_t end1 = 0, end2 = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    id.index = std::stoi(text.substr(0, slash), &end1);
    id.count = std::stoi(text.substr(slash + 1), &end2);
    if (end1 != slash || end2 != text.size() - slash - 1)
      throw std::invalid_argument("trailing text");
  } catch (const std::logic_error&) {
    throw std::invalid_argument("expected I/N (shard I of N, 0 <= I < N), got '" + text + "'");
  }
  if (id.count < 1 || id.index < 0 || id.index >= id.count)
    throw std::invalid_argument("expected I/N with 0 <= I < N, got '" + text + "'");
  return id;
}

bool inShard(const std::string& jobKey, ShardId shard) {
  return stableHash(jobKey) % static_cast<std::uint64_t>(shard.count) ==
         static_cast<std::uint64_t>(shard.index);
}

std::vector<SweepJob> shardJobs(const std::vector<SweepJob>& jobs, ShardId shard) {
  std::vector<SweepJob> out;
  std::copy_if(jobs.begin(), jobs.end(), std::back_inserter(out),
               [&](const SweepJob& j) { return inShard(j.key, shard); });
  return out;
}

std::filesystem::path shardPath(const std::filesystem::path& project, const std::string& specName,
                                ShardId shard) {
  return project.string() + "." + specName + ".shard-" + std::to_string(shard.index) + "-of-" +
         std::to_string(shard.count);
}

std::optional<ShardId> shardIdFromPath(const std::filesystem::path& file) {
  const auto name = file.filename().string();
  const auto at = name.rfind(".shard-");
  if (at == std::string::npos) return std::nullopt;
  const auto rest = name.substr(at + 7);  // "I-of-N"
  const auto of = rest.find("-of-");
  if (of == std::string::npos) return std::nullopt;
  try {
    return parseShardId(rest.substr(0, of) + "/" + rest.substr(of + 4));
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

std::vector<std::filesystem::path> findShardFiles(const std::filesystem::path& project) {
  const auto dir =
      project.parent_path().empty() ? std::filesystem::path(".") : project.parent_path();
  const auto prefix = project.filename().string() + ".";
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && shardIdFromPath(name) && e.is_regular_file())
      out.push_back(project.parent_path() / name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string specHash(const SweepSpec& spec) { return stableHashHex(spec.source.dump()); }

std::string mostTellingStatus(const std::vector<std::string>& statuses) {
  static const std::vector<std::string> order = {"failed", "cancelled", "running", "finished"};
  std::size_t best = order.size() - 1;
  for (const auto& s : statuses)
    best = std::min<std::size_t>(best, std::find(order.begin(), order.end(), s) - order.begin());
  return order[best];
}

std::string ShardContents::state() const {
  if (!exists) return "absent";
  if (status.empty()) return "running";  // started, no run recorded yet
  std::vector<std::string> all;
  for (const auto& [run, s] : status) all.push_back(s);
  return mostTellingStatus(all);
}

ShardContents readShard(const std::filesystem::path& file) {
  ShardContents out;
  out.file = file;
  out.exists = std::filesystem::exists(file);
  if (!out.exists) return out;
  const auto journal = readJournalFile(file);
  std::int64_t lastSeq = -1;
  std::string lastKey;
  for (const auto& e : journal.entries) {
    if (e.type == kHeaderType && !out.hasHeader) {
      try {
        out.header = headerFromJson(nlohmann::json::parse(e.payloadJson));
      } catch (const nlohmann::json::exception& x) {
        throw InputError(file, std::string("corrupt shard header: ") + x.what());
      }
      const auto& id = out.header.shard;
      if (id.count < 1 || id.index < 0 || id.index >= id.count)
        throw InputError(file, "corrupt shard header: there is no shard " + id.text());
      out.hasHeader = true;
    }
    if (e.type == "run") {
      out.runs.push_back(e.run);
      out.status.emplace(e.runId, "running");
    }
    if (e.type == "status") out.status[e.runId] = e.status;
    if (e.type != "result") continue;
    // The rows of one record (one sequence number) are one job's; its key is in their params.
    if (e.seq != lastSeq) {
      lastSeq = e.seq;
      const auto params = nlohmann::json::parse(e.result.paramsJson, nullptr, false);
      lastKey = params.is_object() ? params.value("job", "") : "";
      if (out.jobs.count(lastKey)) lastKey.clear();  // a job committed twice: the first counts
      if (!lastKey.empty()) {
        out.order.push_back(lastKey);
        out.jobs[lastKey].runId = e.runId;
      }
    }
    if (!lastKey.empty()) out.jobs[lastKey].rows.push_back(e.result);
  }
  // No header: a project journal, another file, or (named as a shard) one whose first append was
  // torn.
  if (!out.hasHeader && (!journal.entries.empty() ||
                         (!shardIdFromPath(file) && std::filesystem::file_size(file) > 0)))
    throw InputError(file, "is not a sweep shard (no shard header)");
  return out;
}

void checkShardMatches(const ShardContents& shard, const Project& project, const SweepSpec& spec) {
  const auto& h = shard.header;
  if (h.specHash != specHash(spec))
    throw InputError(shard.file, "is a shard of another sweep spec: sweep '" + h.specName +
                                     "' (spec hash " + h.specHash + "), not sweep '" + spec.name +
                                     "' of " + spec.origin + " (spec hash " + specHash(spec) + ")");
  for (const auto& [capture, fingerprint] : h.fingerprints) {
    if (!project.hasCapture(capture))
      throw InputError(shard.file, "belongs to another project: " + project.path().string() +
                                       " has no capture '" + capture + "' (shard written for " +
                                       h.project + ")");
    if (captureFingerprint(project.capture(capture)) != fingerprint)
      throw InputError(shard.file, "belongs to another project: capture '" + capture + "' of " +
                                       project.path().string() +
                                       " differs from the one it was run on (" + h.project + ")");
  }
}

SweepSpec shardSpec(const ShardContents& shard) {
  return parseSweepSpec(shard.header.spec, shard.file.string());
}

ShardStart startShard(const Project& project, const SweepSpec& spec, ShardId shard,
                      const std::vector<SweepJob>& allJobs) {
  ShardStart start;
  start.file = shardPath(project.path(), spec.name, shard);
  start.jobs = shardJobs(allJobs, shard);
  auto contents = readShard(start.file);
  if (!contents.hasHeader) {
    RunJournal::atFile(start.file)
        .appendRecord(kHeaderType, headerToJson(makeHeader(project, spec, shard, allJobs)).dump());
    return start;
  }
  if (contents.header.shard.index != shard.index || contents.header.shard.count != shard.count)
    throw InputError(start.file,
                     "holds shard " + contents.header.shard.text() + ", not " + shard.text());
  try {
    checkShardMatches(contents, project, spec);
  } catch (const InputError& e) {
    throw InputError(start.file, e.problem() + ": merge it, or remove it to run this spec");
  }
  for (const auto& key : contents.order) start.committed.insert(key);
  for (const auto& run : contents.runs) start.runs.insert(run.id);
  return start;
}

ShardProgress shardProgress(const ShardContents& shard, ShardId id,
                            const std::vector<SweepJob>& jobs,
                            const std::set<std::string>& inProject) {
  ShardProgress p;
  p.shard = id;
  p.file = shard.file;
  p.state = shard.state();
  for (const auto& job : jobs) {
    if (!inShard(job.key, id)) continue;
    ++p.planned;
    p.committed += shard.jobs.count(job.key) || inProject.count(job.key);
  }
  // A shard with nothing left to do is finished even when it wrote no status (no jobs of its own).
  if (p.state == "running" && p.committed == p.planned) p.state = "finished";
  return p;
}

std::set<std::string> committedJobKeys(const Project& project, const std::vector<SweepJob>& jobs) {
  std::set<std::string> runIds, done;
  for (const auto& job : jobs) runIds.insert(job.runId);
  for (const auto& run : project.runs()) {
    if (!runIds.count(run.id)) continue;
    for (const auto& row : project.results(run.id)) {
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      if (params.is_object() && params.contains("job") && params["job"].is_string())
        done.insert(params["job"].get<std::string>());
    }
  }
  return done;
}

}  // namespace kvwb::core
