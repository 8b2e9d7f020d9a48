// A SQLite VFS shim for tests only: it forwards everything to the default
// VFS, but can be armed to fail the Nth write or sync (counting xWrite and
// xSync calls on every file SQLite opens: database, WAL, journals), as a full
// disk or a failing device would. Registered as the default VFS, so code
// under test needs no change.
#pragma once

#include <sqlite3.h>

#include <cstring>

namespace kb::testing {

/** The fault-injecting VFS. Not thread-safe: arm it from one test thread. */
class FaultyVfs {
 public:
  /** Registers the shim as SQLite's default VFS (once per process). */
  static void install() {
    if (base_) return;
    base_ = sqlite3_vfs_find(nullptr);
    vfs_ = *base_;
    vfs_.zName = "kb-faulty";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_.xOpen = open;
    vfs_.pNext = nullptr;
    sqlite3_vfs_register(&vfs_, 1);
  }
  /** Fails the `n`th write or sync from now (1: the next one); 0 disarms. */
  static void fail_at(int n) {
    countdown_ = n;
    seen_ = 0;
    fired_ = false;
  }
  /** Writes and syncs seen since fail_at(). */
  static int seen() { return seen_; }
  /** True when the armed fault was injected. */
  static bool fired() { return fired_; }

 private:
  struct File {
    sqlite3_file base;  // pMethods: our methods
    sqlite3_file* real;
  };

  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  // True when this write or sync is the one to fail.
  static bool strike() {
    ++seen_;
    if (countdown_ > 0 && --countdown_ == 0) {
      fired_ = true;
      return true;
    }
    return false;
  }

  static int open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    File* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    int rc = base_->xOpen(base_, name, file->real, flags, out_flags);
    file->base.pMethods = rc == SQLITE_OK && file->real->pMethods ? &methods_ : nullptr;
    return rc;
  }

  static int close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
  static int read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) { return real(f)->pMethods->xRead(real(f), p, n, off); }
  static int write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    if (strike()) return SQLITE_IOERR_WRITE;
    return real(f)->pMethods->xWrite(real(f), p, n, off);
  }
  static int truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
  static int sync(sqlite3_file* f, int flags) {
    if (strike()) return SQLITE_IOERR_FSYNC;
    return real(f)->pMethods->xSync(real(f), flags);
  }
  static int file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
  static int lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
  static int unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
  static int check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
  static int control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
  static int sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
  static int characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
  static int shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** p) {
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, p);
  }
  static int shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
  }
  static void shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
  static int shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
  static int fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
    return real(f)->pMethods->xFetch(real(f), off, n, p);
  }
  static int unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return real(f)->pMethods->xUnfetch(real(f), off, p); }

  static inline sqlite3_vfs* base_ = nullptr;
  static inline sqlite3_vfs vfs_{};
  static inline int countdown_ = 0, seen_ = 0;
  static inline bool fired_ = false;
  static inline const sqlite3_io_methods methods_ = {
      3,         close,     read,        write,       truncate,  sync,         file_size,
      lock,      unlock,    check_reserved, control,  sector_size, characteristics, shm_map,
      shm_lock,  shm_barrier, shm_unmap, fetch,       unfetch};
};

}  // namespace kb::testing
