#include "report/dossier.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "kb/lang/printer.h"
#include "kb/hash/sha256.h"

namespace verify {
namespace fs = std::filesystem;

namespace {

const char* answer_name(solver::Verdict v) {
  return v == solver::Verdict::Unsat ? "unsat" : v == solver::Verdict::Sat ? "sat" : "unknown";
}

// "property:NO-MDT" -> "property.NO-MDT.smt2": safe on every file system.
std::string smt2_name(const std::string& id) {
  std::string out = id;
  for (char& c : out)
    if (c == ':' || c == '/' || c == '\\') c = '.';
  return out + ".smt2";
}

std::string utc_date() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string reference_text(const kb::Guideline& g, int n) {
  for (const kb::Item& r : g.references)
    if (r.name == std::to_string(n)) return r.description;
  return "";
}

std::string obligation_html(const kb::Guideline& g, const Obligation& o) {
  std::string out = "<section class=\"ob " + std::string(status_name(o.status)) + "\" id=\"" + markup_escape(o.id) + "\">\n";
  out += "<h3><span class=\"verdict\">" + std::string(status_name(o.status)) + "</span> " + markup_escape(o.id) + "</h3>\n";
  out += "<p>" + markup_escape(o.description) + ". <em>" + markup_escape(o.message) + "</em></p>\n";
  {
    const kb::Item& it = g.item(o.subject);
    out += "<p>Checked item: <code>" + markup_escape(g.versioned_id(it)) + "</code> at <code>" +
           markup_escape(it.span.str()) + "</code>";
    if (it.kind == kb::ItemKind::Property) out += ": " + markup_escape(it.description);
    out += "</p>\n<pre>" + markup_escape(kb::print_item(it)) + "</pre>\n";
  }
  if (!o.rests_on.empty()) {
    out += "<p>The verdict rests on:</p><ul>\n";
    for (kb::ItemRef ref : o.rests_on) {
      const kb::Item& it = g.item(ref);
      out += "<li><code>" + markup_escape(rests_on_text(g, ref)) + "</code>";
      if (ref.kind == kb::ItemKind::Rule) {
        out += " (" + std::string(kb::strength_name(it.strength)) + " " + markup_escape(it.action) + "): &ldquo;" +
               markup_escape(it.source) + "&rdquo;";
        if (!it.cites.empty()) {
          out += " [refs";
          for (int n : it.cites) out += " " + std::to_string(n);
          out += "]";
        }
      } else if (ref.kind != kb::ItemKind::Property && ref.kind != kb::ItemKind::Action) {
        out += ": " + markup_escape(it.description);
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  if (!o.evidence.empty()) {
    out += "<p>Evidence:</p><ul>\n";
    for (int n : o.evidence) out += "<li>" + std::to_string(n) + ": " + markup_escape(reference_text(g, n)) + "</li>\n";
    out += "</ul>\n";
  }
  if (o.witness) {
    out += "<p>Patient: " + markup_escape(kb::describe_patient(g, *o.witness)) + "</p>\n";
    std::string fired;
    for (int f : o.fired) fired += (fired.empty() ? "" : ", ") + g.versioned_id(g.rules[f]);
    out += "<p>Rules that fire for this patient: " + markup_escape(fired.empty() ? "none" : fired) + "</p>\n";
    out += "<pre>" + markup_escape(kb::patient_to_json(g, *o.witness).dump(2)) + "</pre>\n";
  }
  if (o.query) out += "<p>Re-check: <a href=\"obligations/" + markup_escape(smt2_name(o.id)) + "\">obligations/" +
                      markup_escape(smt2_name(o.id)) + "</a> (recorded answer: " + answer_name(o.answer) + ")</p>\n";
  return out + "</section>\n";
}

std::string index_html(const Report& r, const kb::Guideline& g, const Subject& s, const std::string& date,
                       const std::optional<nlohmann::json>& diff) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Proof dossier: " + markup_escape(s.name) +
      "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
      "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}.verdict{font-family:monospace;padding:0 .3em}"
      ".proved .verdict,.no-conflict .verdict,.ok .verdict{background:#cfc}.violated .verdict,.conflict .verdict,"
      ".translator-disagreement .verdict{background:#fcc}.unknown .verdict,.warning .verdict{background:#ffc}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}</style></head><body>\n";
  out += "<h1>Proof dossier: " + markup_escape(s.name) + "</h1>\n<table>\n";
  out += "<tr><th>Release hash (SHA-256)</th><td><code>" + markup_escape(s.release_hash) + "</code></td></tr>\n";
  out += "<tr><th>Tool</th><td>kb-verify " + markup_escape(s.tool_version) + "</td></tr>\n";
  out += "<tr><th>Solver</th><td>Z3 " + markup_escape(r.z3_version) + "</td></tr>\n";
  out += "<tr><th>Date (UTC)</th><td>" + markup_escape(date) + "</td></tr>\n";
  out += "<tr><th>Obligations</th><td>" + std::to_string(r.count(Status::Proved)) + " proved, " +
         std::to_string(r.count(Status::Violated)) + " violated, " + std::to_string(r.count(Status::Conflict)) +
         " conflicts, " + std::to_string(r.count(Status::Unknown)) + " unknown, " +
         std::to_string(r.count(Status::Disagreement)) + " translator disagreements, " +
         std::to_string(r.count(Status::Warning)) + " warnings</td></tr>\n</table>\n";
  out += "<p>Every file here is listed in <code>MANIFEST.sha256</code> (check it with <code>sha256sum -c "
         "MANIFEST.sha256</code>). Each <code>obligations/*.smt2</code> file is plain SMT-LIB 2 that any solver "
         "decides on its own; <code>kb-verify --recheck</code> runs z3 and cvc5 on all of them.</p>\n";
  out += "<h2>Properties</h2>\n";
  for (const Obligation& o : r.obligations)
    if (o.kind == Kind::Property) out += obligation_html(g, o);
  out += "<h2>Conflicts</h2>\n";
  for (const Obligation& o : r.obligations)
    if (o.kind == Kind::Conflict) out += obligation_html(g, o);
  out += "<h2>Lints</h2>\n";
  for (const Obligation& o : r.obligations)
    if (o.kind != Kind::Property && o.kind != Kind::Conflict) out += obligation_html(g, o);
  if (diff) out += "<h2>Changes since the previous release</h2>\n<pre>" + markup_escape(diff->dump(2)) + "</pre>\n";
  return out + "</body></html>\n";
}

bool write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// First line a command prints on stdout, trimmed; "" when it could not run.
std::string first_line(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return "";
  std::array<char, 256> buf{};
  std::string line;
  if (fgets(buf.data(), buf.size(), p)) line = buf.data();
  while (fgets(buf.data(), buf.size(), p)) {
  }
  pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

std::string write_dossier(const std::string& dir, const Report& report, const kb::Guideline& g, const Subject& s,
                          const std::optional<nlohmann::json>& diff) {
  fs::path target(dir);
  std::error_code ec;
  if (fs::exists(target) && !fs::is_empty(target) && !fs::exists(target / "MANIFEST.sha256"))
    return dir + " exists and is not a dossier; refusing to replace it";
  fs::path tmp = target;
  tmp += ".tmp";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp / "obligations", ec)) return "cannot create " + tmp.string() + ": " + ec.message();

  const std::string date = utc_date();
  std::map<std::string, std::string> files;  // relative path -> content
  solver::Solver solver(g, 0);
  nlohmann::json obligation_files = nlohmann::json::object();
  for (const Obligation& o : report.obligations) {
    if (!o.query) continue;
    // The recorded answer lives in dossier.json, never in item text a comment could forge.
    std::vector<std::string> comments = {"Obligation " + o.id + " on " + g.versioned_id(o.subject) + " (" + s.name + ")",
                                         o.description,
                                         "kb-verify " + s.tool_version + " with Z3 " + report.z3_version +
                                             " recorded: " + status_name(o.status) + " (answer in dossier.json)"};
    std::string rel = "obligations/" + smt2_name(o.id);
    files[rel] = solver.smt2(*o.query, o.query_index, comments);
    obligation_files[o.id] = {{"file", rel}, {"expect", answer_name(o.answer)}};
  }
  nlohmann::json j = to_json(report, g, s);
  j["schema"] = "kb-dossier/1";
  j["date"] = date;
  j["smt2"] = obligation_files;
  j["diff"] = diff ? *diff : nlohmann::json(nullptr);
  j["source"] = kb::guideline_text(g);
  files["dossier.json"] = j.dump(2) + "\n";
  files["index.html"] = index_html(report, g, s, date, diff);

  std::string manifest;
  for (const auto& [rel, text] : files) {
    if (!write_file(tmp / rel, text)) return "cannot write " + (tmp / rel).string();
    manifest += kb::sha256_hex(text) + "  " + rel + "\n";
  }
  if (!write_file(tmp / "MANIFEST.sha256", manifest)) return "cannot write the manifest";

  fs::path old = target;
  old += ".old";
  fs::remove_all(old, ec);
  if (fs::exists(target)) fs::rename(target, old, ec);
  if (ec) return "cannot move the previous dossier aside: " + ec.message();
  fs::rename(tmp, target, ec);
  if (ec) return "cannot move the dossier into place: " + ec.message();
  fs::remove_all(old, ec);
  return "";
}

bool Recheck::ok() const {
  if (!error.empty()) return false;
  for (const auto& l : lines)
    if (!l.ok) return false;
  return true;
}

Recheck recheck_dossier(const std::string& dir, unsigned timeout_s) {
  Recheck out;
  fs::path root(dir);
  std::ifstream manifest(root / "MANIFEST.sha256");
  if (!manifest) {
    out.error = dir + ": no MANIFEST.sha256; not a dossier";
    return out;
  }
  std::map<std::string, std::string> listed;
  for (std::string line; std::getline(manifest, line);) {
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      out.error = "malformed manifest line: " + line;
      return out;
    }
    std::string rel = line.substr(66);
    if (rel.empty() || rel.front() == '/' || rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos) {
      out.error = "manifest entry outside the dossier folder: " + rel;
      return out;
    }
    listed[rel] = line.substr(0, 64);
  }
  for (const auto& [rel, hash] : listed) {
    RecheckLine l{rel, "sha256 " + hash, "", "", false, ""};
    if (rel.find("..") != std::string::npos || !fs::exists(root / rel)) l.problem = "listed in the manifest but missing";
    else if (kb::sha256_hex(read_file(root / rel)) != hash) l.problem = "content does not match its manifest hash";
    else l.ok = true;
    out.lines.push_back(l);
  }
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), root).generic_string();
    if (rel != "MANIFEST.sha256" && !listed.count(rel))
      out.lines.push_back({rel, "", "", "", false, "not listed in the manifest"});
  }
  for (const char* tool : {"z3", "cvc5"}) {
    if (first_line(std::string("command -v ") + tool).empty()) {
      out.error = std::string("the '") + tool + "' solver is not installed (Debian package " + tool + ")";
      return out;
    }
  }
  // The recorded answers come from dossier.json's structured "smt2" map; the
  // obligation files must be exactly the ones it lists.
  std::map<std::string, std::string> expected;
  nlohmann::json dj = nlohmann::json::parse(read_file(root / "dossier.json"), nullptr, false);
  if (dj.is_discarded() || !dj.contains("smt2") || !dj["smt2"].is_object()) {
    out.error = dir + ": dossier.json is missing or has no \"smt2\" map of obligations";
    return out;
  }
  for (const auto& [id, entry] : dj["smt2"].items()) {
    if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string() || !entry.contains("expect") ||
        !entry["expect"].is_string()) {
      out.error = dir + ": dossier.json entry " + id + " lacks a file or a recorded answer";
      return out;
    }
    expected[entry["file"].get<std::string>()] = entry["expect"].get<std::string>();
  }
  std::vector<RecheckLine> jobs;
  for (const auto& [rel, hash] : listed)
    if (rel.rfind("obligations/", 0) == 0 && !expected.count(rel))
      out.lines.push_back({rel, "", "", "", false, "an obligation file dossier.json does not list"});
  for (const auto& [rel, answer] : expected) {
    if (!listed.count(rel)) out.lines.push_back({rel, answer, "", "", false, "listed in dossier.json but not in the manifest"});
    else jobs.push_back({rel, answer, "", "", false, ""});
  }
  // Solver processes run in parallel, one worker per core.
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < jobs.size();) {
      RecheckLine& l = jobs[i];
      std::string path = shell_quote((root / l.file).string());
      l.z3 = first_line("z3 -T:" + std::to_string(timeout_s) + " " + path + " 2>&1");
      l.cvc5 = first_line("cvc5 --lang smt2 --tlimit=" + std::to_string(timeout_s * 1000) + " " + path + " 2>&1");
      if (l.expected == "unknown") {
        l.ok = true;
        l.problem = "recorded unknown: nothing to confirm";
      } else if (l.z3 != l.expected || l.cvc5 != l.expected) {
        l.problem = "solvers disagree with the recorded answer";
      } else {
        l.ok = true;
      }
    }
  };
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < std::max(1u, std::thread::hardware_concurrency()); ++w) workers.emplace_back(work);
  for (auto& w : workers) w.join();
  out.lines.insert(out.lines.end(), jobs.begin(), jobs.end());
  return out;
}

}  // namespace verify
