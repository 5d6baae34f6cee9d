// Slurm job arrays for sweeps (see slurm.h): the scripts, sbatch, and the tasks' states.
#include "core/sweep/slurm.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/base/errors.h"
#include "core/base/subprocess.h"
#include "core/project/time_stamp.h"

namespace kvwb::core {
namespace {

constexpr const char* kJobsFile = "jobs.json";

std::filesystem::path slurmDir(const std::filesystem::path& project, const std::string& sweep) {
  return project.string() + "." + sweep + ".slurm";
}

// `s` as one shell word.
std::string shellQuote(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789_./+-:=@%,") == std::string::npos;
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void writeText(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw InputError(file, "cannot write");
}

nlohmann::json readJson(const std::filesystem::path& file) {
  std::ifstream in(file);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw InputError(file, "is not the JSON object kvwb-cli slurm wrote");
  return j;
}

// The #SBATCH lines both scripts share.
std::string commonDirectives(const SlurmOptions& o) {
  std::string s = "#SBATCH --ntasks=1\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  return s;
}

// The scripts, with @NAME@ placeholders (fill()); @COMMON@ and @OPTIONAL@ are whole #SBATCH lines.
constexpr const char* kArrayScript = R"(#!/bin/bash
# KV Workbench: sweep '@NAME@' on @PROJECT@ as a Slurm job array
# of @TASKS@ tasks, written by `kvwb-cli slurm`. Task I runs the jobs whose key hashes to I
# (stableHash(key) % @TASKS@ == I) into the shard file @PROJECT_FILE@.@NAME@.shard-I-of-@TASKS@
# beside the project; run again, a task resumes its shard. merge.sbatch then folds the shards
# into the project. Edit freely for your site: account, QOS, modules, memory.
# Submit both:   jid=$(sbatch --parsable array.sbatch) && sbatch --dependency=afterany:${jid%%;*} merge.sbatch
# Rerun task I:  sbatch --array=I array.sbatch   (then the merge again: sbatch merge.sbatch)
#SBATCH --job-name=kvwb-@NAME@
#SBATCH --array=0-@LAST@
@COMMON@@OPTIONAL@#SBATCH --output=@LOGS@/task-%A_%a.out
set -euo pipefail
# module load cuda   # your site's modules, if kvwb-cli needs them at run time
kvwb_cli=@CLI_WORD@
project=@PROJECT_WORD@
spec=@SPEC_WORD@
exec "$kvwb_cli" sweep "$project" "$spec" --shard "$SLURM_ARRAY_TASK_ID/@TASKS@"
)";

constexpr const char* kMergeScript = R"(#!/bin/bash
# KV Workbench: merge the @TASKS@ shards of sweep '@NAME@' into @PROJECT@,
# written by `kvwb-cli slurm`. Submitted with --dependency=afterany on the array, it runs when
# every task has ended, failed ones too: it merges what the shards have committed and lists
# the jobs still missing (exit 3). Merging again after a rerun adds only what is new.
#SBATCH --job-name=kvwb-@NAME@-merge
@COMMON@#SBATCH --output=@LOGS@/merge-%j.out
set -euo pipefail
kvwb_cli=@CLI_WORD@
project=@PROJECT_WORD@
exec "$kvwb_cli" merge "$project" "$project".@NAME_WORD@.shard-{0..@LAST@}-of-@TASKS@
)";

// `text` with every placeholder replaced by its value.
std::string fill(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars)
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  return text;
}

std::string firstLine(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Runs sbatch with `args`; returns the job id (`--parsable` prints "ID" or "ID;CLUSTER").
std::string sbatch(const std::vector<std::string>& args, const std::filesystem::path& script,
                   const std::string& whatIfFails) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(script.string());
  const auto r = runProcess(argv);
  if (!r.started)
    throw InputError(script, "cannot run sbatch (" + r.err +
                                 "): submit from a machine with Slurm's commands" + whatIfFails);
  const auto id = trimmed(r.out.substr(0, r.out.find(';')));
  if (r.exitCode != 0 || id.empty())
    throw InputError(script, "sbatch failed (exit " + std::to_string(r.exitCode) +
                                 "): " + trimmed(r.err + r.out) + whatIfFails);
  return id;
}

