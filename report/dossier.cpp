#include "report/dossier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "kb/hash/sha256.h"
#include "kb/lang/printer.h"
#include "report/diff_report.h"
#include "report/dossier_format.h"
#include "report/dossier_html.h"

namespace verify {
namespace fs = std::filesystem;

namespace {

const char* answer_name(solver::Verdict v) {
  return v == solver::Verdict::Unsat ? "unsat" : v == solver::Verdict::Sat ? "sat" : "unknown";
}

std::string utc_date() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The dossier's files: relative path -> content, MANIFEST.sha256 included.
std::map<std::string, std::string> dossier_files(const Report& report, const kb::Guideline& g, const Subject& s,
                                                 const DossierInput& in, const kb::sign::Key* key) {
  const std::string date = utc_date();
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> scripts = obligation_scripts(report, g, s);
  nlohmann::json obligation_files = nlohmann::json::object();
  for (const Obligation& o : report.obligations) {
    if (!o.query) continue;
    std::string rel = obligation_file(o.id);
    files[rel] = std::move(scripts[o.id]);
    obligation_files[o.id] = {{"file", rel}, {"expect", answer_name(o.answer)}};
  }
  nlohmann::json versions = nlohmann::json::object();
  for (const kb::Item* it : g.all_items())
    if (auto v = g.versions.find(kb::item_key(*it)); v != g.versions.end()) versions[v->first] = v->second;
  nlohmann::json j = to_json(report, g, s);
  j["schema"] = kDossierSchema;
  j["date"] = date;
  j["smt2"] = obligation_files;
  j["diff"] = in.diff && in.before ? diff_to_json(*in.diff, *in.before, g) : nlohmann::json(nullptr);
  if (in.release)
    j["release"] = {{"author", in.release->author}, {"sealed", in.release->sealed}, {"reason", in.release->reason},
                    {"previous", in.release->previous}};
  else
    j["release"] = nullptr;
  j["title"] = in.title;
  if (in.diff)
    for (const AnswerChange& c : in.diff->answers)
      if (!c.smt2.empty()) files[change_file(c)] = c.smt2;
  j["source"] = kb::guideline_text(g);
  j["versions"] = versions;
  files["dossier.json"] = j.dump(2) + "\n";
  files["index.html"] = dossier_html(report, g, s, date, in);
  std::string manifest;
  for (const auto& [rel, text] : files) manifest += kb::sha256_hex(text) + "  " + rel + "\n";
  files["MANIFEST.sha256"] = manifest;
  if (key) files[kSignatureFile] = manifest_signature(*key, manifest);
  return files;
}

mode_t current_umask() {
  mode_t m = umask(022);
  umask(m);
  return m;
}

// A fresh folder "NAME.KIND-XXXXXX" beside `target` (mkdtemp), or "" with `problem` set.
fs::path unique_folder(const fs::path& target, const std::string& kind, std::string& problem) {
  std::string pattern = (target.parent_path() / (target.filename().string() + "." + kind + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    problem = "cannot create a temporary folder beside " + target.string() + ": " + std::strerror(errno);
    return {};
  }
  return fs::path(buf.data());
}

// Writes `files` into the fresh folder `tmp`; "" or the problem.
std::string write_files(const fs::path& tmp, const std::map<std::string, std::string>& files) {
  std::error_code ec;
  for (const auto& [rel, text] : files) {
    if (fs::path parent = (tmp / rel).parent_path(); !fs::is_directory(parent, ec) && !fs::create_directories(parent, ec))
      return "cannot create " + parent.string();
    std::ofstream f(tmp / rel, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return "cannot write " + (tmp / rel).string();
  }
  // mkdtemp made the folder private; give it the permissions a new folder gets.
  fs::permissions(tmp, static_cast<fs::perms>(0777 & ~current_umask()), ec);
  return ec ? "cannot set the permissions of " + tmp.string() + ": " + ec.message() : "";
}

// "good/" -> "good"; "" when `dir` names no folder it can replace ("/", ".", "..").
fs::path normalised_target(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  fs::path target(d);
  std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") return {};
  return target;
}

// What is at `target` now, and whether it may be replaced.
struct Existing {
  bool present = false;      // something is there
  bool empty = false;        // an empty folder
  std::set<std::string> files;  // a previous dossier: the files its manifest lists, and the manifest
  std::string problem;       // why it may not be replaced
};

Existing inspect(const fs::path& target) {
  Existing e;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(target, ec);
  if (st.type() == fs::file_type::not_found) return e;
  e.present = true;
  const std::string t = target.string();
  if (ec) e.problem = "cannot inspect " + t + ": " + ec.message();
  else if (fs::is_symlink(st)) e.problem = t + " is a symbolic link; refusing to replace it";
  else if (!fs::is_directory(st)) e.problem = t + " exists and is not a folder; refusing to replace it";
  else if (e.empty = fs::is_empty(target, ec); ec) e.problem = "cannot read " + t + ": " + ec.message();
  if (!e.problem.empty() || e.empty) return e;
  ManifestCheck m = check_manifest(t);
  std::string why = m.error;
  for (const RecheckLine& l : m.lines)
    if (why.empty() && !l.ok) why = l.file + ": " + l.problem;
  nlohmann::json dj = nlohmann::json::parse(m.content.count("dossier.json") ? m.content["dossier.json"] : "", nullptr, false);
  if (why.empty() && !(dj.is_object() && dj.contains("schema") && dj["schema"].is_string() &&
                       dj["schema"].get<std::string>().rfind("kb-dossier/", 0) == 0))
    why = "it has no dossier.json with a kb-dossier schema";
  if (!why.empty()) {
    e.problem = t + " exists and is not an intact dossier written by kb-verify (" + why + "); refusing to replace it";
    return e;
  }
  for (const auto& [rel, hash] : m.listed) e.files.insert(rel);
  e.files.insert("MANIFEST.sha256");
  if (fs::is_regular_file(fs::symlink_status(target / kSignatureFile, ec))) e.files.insert(kSignatureFile);
  return e;
}

// The folder holding `rel` below the open folder `root`, reached without
// following a symbolic link; -1 when it cannot be.
int open_parent(int root, const std::string& rel) {
  int fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
  std::size_t start = 0;
  for (std::size_t slash; fd >= 0 && (slash = rel.find('/', start)) != std::string::npos; start = slash + 1) {
    int next = openat(fd, rel.substr(start, slash - start).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    fd = next;
  }
  return fd;
}

// Removes exactly `files` from `dir`, never through a symbolic link, then the
// folders that leaves empty; true when `dir` is gone.
bool remove_dossier(const fs::path& dir, const std::set<std::string>& files) {
  int root = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) return false;
  std::set<std::string> folders;
  for (const std::string& rel : files) {
    if (int parent = open_parent(root, rel); parent >= 0) {
      unlinkat(parent, fs::path(rel).filename().c_str(), 0);  // a link itself, never its target
      close(parent);
    }
    for (fs::path p = fs::path(rel).parent_path(); !p.empty(); p = p.parent_path()) folders.insert(p.string());
  }
  // Deepest first; AT_REMOVEDIR removes only empty folders, and no link.
  for (auto f = folders.rbegin(); f != folders.rend(); ++f) unlinkat(root, f->c_str(), AT_REMOVEDIR);
  close(root);
  return ::rmdir(dir.c_str()) == 0;
}

// Moves the written folder `tmp` to `target`, moving a previous dossier aside
// and removing it afterwards; `tmp` is removed on failure.
std::string swap_in(const fs::path& tmp, const fs::path& target, const Existing& e) {
  std::error_code ec;
  fs::path old;
  if (e.present && !e.empty) {
    std::string problem;
    old = unique_folder(target, "old", problem);
    if (old.empty() || ::rename(target.c_str(), old.c_str()) != 0) {
      if (problem.empty()) problem = "cannot move the previous dossier aside: " + std::string(std::strerror(errno));
      if (!old.empty()) fs::remove(old, ec);
      fs::remove_all(tmp, ec);
      return problem;
    }
  }
  // rename(2) replaces only an empty folder: anything that appeared meanwhile makes it fail.
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string problem = "cannot move the dossier into place: " + std::string(std::strerror(errno));
    if (!old.empty() && ::rename(old.c_str(), target.c_str()) != 0)
      problem += "; the previous dossier is in " + old.string();
    fs::remove_all(tmp, ec);
    return problem;
  }
  if (!old.empty() && !remove_dossier(old, e.files))
    return "the dossier is in place, but the previous one was kept in " + old.string() +
           " because it now holds files kb-verify did not write";
  return "";
}

}  // namespace

std::map<std::string, std::string> obligation_scripts(const Report& report, const kb::Guideline& g, const Subject& s) {
  std::map<std::string, std::string> scripts;
  solver::Solver solver(g, 0);
  // Obligations under another reading are encoded with that reading chosen.
  std::map<Reading, std::pair<std::unique_ptr<kb::Guideline>, std::unique_ptr<solver::Solver>>> readings;
  auto solver_for = [&](const Obligation& o) -> solver::Solver& {
    if (!o.reading) return solver;
    auto& slot = readings[*o.reading];
    if (!slot.second) {
      slot.first = std::make_unique<kb::Guideline>(kb::with_reading(g, o.reading->question, o.reading->alternative));
      slot.second = std::make_unique<solver::Solver>(*slot.first, 0);
    }
    return *slot.second;
  };
  for (const Obligation& o : report.obligations) {
    if (!o.query) continue;
    Smt2Header header{o.id, g.versioned_id(o.subject), s.name, o.description, s.tool_version, report.z3_version,
                      status_name(o.status)};
    scripts[o.id] = solver_for(o).smt2(*o.query, o.query_index, header.lines());
  }
  return scripts;
}

std::string write_dossier(const std::string& dir, const Report& report, const kb::Guideline& g, const Subject& s,
                          const DossierInput& in, const kb::sign::Key* key) {
  fs::path target = normalised_target(dir);
  if (target.empty()) return dir + " names no folder a dossier can be written to";
  Existing existing = inspect(target);
  if (!existing.problem.empty()) return existing.problem;
  std::map<std::string, std::string> files = dossier_files(report, g, s, in, key);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::string problem;
  fs::path tmp = unique_folder(target, "tmp", problem);
  if (tmp.empty()) return problem;
  if (problem = write_files(tmp, files); !problem.empty()) {
    fs::remove_all(tmp, ec);  // the fresh folder this call created
    return problem;
  }
  return swap_in(tmp, target, existing);
}

}  // namespace verify
