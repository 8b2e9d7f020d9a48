// The versioned store of the knowledge base (docs/store.md): a SQLite file in
// which every item of the guideline language is kept as an append-only chain
// of versions, each hashed and chained to the row before it, and releases pin
// one version of every item under a name. The store reads and writes items in
// their canonical text (kb/printer.h) and hands back checked Guidelines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "kb/lang/diagnostics.h"
#include "kb/model/guideline.h"
#include "kb/sign/sign.h"

namespace SQLite {
class Database;
class Statement;
}

namespace kb {

/** How a store operation failed; decides the exit code of `kb`. */
enum class StoreErrorKind {
  Finding,   ///< well-formed but refused: conflict, duplicate release, failed audit (exit 1)
  BadInput,  ///< wrong input: check errors, unknown item or release, missing database (exit 2)
  Database,  ///< SQLite failed: I/O, not a database, locked for too long (exit 2)
};

/** A failed store operation: a one-line summary, detail lines, and
    diagnostics in guideline text (with the sources to render them). */
struct StoreError {
  StoreErrorKind kind = StoreErrorKind::BadInput;  ///< decides the exit code
  std::string message;               ///< one-line summary
  std::vector<std::string> details;  ///< further lines (e.g. one per conflicting item); may be empty
  Diagnostics diags;                 ///< check or parse errors in guideline text; may be empty
  SourceMap sources;                 ///< the texts `diags` point into, for rendering

  /** The message, each detail on its own indented line, then the rendered
      diagnostics; ends in a newline. */
  std::string render() const;
};

/** The value of a store operation or why it failed. */
template <class T>
class [[nodiscard]] Result {
 public:
  /** A success. */
  Result(T value) : v_(std::move(value)) {}
  /** A failure. */
  Result(StoreError error) : v_(std::move(error)) {}

