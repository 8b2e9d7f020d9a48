#include "tools/recommend_cmd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "advice/advice.h"
#include "kb/eval/batch.h"
#include "kb/eval/partial.h"

namespace kb::cli {
namespace {

using nlohmann::json;

bool has_conflict(const Outcome& o) {
  for (std::size_t a = 0; a < o.actions.size(); ++a)
    if (o.conflict(static_cast<int>(a))) return true;
  return false;
}

std::string where(const std::string& name, const std::string& fact) {
  return fact.empty() ? name : name + ": fact '" + fact + "'";
}

// JSON output: text that is not UTF-8 (a corrupted store, say) is replaced
// by U+FFFD rather than thrown on.
std::string dump(const json& j, int indent = -1) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

// The batch line of patient `p` with unknown facts (line `n`): its advice,
// or the error when it has none (also written to `err`, prefixed by `at`).
// Raises `code` to 1 for a certain conflict, to 2 for an error. Each line
// gets a fresh solver, so its completions (Z3 models) do not depend on the
// lines before it: the same as `kb recommend` of that patient alone, for
// every --jobs.
json advice_line(const Recommender& r, const PartialPatient& p, std::uint64_t n, const std::string& at,
                 std::string& err, int& code) {
  try {
    advice::Advice a = advice::Advisor(r).advise(p);
    json advice = advice::advice_to_json(r.guideline(), p, a);
    advice.erase("schema");  // the line's names it
    if (a.certain_conflict() && code == 0) code = 1;
    return {{"schema", kRecommendationLineSchema}, {"line", n}, {"advice", advice}};
  } catch (const advice::Error& e) {
    err += at + e.what() + "\n";
    code = 2;
    return {{"schema", kRecommendationLineSchema}, {"line", n}, {"error", e.what()}};
  }
}

enum class Read { Text, End, TooLong, Failed };

// Reads up to the next newline (dropped) or, when `whole`, to the end, at
// most kMaxPatientBytes. End: nothing was left. Failed: the stream is bad or
// its buffer threw (a read error), with the reason in `why`.
Read read_text(std::istream& src, bool whole, std::string& text, std::string& why) {
  text.clear();
  std::streambuf* buf = src.rdbuf();
  if (!buf || src.bad()) {
    why = "the input stream has failed";
    return Read::Failed;
  }
  try {
    for (bool any = false;; any = true) {
      const int c = buf->sbumpc();
      if (c == std::char_traits<char>::eof()) return any ? Read::Text : Read::End;
      if (c == '\n' && !whole) return Read::Text;
      if (text.size() == kMaxPatientBytes) return Read::TooLong;
      text += static_cast<char>(c);
    }
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown read error";
  }
  src.setstate(std::ios::badbit);
  return Read::Failed;
}

int one(const Recommender& r, const RecommendArgs& args, std::istream& src, const std::string& name,
        std::ostream& out, std::ostream& err) {
  std::string text, why;
  Read got = read_text(src, true, text, why);
  if (got == Read::Failed) {
    err << "kb: " << name << ": cannot read: " << why << "\n";
    return 2;
  }
  if (got == Read::TooLong) {
    err << "kb: " << name << ": longer than " << kMaxPatientBytes << " bytes; a patient is one small JSON object\n";
    return 2;
  }
  PartialPatientResult p = partial_patient_from_text(r, text, args.partial);
  if (!p.patient) {
    err << "kb: " << where(name, p.fact) << ": " << p.error << "\n";
    return 2;
  }
  const Guideline& g = r.guideline();
  std::optional<Patient> whole = p.patient->complete();
  if (!whole) {  // facts missing: three-valued advice
    try {
      advice::Advisor advisor(r);
      advice::Advice a = advisor.advise(*p.patient);
      if (args.format == "json") out << dump(advice::advice_to_json(g, *p.patient, a), 2) + "\n";
      else out << advice::advice_to_text(g, *p.patient, a);
      return a.certain_conflict() ? 1 : 0;
    } catch (const advice::Error& e) {
      err << "kb: " << name << ": " << e.what() << "\n";
      return 2;
    }
  }
  Outcome o;
  r.evaluate(*whole, o);
  if (args.format == "json") {
    json j = outcome_to_json(g, o);
    j["schema"] = kRecommendationSchema;
    out << dump(j, 2) + "\n";
  } else {
    out << outcome_to_text(g, o);
  }
  return has_conflict(o) ? 1 : 0;
}

}  // namespace

// The original batch loop, one line at a time through nlohmann::json: the
// reference the tests compare the throughput path (batch_fast) with.
// One output line per input line, each built whole and written in one call.
int recommend_batch_reference(const Recommender& r, std::istream& src, const std::string& name, std::ostream& out,
                              std::ostream& err, bool partial) {
  int code = 0;
  std::string line, why;
  Outcome o;
  for (std::uint64_t n = 1;; ++n) {
    const Read got = read_text(src, false, line, why);
    if (got == Read::End) return code;
    const std::string at = "kb: " + name + ":" + std::to_string(n) + ": ";
    if (got != Read::Text) {  // the rest of the input cannot be trusted: stop
      std::string error = got == Read::TooLong ? "line longer than " + std::to_string(kMaxPatientBytes) + " bytes"
                                               : "cannot read: " + why;
      err << at + error + "; the batch stops here\n";
      out << dump({{"schema", kRecommendationLineSchema}, {"line", n}, {"error", error}}) + "\n";
      return 2;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json result = {{"schema", kRecommendationLineSchema}, {"line", n}};
    PartialPatientResult p = partial_patient_from_text(r, line, partial);
    std::optional<Patient> whole = p.patient ? p.patient->complete() : std::nullopt;
    if (!p.patient) {
      err << at + (p.fact.empty() ? "" : "fact '" + p.fact + "': ") + p.error + "\n";
      result["error"] = p.error;
      if (!p.fact.empty()) result["fact"] = p.fact;
      code = 2;
    } else if (!whole) {
      std::string message;
      result = advice_line(r, *p.patient, n, at, message, code);
      err << message;
    } else {
      r.evaluate(*whole, o);
      result["result"] = outcome_to_json(r.guideline(), o);
      if (has_conflict(o) && code == 0) code = 1;
    }
    out << dump(result) + "\n";
  }
}

namespace {

// The input of the throughput path, read in large blocks: from a file
// descriptor (a --patient file, or standard input when `in` is std::cin),
// else from any stream buffer, taking only what it holds so that bytes read
// before a failing read are kept.
class BlockReader {
 public:
  static constexpr std::size_t kBlock = std::size_t{4} << 20;

  explicit BlockReader(int fd) : fd_(fd) {}
  explicit BlockReader(std::istream& s) : stream_(&s) {}
  ~BlockReader() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;
  void own() { owned_ = true; }

  // Appends at most `space` bytes at `dst`. Returns the count, 0 at the end
  // of the input, -1 on a read failure (reason in `why`).
  std::ptrdiff_t read(char* dst, std::size_t space, std::string& why) {
    if (fd_ >= 0) {
      for (;;) {
        ssize_t n = ::read(fd_, dst, space);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        why = std::strerror(errno);
        return -1;
      }
    }
    std::streambuf* buf = stream_->rdbuf();
    if (!buf || stream_->bad()) {
      why = "the input stream has failed";
      return -1;
    }
    std::size_t got = 0;
    try {
      while (got < space) {
        std::streamsize avail = buf->in_avail();
        if (avail > 0) {  // what the buffer holds: no read that could fail
          got += static_cast<std::size_t>(
              buf->sgetn(dst + got, std::min<std::streamsize>(avail, static_cast<std::streamsize>(space - got))));
          continue;
        }
        if (got > 0) break;
        const int c = buf->sbumpc();
        if (c == std::char_traits<char>::eof()) return 0;
        dst[got++] = static_cast<char>(c);
      }
      return static_cast<std::ptrdiff_t>(got);
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
      why = "unknown read error";
    }
    stream_->setstate(std::ios::badbit);
    pending_ = got;
    return -1;
  }
  // Bytes stored by the read that then failed (they belong to the line that failed).
  std::size_t pending_ = 0;

 private:
  int fd_ = -1;
  std::istream* stream_ = nullptr;
  bool owned_ = false;
};

// One worker's share of a block of lines, and what it produced.
struct Worker {
  Patient patient;
  Outcome outcome, before;
  BatchCodec::Scratch scratch;
  std::string out, err;
  int code = 0;
  BatchSummary summary;
};

struct Line {
  std::string_view text;
  std::uint64_t number;
};

// One line through the throughput path: the fast reader, or the strict one
// for any line the fast reader does not accept (so every error is worded by
// patient_from_text), then the rules, then the line written from fragments.
void process(const BatchCodec& codec, const std::string& name, const Line& l, const RecommendArgs& args,
             const Recommender* before, Worker& w) {
  const Recommender& r = codec.recommender();
  const bool summary = args.summary;
  if (!codec.read_patient(l.text, w.patient, w.scratch)) {
    PartialPatientResult p = partial_patient_from_text(r, l.text, args.partial);
    if (p.patient && !p.patient->complete()) {
      const std::string at = "kb: " + name + ":" + std::to_string(l.number) + ": ";
      if (summary) {  // counts are of answers, which a patient with unknown facts does not have
        w.err += at + "facts are unknown; --summary counts complete patients only\n";
        w.code = 2;
        ++w.summary.errors;
        return;
      }
      w.out += dump(advice_line(r, *p.patient, l.number, at, w.err, w.code));
      w.out += '\n';
      return;
    }
    if (!p.patient) {
      w.err += "kb: " + name + ":" + std::to_string(l.number) + ": " + (p.fact.empty() ? "" : "fact '" + p.fact + "': ") +
               p.error + "\n";
      w.code = 2;
      if (summary) {
        ++w.summary.errors;
        return;
      }
      json result = {{"schema", kRecommendationLineSchema}, {"line", l.number}, {"error", p.error}};
      if (!p.fact.empty()) result["fact"] = p.fact;
      w.out += dump(result);
      w.out += '\n';
      return;
    }
    w.patient = *p.patient->complete();
  }
  r.evaluate(w.patient, w.outcome);
  if (has_conflict(w.outcome) && w.code == 0) w.code = 1;
  if (summary) {
    w.summary.add(w.outcome);
    if (before) {
      if (before->broken_constraint(w.patient) >= 0) {
        ++w.summary.rejected_before;
      } else {
        before->evaluate(w.patient, w.before);
        w.summary.add_change(w.before, w.outcome);
      }
    }
  } else codec.append_result_line(l.number, w.outcome, w.out);
}

int batch_fast(const Recommender& r, const RecommendArgs& args, BlockReader& reader, const std::string& name,
               std::ostream& out, std::ostream& err, const Recommender* before) {
  const BatchCodec codec(r);
  const std::size_t jobs = std::max<std::size_t>(1, args.jobs);
  std::vector<Worker> workers(jobs);
  for (Worker& w : workers) w.summary.reset(r.guideline());
  std::vector<char> buf(BlockReader::kBlock + kMaxPatientBytes + 1);
  std::size_t begin = 0, end = 0;
  std::uint64_t n = 0;  // lines seen
  std::vector<Line> lines;
  int code = 0;
  bool at_end = false;
  std::string why;

  auto run_lines = [&] {
    if (lines.empty()) return;
    const std::size_t used = std::min(jobs, lines.size());
    auto slice = [&](std::size_t k) {
      Worker& w = workers[k];
      const std::size_t lo = lines.size() * k / used, hi = lines.size() * (k + 1) / used;
      for (std::size_t i = lo; i < hi; ++i) process(codec, name, lines[i], args, before, w);
    };
    std::vector<std::thread> threads;
    for (std::size_t k = 1; k < used; ++k) threads.emplace_back(slice, k);
    slice(0);
    for (std::thread& t : threads) t.join();
    for (std::size_t k = 0; k < used; ++k) {  // in input order
      Worker& w = workers[k];
      if (!w.out.empty()) out.write(w.out.data(), static_cast<std::streamsize>(w.out.size()));
      if (!w.err.empty()) err << w.err;
      w.out.clear();
      w.err.clear();
      code = std::max(code, w.code);
    }
    lines.clear();
  };
  auto stop = [&](std::uint64_t at, const std::string& error) {
    run_lines();
    err << "kb: " + name + ":" + std::to_string(at) + ": " + error + "; the batch stops here\n";
    if (!args.summary) out << dump({{"schema", kRecommendationLineSchema}, {"line", at}, {"error", error}}) + "\n";
    return 2;
  };
  auto finish = [&](int c) {
    if (args.summary) {
      BatchSummary total = workers[0].summary;
      for (std::size_t k = 1; k < workers.size(); ++k) total.merge(workers[k].summary);
      out << dump(total.to_json(r.guideline(), before ? args.against : "")) + "\n";
    }
    out.flush();
    return c;
  };
  auto blank = [](std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; };
  const std::string too_long = "line longer than " + std::to_string(kMaxPatientBytes) + " bytes";

  for (;;) {
    // Every complete line in the buffer.
    const char* p = buf.data() + begin;
    const char* stop_at = buf.data() + end;
    while (const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(stop_at - p)))) {
      ++n;
      std::string_view text(p, static_cast<std::size_t>(nl - p));
      if (text.size() > kMaxPatientBytes) return finish(stop(n, too_long));
      if (!blank(text)) lines.push_back({text, n});
      p = nl + 1;
    }
    begin = static_cast<std::size_t>(p - buf.data());
    const std::size_t partial = end - begin;
    if (partial > kMaxPatientBytes) return finish(stop(n + 1, too_long));
    if (at_end) {
      if (partial > 0) {
        ++n;
        std::string_view text(buf.data() + begin, partial);
        if (!blank(text)) lines.push_back({text, n});
      }
      run_lines();
      return finish(code);
    }
    run_lines();
    // Keep the partial line, read the next block after it.
    std::memmove(buf.data(), buf.data() + begin, partial);
    begin = 0;
    end = partial;
    std::ptrdiff_t got = reader.read(buf.data() + end, buf.size() - end, why);
    if (got < 0) {
      // Complete lines the failing read delivered still get their answers.
      end += reader.pending_;
      const char* q = buf.data();
      while (const char* nl = static_cast<const char*>(std::memchr(q, '\n', static_cast<std::size_t>(buf.data() + end - q)))) {
        ++n;
        std::string_view text(q, static_cast<std::size_t>(nl - q));
        if (text.size() > kMaxPatientBytes) return finish(stop(n, too_long));
        if (!blank(text)) lines.push_back({text, n});
        q = nl + 1;
      }
      if (static_cast<std::size_t>(buf.data() + end - q) > kMaxPatientBytes) return finish(stop(n + 1, too_long));
      return finish(stop(n + 1, "cannot read: " + why));
    }
    if (got == 0) at_end = true;
    end += static_cast<std::size_t>(got);
  }
}

}  // namespace

