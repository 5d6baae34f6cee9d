// Sweep planning, execution, resume (see sweep.h).
#include "core/compress/sweep.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "core/capture_extract.h"
#include "core/compress/compressor.h"
#include "core/compress/fit_metrics.h"
#include "core/errors.h"
#include "core/model/llama_model.h"
#include "core/run_journal.h"
#include "core/time_stamp.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

template <typename T>
std::vector<T> listOf(const nlohmann::json& j, const char* field, const std::string& origin) {
  if (!j.contains(field) || (j[field].is_string() && j[field] == "all")) return {};
  if (!j[field].is_array()) throw InputError(origin, std::string("'") + field + "' must be a list or \"all\"");
  try {
    return j[field].get<std::vector<T>>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(origin, std::string("'") + field + "': " + e.what());
  }
}

// Cartesian product of a grid {param: [values]} (parameters in name order).
std::vector<nlohmann::json> expandGrid(const nlohmann::json& grid) {
  std::vector<nlohmann::json> points = {nlohmann::json::object()};
  for (const auto& [name, values] : grid.items()) {
    std::vector<nlohmann::json> next;
    for (const auto& p : points)
      for (const auto& v : values) {
        auto q = p;
        q[name] = v;
        next.push_back(q);
      }
    points = std::move(next);
  }
  return points;
}

TensorKind tensorKind(const std::string& k) { return k == "K" ? TensorKind::Keys : TensorKind::Values; }

// Rows [0, n) of a T x D target appended to a batch.
void appendRows(std::vector<float>& out, const FloatMatrix& m, std::int64_t from, std::int64_t n) {
  out.insert(out.end(), m.data.begin() + from * m.cols, m.data.begin() + (from + n) * m.cols);
}

struct TargetRef {
  int layer, head;
  std::string kind;
};

}  // namespace

SweepSpec parseSweepSpec(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw InputError(origin, "a sweep spec is a JSON object");
  SweepSpec s;
  s.source = j;
  s.name = j.value("name", "sweep");
  if (s.name.empty() || s.name.find_first_of("/. ") != std::string::npos)
    throw InputError(origin, "'name' must be non-empty without '/', '.' or spaces");
  s.captures = listOf<std::string>(j, "captures", origin);
  const auto targets = j.value("targets", nlohmann::json::object());
  s.layers = listOf<int>(targets, "layers", origin);
  s.heads = listOf<int>(targets, "heads", origin);
  if (targets.contains("kinds")) s.kinds = listOf<std::string>(targets, "kinds", origin);
  for (const auto& k : s.kinds)
    if (k != "K" && k != "V") throw InputError(origin, "targets.kinds holds '" + k + "' (use K and V)");
  s.seqLengths = listOf<int>(j, "seq_lengths", origin);
  const auto metrics = j.value("metrics", nlohmann::json::object());
  s.attentionMetrics = metrics.value("attention", true);
  s.deltaPpl = metrics.value("delta_ppl", "job");
  if (s.deltaPpl != "none" && s.deltaPpl != "job" && s.deltaPpl != "per_target")
    throw InputError(origin, "metrics.delta_ppl must be none, job or per_target");
  s.pplTokens = metrics.value("ppl_tokens", 64);
  s.device = j.value("device", "auto");
  s.seed = j.value("seed", std::uint64_t{0});
  if (!j.contains("methods") || !j["methods"].is_array() || j["methods"].empty())
    throw InputError(origin, "'methods' must list at least one method");
  const auto known = compressorMethods();
  for (const auto& m : j["methods"]) {
    SweepMethod sm;
    sm.method = m.value("method", "");
    if (std::find(known.begin(), known.end(), sm.method) == known.end())
      throw InputError(origin, "unknown method '" + sm.method + "'");
    sm.params = m.value("params", nlohmann::json::object());
    sm.grid = m.value("grid", nlohmann::json::object());
    for (const auto& [name, values] : sm.grid.items())
      if (!values.is_array() || values.empty())
        throw InputError(origin, "grid '" + name + "' of " + sm.method + " must be a non-empty list");
    s.methods.push_back(std::move(sm));
  }
  return s;
}

SweepSpec loadSweepSpec(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "cannot read sweep spec");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, std::string("not valid JSON: ") + e.what());
  }
  return parseSweepSpec(j, file.string());
}