  /** True on success. */
  bool ok() const { return v_.index() == 0; }
  /** Same as ok(). */
  explicit operator bool() const { return ok(); }
  /** The value. @pre ok() */
  T& value() { return std::get<0>(v_); }
  /** The value. @pre ok() */
  const T& value() const { return std::get<0>(v_); }
  /** The failure. @pre !ok() */
  const StoreError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, StoreError> v_;
};

/** Where an item version was imported from: a file and a range in it. */
struct Origin {
  std::optional<std::string> file;  ///< repository-relative path as imported; nullopt when unknown (schema 1 rows)
  /// @var line
  /// First line, from 1 (0 when unknown).
  /// @var column
  /// First column, from 1.
  /// @var end_line
  /// Last line.
  /// @var end_column
  /// Column just past the last byte.
  int line = 0, column = 0, end_line = 0, end_column = 0;
  /** The origin of an item parsed from `span` (its file and range). */
  static Origin of(const Loc& span);
  /** As a Loc; the file "<unknown origin>" when not recorded. */
  Loc loc() const;
};

/** One row of item_version: one version of one item. */
struct ItemVersion {
  std::int64_t seq = 0;            ///< position in the append-only log of all rows, from 1, global across items
  ItemKind kind = ItemKind::Fact;  ///< the item's kind
  std::string name;                ///< the item's name (a reference's number as text)
  int version = 0;                 ///< the item's version, from 1, up by one per row of that item
  bool retired = false;            ///< true when this version retires the item
  std::optional<std::string> strength;  ///< rules only (NULL otherwise and when retired)
  std::optional<std::string> action;    ///< rules only (NULL otherwise and when retired)
  std::string source;                   ///< canonical text; empty when retired
  /// @var author
  /// Who wrote this version (ImportOptions::author).
  /// @var created_utc
  /// When it was written, "YYYY-MM-DDTHH:MM:SSZ" (see utc_now()).
  /// @var reason
  /// Why it was written (ImportOptions::reason).
  std::string author, created_utc, reason;
  /// @var content_hash
  /// sha256_hex of `source`.
  /// @var prev_hash
  /// `row_hash` of the row before this one by `seq`; kZeroHash for the first row.
  /// @var row_hash
  /// kb::row_hash() of this row, chaining it to the previous one.
  std::string content_hash, prev_hash, row_hash;
  Origin origin;        ///< where the version was imported from
  int hash_format = 2;  ///< 1: row hash without origin (rows of schema 1); 2: with origin (see row_hash())
};

/** What an import did to one item. */
enum class ChangeKind { Added, Changed, Retired };

/** One version an import appended (or, for ImportReport::kept, the current
    version it left alone). */
struct ItemChange {
  ChangeKind change = ChangeKind::Added;  ///< added, changed or retired
  ItemKind kind = ItemKind::Fact;         ///< the item's kind
  std::string name;                       ///< the item's name
  int version = 0;                        ///< the new version (kept: the current one)
  std::string note;                       ///< why, when not plain: what --force overrode, or whose change was kept
};

/** The state an edit started from (docs/store.md, "Merging"): a release, or
    the draft as it was after one row of the log. */
struct ImportBase {
  std::optional<std::string> release;  ///< a sealed release; nullopt: the draft after row `seq`
  std::int64_t seq = 0;                ///< without `release`: the newest row the edit had seen (0: an empty store)
  std::string hash_prefix;  ///< when not empty, checked: the start of that row's row_hash, or of the release hash
  /** "release NAME" or "seq N". */
  std::string describe() const;
  /** Same state, same hash prefix. */
  bool operator==(const ImportBase&) const = default;
};

/** A base as `kb import --base` spells it: "seq:N" or a release name.
    @return nullopt when it is neither */
std::optional<ImportBase> parse_base_option(const std::string& text);

/** The marker line `kb export` writes at the top of its output:
    "# kb-base: release NAME HASH" or "# kb-base: seq N HASH" (HASH: the first
    12 hex digits of the release hash or row hash; absent for seq 0), then a
    reminder to keep the line. */
std::string base_marker(const ImportBase& base);

/** The base named by the marker lines ("# kb-base: ...") of a source text.
    @return nullopt when there is none, or (with `problem` set) when one is
            malformed or two disagree */
std::optional<ImportBase> read_base_marker(const std::string& text, std::string& problem);

/** Who imports, why, and on what. */
struct ImportOptions {
  std::string author;                ///< non-empty
  std::string reason;                ///< non-empty
  std::optional<ImportBase> base;    ///< the state the input was edited from: merge three ways against it
  bool prune = false;                ///< retire current items absent from the input
  bool force = false;                ///< write what would be refused; recorded in the reason of each such version
  bool dry_run = false;              ///< decide and check everything, write nothing
};

/** What an import wrote (or, for a dry run, would write). */
struct ImportReport {
  std::vector<ItemChange> changes;  ///< in the order the versions were (would be) appended
  std::vector<ItemChange> kept;     ///< items only others changed since the base: left as they are
  std::size_t unchanged = 0;        ///< input items already current
};

/** A sealed release. */
struct ReleaseInfo {
  /// @var name
  /// The release name: letters, digits, '.', '_' and '-'.
  /// @var author
  /// Who sealed it.
  /// @var created_utc
  /// When it was sealed, "YYYY-MM-DDTHH:MM:SSZ" (see utc_now()).
  /// @var reason
  /// Why it was sealed (may be empty).
  /// @var content_hash
  /// The release hash (kb::release_hash): sha256 over the sorted lines
  /// "kind name version content_hash\n" of the pinned versions.
  std::string name, author, created_utc, reason, content_hash;
  std::size_t items = 0;  ///< number of pinned versions
  std::string chain_head;            ///< the entry_hash of the release's ledger entry (empty before migration 5 ran)
  std::vector<std::string> signers;  ///< key ids of the stored signatures of chain_head (not verified here)
};

/** What `kb audit` checks beyond the database itself. */
struct AuditOptions {
  /// An entry_hash (or a prefix of at least 12 hex digits) the ledger must
  /// still contain, with the chain intact up to it: a head printed by an
  /// earlier audit or release and kept outside the database.
  std::optional<std::string> expect_head;
  /// Trusted public keys: every stored signature by one of them must verify,
  /// and the newest release must carry one.
  std::vector<sign::Key> trusted;
};

/** What a successful audit checked. */
struct AuditReport {
  std::size_t rows = 0;      ///< item versions whose hashes and chain were verified
  std::size_t releases = 0;  ///< releases whose content hash was verified
  std::size_t runs = 0;      ///< verification runs whose results were verified
  std::size_t entries = 0;   ///< ledger entries verified
  std::int64_t head_seq = 0; ///< the newest ledger entry's seq (0: an empty ledger)
  std::string head;          ///< its entry_hash (kZeroHash for an empty ledger): anchor it outside the database
  std::size_t signed_releases = 0;  ///< releases whose signature by a trusted key verified
  std::size_t after_signed = 0;     ///< ledger entries after the newest trusted signature (with AuditOptions::trusted)
};

/** One obligation's result, as kb-verify stores it (schema: verify_result). */
struct VerificationResult {
  std::string obligation;                     ///< e.g. "property:ID"
  std::string verdict;                        ///< a status name of verify::status_name
  double millis = 0;                           ///< solver time in milliseconds (Obligation::millis)
  std::string core;                           ///< JSON array: the item versions the result rests on
  std::optional<std::string> location;        ///< JSON {file, line, column, end_line, end_column} of the finding
  std::optional<std::string> counterexample;  ///< JSON patient
  std::string detail;                         ///< the one-line message
  /// @var cache_key
  /// The obligation's cache key (verify::Obligation::cache_key), when the run computed answers to keep (schema: verify_answer).
  /// @var answer
  /// With `cache_key`: the answers to reuse (verify::Obligation::cache_answer).
  std::optional<std::string> cache_key, answer;
};

/** An answer a run keeps that belongs to no obligation (schema: verify_answer). */
struct KeptAnswer {
  std::string name;       ///< e.g. "completion" (verify::Kept::name)
  std::string cache_key;  ///< its cache key
  std::string answer;     ///< the answer
};

/** An answer kept under a cache key (schema: verify_answer). */
struct StoredAnswer {
  std::int64_t run = 0;  ///< the verification run that stored it
  std::string answer;    ///< the answers, as verify::encode_answer wrote them
};

/** One mutant's verdict, as kb-verify --mutate stores it (schema: mutation_result). */
struct MutationRow {
  std::string mutant;     ///< "M1", ...
  std::string op;         ///< verify::mutation_op_name
  std::string site;       ///< the edited item, "kind:name@version"
  std::string status;     ///< verify::mutant_status_name
  std::string killed_by;  ///< JSON array of "property:ID" / "conflict:ACTION"
  bool restating_only = false;         ///< killed only by restating properties
  std::string summary;                 ///< the edit in one line
  std::optional<std::string> witness;  ///< survived: JSON patient
};

/** One kb-verify run over a release or the draft (schema: verify_run). */
struct VerificationRun {
  std::optional<std::string> release;  ///< nullopt: the current draft
  /// @var content_hash
  /// The release hash of the checked items (kb::release_hash; for a release, its ReleaseInfo::content_hash).
  /// @var tool_version
  /// kb-verify's version (kb::cli::kToolVersion).
  /// @var z3_version
  /// Z3's version string (solver::Solver::z3_version()).
  std::string content_hash, tool_version, z3_version;
  int exit_code = 0;                        ///< the exit code kb-verify returned for the run
  std::vector<VerificationResult> results;  ///< one per obligation, in report order
  std::vector<KeptAnswer> kept;             ///< answers kept that belong to no obligation
  std::optional<double> mutation_score;     ///< percent, when the run did mutation analysis
  std::vector<MutationRow> mutants;         ///< one per mutant, when it did
};

/** How Store::open opens the database. */
enum class OpenMode {
  Existing,  ///< read-write, migrating it; the file must exist
  Create,    ///< read-write, creating and migrating it
  ReadOnly,  ///< never writes (a read-only file or folder works); refuses a database that needs migration
};

/** A knowledge base in one SQLite file. Every operation that writes runs in
    one `BEGIN IMMEDIATE` transaction, so concurrent writers (other processes)
    queue on the database lock and never lose a version. Not thread-safe: use
    one Store per thread. SQLite failures are returned as
    StoreErrorKind::Database errors, never thrown. */
class Store {
 public:
  /** Opens (or with OpenMode::Create creates) the database at `path`, turns
      on foreign keys, WAL and a 10 s busy timeout, and applies the pending
      migrations of kb::schema::kMigrations, each in its own transaction
      (migration 5 also writes the ledger of the existing records). With
      OpenMode::ReadOnly nothing is written: a file or folder without write
      permission works, and a database that needs migration is refused.
      Concurrent opens of a new file (several `kb init`) all succeed.
      @return the store; BadInput when the file is missing (Existing,
              ReadOnly), is not a kb database, has a schema newer than this
              tool, or (ReadOnly) an older one */
  static Result<Store> open(const std::string& path, OpenMode mode);