// "1-3,5" (an array's pending tasks as sacct and scontrol print them) -> 1, 2, 3, 5.
std::vector<int> expandRange(const std::string& list) {
  std::vector<int> out;
  std::istringstream in(list);
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto dash = part.find('-');
    const int lo = std::stoi(part.substr(0, dash));
    const int hi = dash == std::string::npos
                       ? lo
                       : std::stoi(part.substr(dash + 1, part.find('%') - dash - 1));
    for (int i = lo; i <= hi; ++i) out.push_back(i);
  }
  return out;
}

// Records the state of job `id` ("A_I", "A_[1-3]" or the merge job's "M") in `status`.
void recordState(const std::string& id, const std::string& state, const std::string& detail,
                 SweepClusterStatus& status) {
  const auto& ids = *status.submission;
  if (id == ids.mergeJob) {
    status.merge = SlurmJobState{id, state, detail};
    return;
  }
  if (id.rfind(ids.arrayJob + "_", 0) != 0) return;
  const auto task = id.substr(ids.arrayJob.size() + 1);
  try {
    if (task.front() != '[') {
      status.tasks[std::stoi(task)] = {id, state, detail};
      return;
    }
    for (int i : expandRange(task.substr(1, task.find(']') - 1)))
      status.tasks[i] = {ids.arrayJob + "_" + std::to_string(i), state, detail};
  } catch (const std::logic_error&) {  // not a task id we know how to read
  }
}

// sacct -P lines: "ID|STATE|EXITCODE" ("CANCELLED by 0" keeps its first word).
void readSacct(const std::string& text, SweepClusterStatus& status) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, state, exitCode;
    std::getline(fields, id, '|');
    std::getline(fields, state, '|');
    std::getline(fields, exitCode, '|');
    recordState(id, state.substr(0, state.find(' ')), "exit " + exitCode, status);
  }
}

// scontrol -o lines: "JobId=5 ArrayJobId=1 ArrayTaskId=1 ... JobState=RUNNING Reason=None ...".
void readScontrol(const std::string& text, SweepClusterStatus& status) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> f;
    std::istringstream words(line);
    for (std::string w; words >> w;)
      if (const auto eq = w.find('='); eq != std::string::npos)
        f.emplace(w.substr(0, eq), w.substr(eq + 1));
    auto id = f["JobId"];
    if (f.count("ArrayTaskId")) {
      const auto& tasks = f["ArrayTaskId"];  // "3", or "1-2" for the tasks not started yet
      id = f["ArrayJobId"] + "_" +
           (tasks.find_first_of("-,") == std::string::npos ? tasks : "[" + tasks + "]");
    }
    recordState(id, f["JobState"], f["Reason"] == "None" ? "" : f["Reason"], status);
  }
}

// The jobs' states from sacct (every task, ended ones too), else from scontrol (the jobs the
// controller still holds: queued, running, or ended less than MinJobAge ago).
void queryScheduler(SweepClusterStatus& status) {
  const auto& ids = *status.submission;
  const auto acct = runProcess({"sacct", "-n", "-P", "-X", "-j", ids.arrayJob + "," + ids.mergeJob,
                                "-o", "JobID,State,ExitCode"});
  if (acct.started && acct.exitCode == 0) {
    status.schedulerNote = "states from sacct";
    return readSacct(acct.out, status);
  }
  const auto why = acct.started ? trimmed(firstLine(acct.err)) : acct.err;
  for (const auto& job : {ids.arrayJob, ids.mergeJob}) {
    const auto control = runProcess({"scontrol", "-o", "show", "job", job});
    if (!control.started) {
      status.schedulerNote = "no Slurm commands here (" + why + "; " + control.err + ")";
      return;
    }
    readScontrol(control.out, status);
  }
  status.schedulerNote =
      "states from scontrol (sacct: " + why + "); jobs it no longer holds have ended";
}

}  // namespace