void BatchSummary::reset(const Guideline& g) {
  patients = errors = conflicted = no_action = 0;
  per_action.assign(g.actions.size(), {});
}

void BatchSummary::add(const Outcome& o) {
  ++patients;
  bool any = false, conflict = false;
  for (std::size_t a = 0; a < per_action.size(); ++a) {
    const std::uint8_t bits = o.actions[a];
    if (!bits) continue;
    any = true;
    ActionCounts& c = per_action[a];
    for (int k = 0; k < 3; ++k)
      if (bits & (1 << k)) ++c.strength[k];
    if (o.conflict(static_cast<int>(a))) {
      ++c.conflict;
      conflict = true;
    }
  }
  if (!any) ++no_action;
  if (conflict) ++conflicted;
}

void BatchSummary::add_change(const Outcome& before, const Outcome& after) {
  bool any = false;
  for (std::size_t a = 0; a < per_action.size(); ++a) {
    if (before.actions[a] == after.actions[a]) continue;
    any = true;
    ++changes[static_cast<std::uint32_t>(a) << 16 | std::uint32_t{before.actions[a]} << 8 | after.actions[a]];
  }
  if (any) ++changed;
}

void BatchSummary::merge(const BatchSummary& other) {
  changed += other.changed;
  rejected_before += other.rejected_before;
  for (const auto& [key, count] : other.changes) changes[key] += count;
  patients += other.patients;
  errors += other.errors;
  conflicted += other.conflicted;
  no_action += other.no_action;
  for (std::size_t a = 0; a < per_action.size(); ++a) {
    for (int k = 0; k < 3; ++k) per_action[a].strength[k] += other.per_action[a].strength[k];
    per_action[a].conflict += other.per_action[a].conflict;
  }
}