  /** Stores move (the connection moves with them) but do not copy. */
  Store(Store&&) noexcept;
  /** See the move constructor. */
  Store& operator=(Store&&) noexcept;
  /** Closes the connection. */
  ~Store();

  /** The path the store was opened on. */
  const std::string& path() const { return path_; }

  /** True when opened with OpenMode::ReadOnly: every write fails. */
  bool read_only() const { return read_only_; }

  /** The PRAGMA user_version of the database (number of applied migrations). */
  Result<int> schema_version();

  /** The current items (or, with `release`, that release's pinned versions)
      as a checked Guideline, items of a kind in the order they were first
      introduced; Guideline::versions holds each item's stored version. Each
      stored version parses as its own text named "<stored kind:name@version>";
      each item's `span` is the Origin it was imported from.
      @param release the release to load; nullopt for the current items
      @param state when given, receives the state read, from the same
             snapshot, as a base for a later import (base_marker)
      @return BadInput for an unknown release or stored text that no longer
              parses and checks (run `kb audit`) */
  Result<Guideline> load(const std::optional<std::string>& release = std::nullopt, ImportBase* state = nullptr);

  /** Appends a version for each item of `input` whose canonical text differs
      from its current version (version 1 for a new item) and, with
      `options.prune`, a retired version for each current item absent from
      `input`. All or nothing, in one transaction. Content already current
      creates no version. With `options.base`, a three-way merge per item
      (docs/store.md, "Merging"): an item only others changed since the base
      is kept as it is; one changed both in `input` and by others is refused.
      Without a base, an item whose input text is one of its earlier
      versions' is refused as a stale copy. `options.force` writes refused
      items anyway, noting it in their reason; `options.dry_run` writes nothing.
      @pre `input` passed kb::check
      @return the versions written (or that would be); Finding when items
              are refused (each listed with the command that shows the other
              change, nothing written); BadInput for empty author or reason, an
              unknown or foreign base, or when the knowledge base after the
              import would fail kb::check (diagnostics included, nothing written) */
  Result<ImportReport> import(const Guideline& input, const ImportOptions& options);