SlurmScripts writeSlurmScripts(const std::filesystem::path& projectPath, const SweepSpec& spec,
                               const SlurmOptions& o) {
  if (o.tasks < 1) throw std::invalid_argument("--tasks must be at least 1");
  const auto project = std::filesystem::absolute(projectPath).lexically_normal();
  const auto cli = std::filesystem::absolute(o.cli).lexically_normal();
  if (!std::filesystem::is_regular_file(cli))
    throw InputError(cli, "not found (the kvwb-cli the tasks should run)");
  Project::open(project);  // validates
  SlurmScripts s;
  s.tasks = o.tasks;
  s.dir = slurmDir(project, spec.name);
  s.spec = s.dir / "sweep.json";
  s.array = s.dir / "array.sbatch";
  s.merge = s.dir / "merge.sbatch";
  std::error_code ec;
  std::filesystem::create_directories(s.dir / "logs", ec);
  if (ec) throw InputError(s.dir, "cannot create: " + ec.message());
  writeText(s.spec, spec.source.dump(2) + "\n");
  writeText(s.dir / kJobsFile,
            nlohmann::json{{"tasks", o.tasks}, {"spec_hash", specHash(spec)}}.dump(2) + "\n");

  std::string optional;  // the array's optional #SBATCH lines
  if (o.gpusPerTask > 0)
    optional += "#SBATCH --gpus-per-task=" + std::to_string(o.gpusPerTask) + "\n";
  if (!o.time.empty()) optional += "#SBATCH --time=" + o.time + "\n";
  const std::map<std::string, std::string> vars = {{"@NAME@", spec.name},
                                                   {"@NAME_WORD@", shellQuote(spec.name)},
                                                   {"@TASKS@", std::to_string(o.tasks)},
                                                   {"@LAST@", std::to_string(o.tasks - 1)},
                                                   {"@PROJECT@", project.string()},
                                                   {"@PROJECT_FILE@", project.filename().string()},
                                                   {"@PROJECT_WORD@", shellQuote(project.string())},
                                                   {"@CLI_WORD@", shellQuote(cli.string())},
                                                   {"@SPEC_WORD@", shellQuote(s.spec.string())},
                                                   {"@LOGS@", (s.dir / "logs").string()},
                                                   {"@COMMON@", commonDirectives(o)},
                                                   {"@OPTIONAL@", optional}};
  writeText(s.array, fill(kArrayScript, vars));
  writeText(s.merge, fill(kMergeScript, vars));
  for (const auto& script : {s.array, s.merge})
    std::filesystem::permissions(
        script, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
        std::filesystem::perm_options::add);
  return s;
}

SlurmSubmission submitSlurm(const SlurmScripts& s) {
  SlurmSubmission ids;
  ids.arrayJob = sbatch({}, s.array, "");
  ids.mergeJob =
      sbatch({"--dependency=afterany:" + ids.arrayJob}, s.merge,
             " (array job " + ids.arrayJob +
                 " is submitted: submit the merge by hand, or scancel " + ids.arrayJob + ")");
  auto jobs = readJson(s.dir / kJobsFile);
  jobs["array_job"] = ids.arrayJob;
  jobs["merge_job"] = ids.mergeJob;
  jobs["submitted"] = utcTimestamp();
  writeText(s.dir / kJobsFile, jobs.dump(2) + "\n");
  return ids;
}