nlohmann::json BatchSummary::to_json(const Guideline& g, const std::string& before) const {
  json actions = json::array();
  for (std::size_t a = 0; a < per_action.size(); ++a) {
    const ActionCounts& c = per_action[a];
    actions.push_back({{"action", g.actions[a].name},
                       {"recommended", c.strength[0]},
                       {"considered", c.strength[1]},
                       {"avoided", c.strength[2]},
                       {"conflicts", c.conflict}});
  }
  json summary = {{"schema", kRecommendationSummarySchema},
                  {"patients", patients},
                  {"errors", errors},
                  {"with_conflict", conflicted},
                  {"no_action", no_action},
                  {"actions", actions}};
  if (before.empty()) return summary;
  auto words = [](std::uint8_t bits) {
    json w = json::array();
    for (std::uint8_t bit : {kRecommended, kConsidered, kAvoided})
      if (bits & bit) w.push_back(strength_word(bit));
    return w;
  };
  json changed_list = json::array();
  for (const auto& [key, count] : changes)
    changed_list.push_back({{"action", g.actions[key >> 16].name},
                            {"before", words(static_cast<std::uint8_t>(key >> 8))},
                            {"after", words(static_cast<std::uint8_t>(key))},
                            {"patients", count}});
  summary["against"] = {{"before", before},
                        {"changed_patients", changed},
                        {"rejected_by_before", rejected_before},
                        {"changes", changed_list}};
  return summary;
}

int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  return recommend(r, args, in, out, err, nullptr);
}

int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err, const Recommender* before) {
  const std::string name = args.patient == "-" ? "<stdin>" : args.patient;
  if (args.patient != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(args.patient, ec)) {
      err << "kb: " << args.patient << ": is a folder; --patient takes a file (or - for standard input)\n";
      return 2;
    }
  }
  if (args.batch) {
    if (args.patient == "-") {
      if (&in == &std::cin) {
        BlockReader reader(0);
        return batch_fast(r, args, reader, name, out, err, before);
      }
      BlockReader reader(in);
      return batch_fast(r, args, reader, name, out, err, before);
    }
    int fd = ::open(args.patient.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err << "kb: " << args.patient << ": cannot read file\n";
      return 2;
    }
    BlockReader reader(fd);
    reader.own();
    return batch_fast(r, args, reader, name, out, err, before);
  }
  std::ifstream file;
  std::istream* src = &in;
  if (args.patient != "-") {
    file.open(args.patient, std::ios::binary);
    if (!file) {
      err << "kb: " << args.patient << ": cannot read file\n";
      return 2;
    }
    src = &file;
  }
  return one(r, args, *src, name, out, err);
}

}  // namespace kb::cli