  /** Seals a release named `name` pinning the current version of every live
      item; content_hash is sha256 over the sorted lines
      "kind name version content_hash\n". The release gets a ledger entry
      after the entries of its pins; its entry_hash is the release's chain
      head, which `key` (when given) signs in the same transaction
      (release_signing_message).
      @param name letters, digits, '.', '_' and '-' (at most 200 characters)
      @param author who seals the release; non-empty
      @param reason why; stored as given (may be empty)
      @param key a private key to sign the chain head with; nullptr: unsigned
      @return the release; Finding when the name is taken or the knowledge
              base is empty; BadInput for a malformed name, an empty author
              or a public key */
  Result<ReleaseInfo> release(const std::string& name, const std::string& author, const std::string& reason,
                              const sign::Key* key = nullptr);

  /** All sealed releases, oldest first. */
  Result<std::vector<ReleaseInfo>> releases();

  /** The latest live version of every item, grouped by kind in canonical
      order, each kind in the order items were first introduced. */
  Result<std::vector<ItemVersion>> current_items();

  /** Every version of one item, oldest first, retired versions included.
      @param id "kind:name", or a bare name (or reference number) when only
             one kind has it
      @return BadInput when no item (or more than one) has that id */
  Result<std::vector<ItemVersion>> history(const std::string& id);

