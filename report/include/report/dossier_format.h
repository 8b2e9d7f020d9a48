// What the dossier writer and the re-check agree on (docs/dossier.md): file
// names, the SMT-LIB header, the HTML anchors of each verdict, and how a
// dossier's files are read without trusting them.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report/dossier.h"

namespace verify {

/** The largest file a re-check (or a replacement check) reads: 64 MiB. */
inline constexpr std::uint64_t kMaxDossierFileBytes = std::uint64_t{64} << 20;

/** The signature of MANIFEST.sha256 (`kb-verify --dossier DIR --sign-key KEY`):
    the lines "kb-dossier-signature/1", "key KEY_ID" and "signature HEX". */
inline constexpr const char* kSignatureFile = "MANIFEST.sha256.sig";

/** What a dossier signature signs: "kb-dossier-manifest/1\n" then the manifest's bytes. */
std::string manifest_signing_message(const std::string& manifest);

/** The text of kSignatureFile for `manifest` signed with `key`.
    @pre key.is_private */
std::string manifest_signature(const kb::sign::Key& key, const std::string& manifest);

/** The result of checking a dossier's signature against trusted keys. */
struct SignatureCheck {
  bool present = false;  ///< kSignatureFile exists
  bool ok = false;       ///< it is a valid signature of the manifest by one of the trusted keys
  std::string key_id;    ///< the key id it names (when readable)
  std::string problem;   ///< why not ok: unsigned, malformed, untrusted key, does not verify
};

/** Checks `root`/kSignatureFile against `root`/MANIFEST.sha256 and `trusted`
    (files read with read_inside). */
SignatureCheck check_signature(const std::string& root, const std::vector<kb::sign::Key>& trusted);

/** The schema of dossier.json this version writes and re-checks. */
inline constexpr const char* kDossierSchema = "kb-dossier/3";

/** The earlier schema a re-check still accepts: it differs only in members
    a re-check does not read (title, release, the diff's shape). */
inline constexpr const char* kDossierSchemaPrevious = "kb-dossier/2";

/** "property:NO-MDT" -> "obligations/property.NO-MDT.smt2". */
std::string obligation_file(const std::string& id);

/** What the comment lines at the top of an obligation's SMT-LIB file say. */
struct Smt2Header {
  std::string id;            ///< the obligation id
  std::string item;          ///< the checked item's versioned id ("MDT-OFFER@3")
  std::string subject;       ///< the subject's name (release, "draft", files)
  std::string description;   ///< the obligation's description
  std::string tool_version;  ///< kb-verify's version
  std::string z3_version;    ///< the Z3 version of the run
  std::string status;        ///< the verdict recorded (status_name)
  /** The comment lines, in order (Solver::smt2 makes each a safe comment). */
  std::vector<std::string> lines() const;
};

/** The opening tag of an obligation's section in index.html. */
std::string html_section(const std::string& id, const std::string& status);

/** The row of index.html that shows the release hash. */
std::string html_hash_row(const std::string& release_hash);

/** Why `rel` is not a plain relative path inside a dossier ("" when it is):
    it must be non-empty, relative, '/'-separated, without empty, "." or ".."
    components, backslashes or control characters. */
std::string relative_path_problem(const std::string& rel);

/** `text` with control characters shown as '?', for messages. */
std::string printable(const std::string& text);

/** Reads `root`/`rel` without following any symbolic link below `root`:
    every folder on the way must be a real folder and the file a regular file
    of at most kMaxDossierFileBytes. FIFOs and devices are never opened.
    @return "" with the content in `text`, else what is wrong */
std::string read_inside(const std::string& root, const std::string& rel, std::string& text);

/** The result of verifying a folder's MANIFEST.sha256. */
struct ManifestCheck {
  std::map<std::string, std::string> listed;   ///< well-formed entries: path -> recorded SHA-256
  std::set<std::string> intact;                ///< listed entries present as regular files with their hash
  std::map<std::string, std::string> content;  ///< text of dossier.json, index.html and obligations/ files that could be read
  std::vector<RecheckLine> lines;              ///< one per listed or malformed entry, then one per unlisted file
  std::string error;  ///< not a dossier at all: not a folder, no or unreadable manifest, manifest lists nothing
  /** True when there is no error and every line is ok. */
  bool ok() const;
};

/** Verifies the manifest of folder `root`: every entry safe (relative_path_problem),
    listed once, read with read_inside and matching its hash; every other
    file or non-folder entry below `root` (MANIFEST.sha256 and a regular
    kSignatureFile aside) is a problem. */
ManifestCheck check_manifest(const std::string& root);

}  // namespace verify