void overrideSweepParam(SweepSpec& spec, const std::string& key, const nlohmann::json& value) {
  bool found = false;
  for (std::size_t i = 0; i < spec.methods.size(); ++i) {
    auto& m = spec.methods[i];
    if (!m.params.contains(key) && !m.grid.contains(key)) continue;
    m.grid.erase(key);
    m.params[key] = value;
    spec.source["methods"][i] = {{"method", m.method}, {"params", m.params}, {"grid", m.grid}};
    found = true;
  }
  if (!found) throw InputError(spec.name, "no method of the sweep has a parameter '" + key + "'");
}

std::vector<SweepJob> planSweep(const Project& project, const SweepSpec& spec) {
  std::vector<std::string> captures = spec.captures;
  if (captures.empty())
    for (const auto& c : project.captures()) captures.push_back(c.name);
  std::vector<SweepJob> jobs;
  const auto origin = spec.name;
  for (const auto& name : captures) {
    const auto& c = project.capture(name);  // throws naming the project
    const int scored = spec.deltaPpl == "none" ? 0 : spec.pplTokens;
    std::vector<int> lengths = spec.seqLengths;
    if (lengths.empty()) lengths.push_back(static_cast<int>(c.tokens) - scored);
    for (int n : lengths)
      if (n < 2 || n + scored > c.tokens)
        throw InputError(project.path(), "sweep '" + origin + "': sequence length " + std::to_string(n) +
                                             " (+" + std::to_string(scored) + " scored tokens) does not fit capture '" +
                                             name + "' of " + std::to_string(c.tokens) + " tokens");
    for (const auto& m : spec.methods)
      for (const auto& point : expandGrid(m.grid))
        for (int n : lengths) {
          SweepJob job;
          job.runId = spec.name + "." + name + "." + m.method;
          job.capture = name;
          job.method = m.method;
          job.params = m.params;
          job.params.update(point);
          job.seqLength = n;
          const std::string id = name + "|" + m.method + "|" + job.params.dump() + "|" + std::to_string(n) + "|" +
                                 spec.source.value("metrics", nlohmann::json::object()).dump();
          job.key = hex(std::hash<std::string>{}(id));
          jobs.push_back(std::move(job));
        }
  }
  return jobs;
}

namespace {

// Everything a sweep reuses across jobs of one capture.
struct CaptureCache {
  CaptureInfo info;
  std::map<std::tuple<int, int, int>, FloatMatrix> targets;  // (kind 0 K / 1 V / 2 Q, layer, head)
  std::vector<std::int32_t> tokenIds;
  std::unique_ptr<LlamaModel> model;  // for delta perplexity; null when the capture has no model
  std::string modelProblem;
};

// The row standing for a whole job (layer = head = -1, kind "all"), with `extra` parameters.
ResultRow aggregateRow(const SweepJob& job, const nlohmann::json& extra) {
  ResultRow row;
  row.layer = row.head = -1;
  row.kind = "all";
  auto params = job.params;
  params["seq_len"] = job.seqLength;
  params["job"] = job.key;
  params.update(extra);
  row.paramsJson = params.dump();
  return row;
}

const FloatMatrix& target(const Project& p, CaptureCache& c, int kind, int layer, int head) {
  const auto key = std::make_tuple(kind, layer, head);
  auto it = c.targets.find(key);
  if (it == c.targets.end()) {
    const auto tk = kind == 0 ? TensorKind::Keys : kind == 1 ? TensorKind::Values : TensorKind::Queries;
    it = c.targets.emplace(key, p.readTarget(c.info.name, tk, layer, head)).first;
  }
  return it->second;
}

}  // namespace