std::vector<SweepClusterStatus> clusterStatus(const std::filesystem::path& project) {
  // Sweep name -> its shard files; plus the sweeps with Slurm scripts.
  std::map<std::string, std::vector<std::filesystem::path>> sweeps;
  const auto prefix = project.filename().string() + ".";
  for (const auto& file : findShardFiles(project)) {
    const auto name = file.filename().string();
    sweeps[name.substr(prefix.size(), name.rfind(".shard-") - prefix.size())].push_back(file);
  }
  const auto dir =
      project.parent_path().empty() ? std::filesystem::path(".") : project.parent_path();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    constexpr std::string_view suffix = ".slurm";
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + suffix.size() &&
        name.ends_with(suffix) && std::filesystem::exists(e.path() / "sweep.json"))
      sweeps[name.substr(prefix.size(), name.size() - prefix.size() - suffix.size())];
  }

  std::vector<SweepClusterStatus> out;
  for (auto& [name, shards] : sweeps) {
    SweepClusterStatus status;
    status.sweep = name;
    const auto slurm = slurmDir(project, name);
    std::optional<SweepSpec> spec;
    if (std::filesystem::exists(slurm / "sweep.json")) {
      spec = loadSweepSpec(slurm / "sweep.json");
      const auto jobs = readJson(slurm / kJobsFile);
      const int tasks = jobs.value("tasks", 1);
      shards.clear();  // the array's shards, started or not
      for (int i = 0; i < tasks; ++i) shards.push_back(shardPath(project, name, {i, tasks}));
      if (jobs.contains("array_job") && jobs.contains("merge_job"))
        status.submission = SlurmSubmission{jobs["array_job"].get<std::string>(),
                                            jobs["merge_job"].get<std::string>()};
    }
    status.progress = shardReport(project, shards, spec);
    if (status.submission)
      queryScheduler(status);
    else if (spec)
      status.schedulerNote =
          "scripts in " + slurm.filename().string() + " not submitted by kvwb-cli slurm --submit";
    out.push_back(std::move(status));
  }
  return out;
}

std::string taskStatesText(const SweepClusterStatus& status) {
  std::map<std::string, int> counts;
  for (const auto& [task, state] : status.tasks) ++counts[state.state.empty() ? "not known" : state.state];
  std::string text;
  for (const auto& [state, n] : counts) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  if (text.empty()) text = status.schedulerNote.empty() ? "no tasks known" : status.schedulerNote;
  if (status.merge) text += " · merge " + (status.merge->state.empty() ? "not known" : status.merge->state);
  return text;
}

bool clusterSweepEnded(const SweepClusterStatus& status) {
  static const std::set<std::string> active = {"PENDING",   "RUNNING",    "REQUEUED", "CONFIGURING",
                                               "COMPLETING", "SUSPENDED", "RESIZING"};
  if (!status.submission) return true;  // nothing submitted: nothing to wait for
  if (status.merge && !status.merge->state.empty())
    return !active.count(status.merge->state.substr(0, status.merge->state.find(' ')));
  return status.progress.planned > 0 && status.progress.alreadyInProject == status.progress.planned;
}

SweepClusterStatus followClusterSweep(const std::filesystem::path& project, const std::string& sweep,
                                      JobContext& ctx, std::chrono::milliseconds poll) {
  constexpr auto kCancelCheck = std::chrono::milliseconds(100);
  for (;;) {
    const auto all = clusterStatus(project);
    const auto it = std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.sweep == sweep; });
    if (it == all.end()) throw InputError(project, "no sharded sweep '" + sweep + "' beside it");
    const MergeReport& p = it->progress;
    const int committed = p.planned - static_cast<int>(p.missing.size());
    const double fraction = p.planned ? static_cast<double>(committed) / p.planned : 0.0;
    const std::string text = std::to_string(committed) + "/" + std::to_string(p.planned) +
                             " jobs committed · " + taskStatesText(*it);
    if (clusterSweepEnded(*it)) {
      ctx.report(1.0, text);
      return *it;
    }
    ctx.report(std::min(fraction, std::nextafter(1.0, 0.0)), text);
    for (auto waited = std::chrono::milliseconds(0); waited < poll; waited += kCancelCheck) {
      ctx.checkCancelled();
      std::this_thread::sleep_for(kCancelCheck);
    }
  }
}

}  // namespace kvwb::core
