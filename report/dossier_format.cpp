#include "report/dossier_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <algorithm>
#include <sstream>

#include "kb/hash/sha256.h"
#include "report/report.h"

namespace verify {
namespace fs = std::filesystem;

std::string obligation_file(const std::string& id) {
  std::string out = id;
  for (char& c : out)
    if (c == ':' || c == '/' || c == '\\') c = '.';
  return "obligations/" + out + ".smt2";
}

std::vector<std::string> Smt2Header::lines() const {
  // The recorded answer lives in dossier.json, never in item text a comment could forge.
  return {"Obligation " + id + " on " + item + " (" + subject + ")", description,
          "kb-verify " + tool_version + " with Z3 " + z3_version + " recorded: " + status + " (answer in dossier.json)"};
}

std::string html_section(const std::string& id, const std::string& status) {
  return "<section class=\"ob " + markup_escape(status) + "\" id=\"" + markup_escape(id) + "\">\n";
}

std::string html_hash_row(const std::string& release_hash) {
  return "<tr><th>Release hash (SHA-256)</th><td><code>" + markup_escape(release_hash) + "</code></td></tr>\n";
}

std::string relative_path_problem(const std::string& rel) {
  if (rel.empty()) return "an empty path";
  if (rel.front() == '/') return "an absolute path";
  for (char c : rel)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "a backslash or control character in the path";
  std::istringstream parts(rel + "/");
  for (std::string part; std::getline(parts, part, '/');)
    if (part.empty() || part == "." || part == "..") return "an empty, '.' or '..' path component";
  return "";
}

std::string printable(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

namespace {

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string kind_problem(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link, not a regular file";
  if (S_ISFIFO(mode)) return "a FIFO, not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device, not a regular file";
  if (S_ISSOCK(mode)) return "a socket, not a regular file";
  if (S_ISDIR(mode)) return "a folder, not a regular file";
  return S_ISREG(mode) ? "" : "not a regular file";
}

const std::string kTooLarge = "larger than the " + std::to_string(kMaxDossierFileBytes >> 20) + " MiB limit";

// Reads an open regular file of at most kMaxDossierFileBytes.
std::string read_regular(int fd, std::string& text) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return std::string("cannot read: ") + std::strerror(errno);
  if (std::string k = kind_problem(st.st_mode); !k.empty()) return k;
  if (static_cast<std::uint64_t>(st.st_size) > kMaxDossierFileBytes) return kTooLarge;
  text.clear();
  char buf[65536];
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::string("cannot read: ") + std::strerror(errno);
    if (got == 0) return "";
    if (text.size() + static_cast<std::size_t>(got) > kMaxDossierFileBytes) return kTooLarge;  // grew meanwhile
    text.append(buf, static_cast<std::size_t>(got));
  }
}

}  // namespace