SweepSummary runSweep(const std::filesystem::path& projectPath, const SweepSpec& spec, JobContext& ctx) {
  const auto project = Project::open(projectPath);
  const auto jobs = planSweep(project, spec);
  SweepSummary summary;
  summary.jobs = static_cast<int>(jobs.size());
  summary.device = gpu::resolveDevice(spec.device);

  std::set<std::string> done, runsPresent;
  for (const auto& r : project.runs()) runsPresent.insert(r.id);
  for (const auto& job : jobs)
    if (runsPresent.count(job.runId) && !done.count(job.key)) {
      for (const auto& row : project.results(job.runId)) {
        const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
        if (params.is_object() && params.contains("job")) done.insert(params["job"].get<std::string>());
      }
    }
  RunJournal journal(projectPath);
  for (const auto& job : jobs) {
    if (std::find(summary.runIds.begin(), summary.runIds.end(), job.runId) == summary.runIds.end())
      summary.runIds.push_back(job.runId);
    if (runsPresent.count(job.runId)) continue;
    RunInfo run;
    run.id = job.runId;
    run.method = job.method;
    run.capture = job.capture;
    for (const auto& m : spec.methods)
      if (m.method == job.method) run.paramsJson = nlohmann::json{{"params", m.params}, {"grid", m.grid}}.dump();
    run.created = utcTimestamp();
    run.device = summary.device;
    run.softwareVersion = KVWB_VERSION;
    journal.beginRun(run);
    runsPresent.insert(job.runId);
  }

  std::map<std::string, CaptureCache> caches;
  std::map<std::string, std::unique_ptr<Compressor>> compressors;
  auto setStatus = [&](const std::string& status) {
    for (const auto& id : summary.runIds) journal.setStatus(id, status);
  };
  try {
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const auto& job = jobs[j];
      if (done.count(job.key)) {
        ++summary.skipped;
        continue;
      }
      ctx.checkCancelled();
      auto& cache = caches[job.capture];
      if (cache.info.name.empty()) {
        cache.info = project.capture(job.capture);
        cache.tokenIds = project.tokenIds(job.capture);
        if (spec.deltaPpl != "none") {
          const auto model = captureModelPath(projectPath, cache.info.metadataJson);
          if (model.empty() || cache.tokenIds.empty())
            cache.modelProblem = "capture has no model or token ids (imported dump)";
          else if (!std::filesystem::exists(model))
            cache.modelProblem = "model " + model.string() + " not found";
          else
            cache.model = std::make_unique<LlamaModel>(model, LoadOptions{.device = summary.device});
        }
      }
      const auto& info = cache.info;
      const int N = job.seqLength, D = static_cast<int>(info.headDim);
      const int G = static_cast<int>(info.queryHeads / info.kvHeads);
      std::vector<int> layers = spec.layers, heads = spec.heads;
      if (layers.empty()) for (int l = 0; l < info.layers; ++l) layers.push_back(l);
      if (heads.empty()) for (int h = 0; h < info.kvHeads; ++h) heads.push_back(h);
      auto& compressor = compressors[job.method];
      if (!compressor) compressor = makeCompressor(job.method);

      std::vector<ResultRow> rows;
      std::vector<CacheSubstitution> substitutions;
      std::string infeasible;
      double totalBytes = 0, fitSeconds = 0;
      for (const auto& kind : spec.kinds) {
        const int kindIndex = kind == "K" ? 0 : 1;
        std::vector<TargetRef> refs;
        TargetBatch batch{0, N, D, {}}, queries{0, N, D, {}}, keys{0, N, D, {}}, values{0, N, D, {}},
            calibration{0, info.tokens - N, D, {}};
        for (int l : layers)
          for (int h : heads) {
            if (l < 0 || l >= info.layers || h < 0 || h >= info.kvHeads)
              throw InputError(projectPath, "sweep '" + spec.name + "': target layer " + std::to_string(l) +
                                                " head " + std::to_string(h) + " outside capture '" + info.name + "'");
            refs.push_back({l, h, kind});
            const auto& x = target(project, cache, kindIndex, l, h);
            appendRows(batch.data, x, 0, N);
            if (N < info.tokens) appendRows(calibration.data, x, N, info.tokens - N);
            appendRows(keys.data, target(project, cache, 0, l, h), 0, N);
            appendRows(values.data, target(project, cache, 1, l, h), 0, N);
            if (info.hasQueries)
              for (int g = 0; g < G; ++g) appendRows(queries.data, target(project, cache, 2, l, h * G + g), 0, N);
          }
        batch.n = keys.n = values.n = static_cast<std::int64_t>(refs.size());
        calibration.n = N < info.tokens ? batch.n : 0;
        queries.n = info.hasQueries ? batch.n * G : 0;
        FitInputs inputs;
        inputs.queries = info.hasQueries ? &queries : nullptr;
        inputs.queriesPerTarget = G;
        inputs.keys = &keys;
        inputs.calibration = calibration.n ? &calibration : nullptr;
        inputs.kind = kind;
        inputs.seed = spec.seed ^ std::hash<std::string>{}(job.key);
        BatchFit fit;
        try {
          fit = compressor->fit(batch, job.params, inputs, summary.device, ctx);
        } catch (const std::invalid_argument& e) {
          infeasible = e.what();  // e.g. a ratio this head_dim cannot reach: recorded, not fatal
          break;
        }
        std::vector<float> recon;
        for (const auto& t : fit.targets) recon.insert(recon.end(), t.reconstruction.begin(), t.reconstruction.end());
        AttentionContext att;
        att.queries = &queries;
        att.queriesPerTarget = G;
        att.keys = &keys;
        att.values = &values;
        att.isKeys.assign(refs.size(), kind == "K" ? 1 : 0);
        const bool withAttention = spec.attentionMetrics && info.hasQueries;
        const auto metrics = computeFitMetrics(batch, recon, withAttention ? &att : nullptr, summary.device);
        fitSeconds += fit.fitSeconds;
        for (std::size_t i = 0; i < refs.size(); ++i) {
          ResultRow r;
          r.layer = refs[i].layer;
          r.head = refs[i].head;
          r.kind = kind;
          auto params = fit.effectiveParams.is_object() ? fit.effectiveParams : job.params;
          params["seq_len"] = N;
          params["job"] = job.key;
          r.paramsJson = params.dump();
          r.bytes = fit.targets[i].bytes.total();
          r.ratio = static_cast<double>(N) * D * 2 / r.bytes;
          r.cosSim = metrics[i].cosSim;
          r.relErr = metrics[i].relErr;
          r.attnOutErr = metrics[i].attnOutErr;
          r.attnKl = metrics[i].attnKl;
          r.fitSeconds = fit.fitSeconds / static_cast<double>(refs.size());
          r.decodeMs = fit.decodeMs / static_cast<double>(refs.size());
          r.device = fit.device;
          totalBytes += r.bytes;
          if (cache.model) {
            CacheSubstitution s{refs[i].layer, refs[i].head, kind == "K", fit.targets[i].reconstruction};
            if (spec.deltaPpl == "per_target") {
              const std::vector<int> ids(cache.tokenIds.begin(), cache.tokenIds.begin() + N + spec.pplTokens);
              r.deltaPpl = cache.model->perplexityWithCache(ids, N, {s}).deltaPerplexity();
            }
            substitutions.push_back(std::move(s));
          }
          rows.push_back(std::move(r));
        }
      }
      if (!infeasible.empty()) {  // one aggregate row saying why, so the job counts as done
        auto note = aggregateRow(job, {{"infeasible", infeasible}});
        note.device = summary.device;
        journal.appendBatch(job.runId, {note});
        ++summary.done;
        summary.infeasible.push_back(job.method + " " + job.params.dump() + ": " + infeasible);
        continue;
      }
      // The job's aggregate row: every target of the job compressed at once.
      auto all = aggregateRow(job, !cache.modelProblem.empty() && spec.deltaPpl != "none"
                                       ? nlohmann::json{{"delta_ppl_note", cache.modelProblem}}
                                       : nlohmann::json::object());
      all.bytes = totalBytes;
      all.ratio = static_cast<double>(rows.size()) * N * D * 2 / totalBytes;
      double cos = 0, rel = 0, attErr = 0, kl = 0, dec = 0;
      for (const auto& r : rows) cos += r.cosSim, rel += r.relErr, attErr += r.attnOutErr, kl += r.attnKl, dec += r.decodeMs;
      const double n = static_cast<double>(rows.size());
      all.cosSim = cos / n;
      all.relErr = rel / n;
      all.attnOutErr = attErr / n;
      all.attnKl = kl / n;
      all.fitSeconds = fitSeconds;
      all.decodeMs = dec;
      all.device = rows.empty() ? summary.device : rows.front().device;
      if (cache.model && spec.deltaPpl != "none") {
        const std::vector<int> ids(cache.tokenIds.begin(), cache.tokenIds.begin() + N + spec.pplTokens);
        all.deltaPpl = cache.model->perplexityWithCache(ids, N, substitutions).deltaPerplexity();
      }
      rows.push_back(std::move(all));
      ctx.checkCancelled();  // a cancel during the fit drops this job rather than committing it
      journal.appendBatch(job.runId, rows);
      ++summary.done;
      ctx.report(static_cast<double>(j + 1) / static_cast<double>(jobs.size()),
                 job.method + " " + job.params.dump() + " n=" + std::to_string(N));
    }
  } catch (const Cancelled&) {
    setStatus("cancelled");
    throw;
  }
  setStatus("finished");
  ctx.report(1.0, "sweep finished");
  return summary;
}

}  // namespace kvwb::core
