// Ed25519 key files made at test time (no private key is ever committed).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace kb::testing {

/** Writes a fresh Ed25519 key pair as PEM: `base`.pem (private) and
    `base`.pub (public). Returns the private key's path. */
inline std::string make_key_pair(const std::string& base) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) throw std::runtime_error("keygen");
  EVP_PKEY_CTX_free(ctx);
  std::FILE* priv = std::fopen((base + ".pem").c_str(), "wb");
  std::FILE* pub = std::fopen((base + ".pub").c_str(), "wb");
  if (!priv || !pub || PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_PUBKEY(pub, key) != 1)
    throw std::runtime_error("cannot write key files " + base);
  std::fclose(priv);
  std::fclose(pub);
  EVP_PKEY_free(key);
  return base + ".pem";
}

}  // namespace kb::testing