std::string read_inside(const std::string& root, const std::string& rel, std::string& text) {
  if (std::string p = relative_path_problem(rel); !p.empty()) return "not a path inside the dossier: " + p;
  auto dir = std::make_unique<Fd>(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir->fd < 0) return std::string("cannot open the dossier folder: ") + std::strerror(errno);
  std::size_t start = 0;
  for (std::size_t slash; (slash = rel.find('/', start)) != std::string::npos; start = slash + 1) {
    std::string part = rel.substr(start, slash - start);
    int next = openat(dir->fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      if (errno == ENOENT) return "missing";
      if (errno == ELOOP || errno == ENOTDIR) return "its folder " + printable(part) + " is a symbolic link or not a folder";
      return std::string("cannot open its folder: ") + std::strerror(errno);
    }
    dir = std::make_unique<Fd>(next);
  }
  std::string name = rel.substr(start);
  struct stat st {};
  if (fstatat(dir->fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? "missing" : std::string("cannot read: ") + std::strerror(errno);
  if (std::string k = kind_problem(st.st_mode); !k.empty()) return k;  // never open a FIFO or a device
  Fd file(openat(dir->fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.fd < 0) return std::string("cannot read: ") + std::strerror(errno);
  return read_regular(file.fd, text);
}

bool ManifestCheck::ok() const {
  if (!error.empty()) return false;
  for (const auto& l : lines)
    if (!l.ok) return false;
  return true;
}

namespace {

bool is_hash(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Parses the manifest's lines into m.listed; malformed and unsafe entries become problem lines.
void parse_manifest(const std::string& text, ManifestCheck& m) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::string rel = line.size() > 66 ? line.substr(66) : "";
    std::string problem;
    if (line.size() < 67 || line.substr(64, 2) != "  " || !is_hash(line.substr(0, 64)))
      problem = "malformed manifest line " + std::to_string(n);
    else if (std::string p = relative_path_problem(rel); !p.empty())
      problem = "manifest entry outside the dossier folder: " + p;
    else if (rel == "MANIFEST.sha256")
      problem = "the manifest lists itself";
    else if (m.listed.count(rel))
      problem = "listed twice in the manifest";
    if (problem.empty()) m.listed[rel] = line.substr(0, 64);
    else m.lines.push_back({rel.empty() ? "MANIFEST.sha256" : printable(rel), "", "", "", false, problem});
  }
}

// Reads every listed entry and compares its hash.
void verify_listed(const std::string& root, ManifestCheck& m) {
  for (const auto& [rel, hash] : m.listed) {
    RecheckLine l{rel, "sha256 " + hash, "", "", false, ""};
    std::string text;
    std::string problem = read_inside(root, rel, text);
    if (problem == "missing") l.problem = "listed in the manifest but missing";
    else if (!problem.empty()) l.problem = problem;
    else if (kb::sha256_hex(text) != hash) l.problem = "content does not match its manifest hash";
    else l.ok = true;
    if (l.ok) m.intact.insert(rel);
    if (problem.empty() && (rel == "dossier.json" || rel == "index.html" || rel.rfind("obligations/", 0) == 0)) m.content[rel] = std::move(text);
    m.lines.push_back(std::move(l));
  }
}

// Every entry below `root` that is neither listed, nor a folder, nor the manifest.
void find_unlisted(const std::string& root, ManifestCheck& m) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    fs::file_status st = it->symlink_status(sec);
    std::string rel = it->path().lexically_relative(root).generic_string();
    if (fs::is_directory(st) || rel == "MANIFEST.sha256" || m.listed.count(rel)) continue;
    if (rel == kSignatureFile && fs::is_regular_file(st)) continue;  // checked by check_signature
    m.lines.push_back({printable(rel), "", "", "", false,
                       fs::is_regular_file(st) ? "not listed in the manifest" : "not a regular file, and not listed in the manifest"});
  }
  if (ec) m.lines.push_back({".", "", "", "", false, "cannot list the folder: " + ec.message()});
}

}  // namespace

std::string manifest_signing_message(const std::string& manifest) { return "kb-dossier-manifest/1\n" + manifest; }

std::string manifest_signature(const kb::sign::Key& key, const std::string& manifest) {
  return "kb-dossier-signature/1\nkey " + key.id + "\nsignature " +
         kb::sign::sign(key, manifest_signing_message(manifest)) + "\n";
}

SignatureCheck check_signature(const std::string& root, const std::vector<kb::sign::Key>& trusted) {
  SignatureCheck c;
  std::string sig, manifest;
  std::string problem = read_inside(root, kSignatureFile, sig);
  if (problem == "missing") {
    c.problem = "the dossier is not signed (no MANIFEST.sha256.sig), so nothing shows who wrote it";
    return c;
  }
  c.present = true;
  if (!problem.empty()) return c.problem = problem, c;
  if (problem = read_inside(root, "MANIFEST.sha256", manifest); !problem.empty())
    return c.problem = "MANIFEST.sha256: " + problem, c;
  std::istringstream lines(sig);
  std::string head, key_word, sig_word, signature;
  std::getline(lines, head);
  lines >> key_word >> c.key_id >> sig_word >> signature;
  if (head != "kb-dossier-signature/1" || key_word != "key" || sig_word != "signature" || c.key_id.size() != 64 ||
      signature.size() != 128)
    return c.problem = "malformed signature file (expected kb-dossier-signature/1, key, signature)", c;
  auto key = std::find_if(trusted.begin(), trusted.end(), [&](const kb::sign::Key& k) { return k.id == c.key_id; });
  if (key == trusted.end())
    return c.problem = "signed by key " + kb::sign::short_id(printable(c.key_id)) + ", which is not a trusted key", c;
  if (!kb::sign::verify(*key, manifest_signing_message(manifest), signature))
    return c.problem = "the signature by key " + kb::sign::short_id(c.key_id) +
                       " does not verify: MANIFEST.sha256 (or the signature) was changed after signing",
           c;
  c.ok = true;
  return c;
}

ManifestCheck check_manifest(const std::string& root) {
  ManifestCheck m;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    m.error = root + " is not a folder";
    return m;
  }
  std::string text;
  std::string problem = read_inside(root, "MANIFEST.sha256", text);
  if (problem == "missing") m.error = root + ": no MANIFEST.sha256; not a dossier";
  else if (!problem.empty()) m.error = root + ": MANIFEST.sha256: " + problem;
  else if (text.find_first_not_of(" \t\r\n") == std::string::npos) m.error = root + ": MANIFEST.sha256 lists no file";
  if (!m.error.empty()) return m;
  parse_manifest(text, m);
  verify_listed(root, m);
  find_unlisted(root, m);
  return m;
}

}  // namespace verify