  /** Stores a verification run and its results in one transaction, stamped
      with the current UTC time.
      @return the run id; BadInput for an unknown release */
  Result<std::int64_t> record_verification(const VerificationRun& run);

  /** The newest answer stored under `cache_key` by a run whose records still
      match its ledger entry (its body hash and entry hash recomputed, as
      `kb audit` does; each run is checked once per Store): an answer of a
      run that fails the check is never returned.
      @return nullopt when no trusted run stored one */
  Result<std::optional<StoredAnswer>> cached_answer(const std::string& cache_key);

  /** The runs cached_answer() found altered since written (their answers are not reused). */
  std::vector<std::int64_t> untrusted_runs() const;

  /** Checks everything the store keeps: SQLite's `PRAGMA integrity_check`
      and foreign keys; the schema (every table, index, view and trigger
      against the definitions the migrations create); every item version
      (column types, known kind, content_hash, row_hash, the prev_hash chain,
      versions counting 1, 2, 3 per item); every release (sealed, content
      hash); the ledger (every record has exactly one entry, each body_hash
      matches its record, the entry chain is intact and in a possible order);
      then `options` (the expected head, trusted signatures).
      @return the counts checked and the head; Finding with one detail line
              per problem, each naming its table and row (seq, id or name) */
  Result<AuditReport> audit(const AuditOptions& options = {});

 private:
  Store(std::string path, std::unique_ptr<SQLite::Database> db);
  static Result<Store> open_once(const std::string& path, OpenMode mode);

  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  bool read_only_ = false;
  std::map<std::int64_t, bool> run_trusted_;  // cached_answer(): runs checked against the ledger
  std::unique_ptr<SQLite::Statement> answer_query_;  // cached_answer()'s query, prepared once (after db_: destroyed first)
};

/** Number of migrations this build knows (the schema version it writes). */
int known_schema_version();

/** The current time as "YYYY-MM-DDTHH:MM:SSZ" (UTC), or the value of the
    environment variable KB_NOW when it is set and non-empty (for tests). */
std::string utc_now();

/** The row hash of `row` (its row_hash field is ignored): sha256 over each of
    seq, kind, name, version, retired, strength, action, source, author,
    created_utc, reason, content_hash, prev_hash in this order and, for hash
    format 2, origin file, line, column, end line, end column; each written
    as "<byte length>:<text>\n" (integers in decimal, retired as 0 or 1) and
    NULL written as "-\n". */
std::string row_hash(const ItemVersion& row);

/** The hash of one ledger entry: sha256 over seq, entry ("item", "release"
    or "verify"), ref, body_hash and prev_hash, each as in row_hash(). */
std::string ledger_entry_hash(std::int64_t seq, const std::string& entry, std::int64_t ref, const std::string& body_hash,
                              const std::string& prev_hash);

/** What a release signature signs: "kb-release-head/1 NAME CHAIN_HEAD". */
std::string release_signing_message(const std::string& release, const std::string& chain_head);

/** 64 zeros: the prev_hash of the first row. */
inline constexpr const char* kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace kb
