// Ed25519 signatures over OpenSSL's EVP interface, with PEM key files: the one
// place that signs and verifies (release chain heads, dossier manifests;
// docs/store.md "Signed releases", docs/dossier.md "Signed dossiers").
// Signatures are 128 lowercase hex digits; a key is named by its key id, the
// SHA-256 (hex) of its raw 32-byte public key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace kb::sign {

/** A loaded Ed25519 key: private (can sign and verify) or public (verify only). */
struct Key {
  std::shared_ptr<evp_pkey_st> pkey;  ///< the OpenSSL key; never null in a loaded key
  std::string id;                     ///< SHA-256 hex of the raw public key
  bool is_private = false;            ///< true when the key can sign
};

/** Reads an Ed25519 private key from a PEM file (`openssl genpkey -algorithm ed25519`).
    @return the key; nullopt with `error` naming the file and the problem
            (missing, unreadable, not PEM, not an Ed25519 private key) */
std::optional<Key> read_private_key(const std::string& path, std::string& error);

/** Reads an Ed25519 public key from a PEM file (`openssl pkey -pubout`); a
    private key file is accepted too (its public half is used).
    @return the key; nullopt with `error` naming the file and the problem */
std::optional<Key> read_public_key(const std::string& path, std::string& error);

/** The Ed25519 signature of `message` as 128 lowercase hex digits.
    @pre key.is_private */
std::string sign(const Key& key, std::string_view message);

/** True when `signature_hex` (128 hex digits) is `key`'s valid signature of `message`. */
bool verify(const Key& key, std::string_view message, std::string_view signature_hex);

/** The first 16 hex digits of a key id, as messages show it. */
std::string short_id(const std::string& key_id);

}  // namespace kb::sign
