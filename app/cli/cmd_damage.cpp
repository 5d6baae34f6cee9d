// kvwb-cli damage: which tokens a sweep job's compressed cache hurts (core/sweep/job_damage.h):
// the job's quality windows measured again per token, the worst by KL divergence printed with
// their context, p(correct) and the top next tokens without and with compression; --csv writes
// every scored token.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/base/errors.h"
#include "core/reports/results_csv.h"
#include "core/sweep/job_damage.h"
#include "gpu/device.h"

namespace kvwb::cli {
namespace {

constexpr std::size_t kContextChars = 44;  // of the text before a token (about 12 tokens)
constexpr std::size_t kTopShown = 3;       // next tokens printed per side

bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::size_t codePoints(const std::string& s) {
  std::size_t n = 0;
  for (const unsigned char c : s) n += !isContinuation(c);
  return n;
}

// Newlines as ⏎, tabs as spaces (one line per token).
std::string oneLine(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n')
      out += "⏎";
    else if (c == '\t' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

// The last `chars` code points of `s`, starting "…" when cut.
std::string tail(const std::string& s, std::size_t chars) {
  if (codePoints(s) <= chars) return s;
  std::size_t at = s.size(), kept = 0;
  while (at > 0 && kept < chars - 1) {
    --at;
    if (!isContinuation(static_cast<unsigned char>(s[at]))) ++kept;
  }
  return "…" + s.substr(at);
}

std::string padRight(const std::string& s, std::size_t width) {
  const std::size_t n = codePoints(s);
  return n >= width ? s : s + std::string(width - n, ' ');
}

// The text before token `t` of `window` (its prefix's end, then the scored tokens before it)
// and the token marked: "…was very «happy»".
std::string contextOf(const core::DamageWindow& window, const core::DamagedToken& token) {
  std::string before = window.context;
  for (const auto& t : window.tokens) {
    if (&t == &token) break;
    before += t.text;
  }
  return tail(oneLine(before), kContextChars) + "«" + oneLine(token.text) + "»";
}

std::string topText(const std::vector<core::RankedToken>& top, std::size_t n) {
  std::string out;
  char p[16];
  for (std::size_t i = 0; i < std::min(n, top.size()); ++i) {
    std::snprintf(p, sizeof p, " %.2f", top[i].prob);
    out += (i ? "  \"" : "\"") + oneLine(top[i].text) + "\"" + p;
  }
  return out;
}

void printHeader(const core::JobDamage& d) {
  const core::QualityStats& s = d.stats;
  std::printf("job %s: %s %s (run %s), capture %s\n", d.job.c_str(), d.method.c_str(),
              d.paramsText.c_str(), d.run.c_str(), d.capture.c_str());
  std::printf("  %d windows of %d + %d tokens from %s: %d scored tokens\n", s.windows, d.prefix,
              d.continuation, d.source.c_str(), s.tokens);
  std::printf("  KL divergence      %.5f ± %.5f nats   median %.5f  p99 %.5f  max %.5f\n",
              s.kld.mean, s.kld.se, s.kldMedian, s.kldP99, s.kldMax);
  std::printf("  ln(PPL_c/PPL_base) %+.5f ± %.5f   PPL ratio %.4f   same top token %.1f%%\n",
              s.lnPplRatio.mean, s.lnPplRatio.se, s.pplRatio, 100 * s.sameTop.mean);
}

void printWorst(const core::JobDamage& d, std::size_t n) {
  const auto worst = core::worstTokens(d, n);
  std::printf(
      "\nthe %zu token(s) with the highest KL divergence (nats); p: the correct token's "
      "probability without → with compression\n",
      worst.size());
  const std::size_t contextWidth = kContextChars + 12;
  std::printf("rank      KL     ΔNLL   win:pos  %s %-13s  %s\n",
              padRight("context «token»", contextWidth).c_str(), "p",
              "top-3 without | with compression");
  int rank = 0;
  for (const core::DamagedToken* t : worst) {
    const auto& q = t->quality;
    char where[32], p[32];
    std::snprintf(where, sizeof where, "%d:%d", t->window, t->position);
    std::snprintf(p, sizeof p, "%.3f → %.3f", q.pBase, q.pCompressed);
    std::printf(
        "%4d %7.4f %+8.4f %9s  %s %-13s  %s | %s\n", ++rank, q.kl, t->deltaNll(), where,
        padRight(contextOf(d.windows[static_cast<std::size_t>(t->window)], *t), contextWidth)
            .c_str(),
        p, topText(t->topBase, kTopShown).c_str(), topText(t->topCompressed, kTopShown).c_str());
  }
}

// Every scored token, one row each, with the top-5 next tokens of each side.
std::size_t writeCsv(const core::JobDamage& d, std::ostream& out) {
  using core::csvField, core::csvNumber;
  constexpr int kTop = 5;
  out << "window,position,token,kl,nll_base,nll_compressed,delta_nll,p_base,p_compressed,same_top";
  for (const char* side : {"base", "compressed"})
    for (int i = 1; i <= kTop; ++i)
      out << ',' << side << "_top" << i << ',' << side << "_top" << i << "_p";
  out << '\n';
  std::size_t rows = 0;
  for (const auto& w : d.windows)
    for (const auto& t : w.tokens) {
      const auto& q = t.quality;
      out << t.window << ',' << t.position << ',' << csvField(t.text) << ',' << csvNumber(q.kl)
          << ',' << csvNumber(q.nllBase) << ',' << csvNumber(q.nllCompressed) << ','
          << csvNumber(t.deltaNll()) << ',' << csvNumber(q.pBase) << ',' << csvNumber(q.pCompressed)
          << ',' << (q.sameTop ? 1 : 0);
      for (const auto* top : {&t.topBase, &t.topCompressed})
        for (std::size_t i = 0; i < kTop; ++i) {
          if (i < top->size())
            out << ',' << csvField((*top)[i].text) << ',' << csvNumber((*top)[i].prob);
          else
            out << ",,";
        }
      out << '\n';
      ++rows;
    }
  return rows;
}

}  // namespace

void addDamageCommand(CLI::App& app) {
  struct Args {
    std::string project, job, device = "auto", csv;
    std::size_t top = 20;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "damage",
      "Which tokens a sweep job's compressed cache hurts: its quality windows measured "
      "again per token, the worst by KL divergence with context and top next tokens");
  cmd->add_option("project", args->project, "Project file (.kvw) with the job's run")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--job", args->job,
                  "The job whose key starts with this (kvwb-cli export: column job)")
      ->required();
  cmd->add_option("--top", args->top, "How many of the worst tokens to print")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--device", args->device, "auto, cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--csv", args->csv,
                  "Write every scored token to this CSV file ('-': standard output only)");
  cmd->callback([args] {
    const auto project = core::Project::open(args->project);
    const std::string device = gpu::resolveDevice(args->device);
    core::JobDamage damage;
    {
      TerminalProgress progress("damage " + args->job);
      damage = core::jobDamage(project, args->job, device, progress);
    }
    if (args->csv == "-") {
      writeCsv(damage, std::cout);
      return;
    }
    printHeader(damage);
    printWorst(damage, args->top);
    if (args->csv.empty()) return;
    std::ofstream file(args->csv);
    if (!file) throw core::InputError(args->csv, "cannot write");
    const std::size_t rows = writeCsv(damage, file);
    if (!file.flush()) throw core::InputError(args->csv, "cannot write");
    std::printf("\nwrote %zu row(s) to %s\n", rows, args->csv.c_str());
  });
}

}  // namespace kvwb::cli
