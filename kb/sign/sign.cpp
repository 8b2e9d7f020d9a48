#include "kb/sign/sign.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "kb/hash/sha256.h"

namespace kb::sign {
namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += digits[p[i] >> 4], out += digits[p[i] & 15];
  return out;
}

std::optional<std::vector<unsigned char>> unhex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::vector<unsigned char> out;
  auto val = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int a = val(s[i]), b = val(s[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out.push_back(static_cast<unsigned char>(a * 16 + b));
  }
  return out;
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return std::string(" (") + buf + ")";
}

// Reads `path` with `reader`, checks the key is Ed25519, fills in its id.
template <class Reader>
std::optional<Key> read_key(const std::string& path, bool want_private, std::string& error, Reader reader) {
  const std::string what = want_private ? "an Ed25519 private key" : "an Ed25519 public key";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot read key " + path + ": no such file or not readable";
    return std::nullopt;
  }
  EVP_PKEY* raw = reader(f);
  std::fclose(f);
  if (!raw) {
    error = "key " + path + " is not " + what + " in PEM format" + openssl_error();
    return std::nullopt;
  }
  Key k{std::shared_ptr<evp_pkey_st>(raw, EVP_PKEY_free), "", want_private};
  if (EVP_PKEY_id(raw) != EVP_PKEY_ED25519) {
    error = "key " + path + " is not " + what + " (another algorithm); make one with `openssl genpkey -algorithm ed25519`";
    return std::nullopt;
  }
  unsigned char pub[32];
  std::size_t len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(raw, pub, &len) != 1 || len != sizeof pub) {
    error = "key " + path + ": cannot read its public half" + openssl_error();
    return std::nullopt;
  }
  k.id = sha256_hex(std::string_view(reinterpret_cast<const char*>(pub), len));
  return k;
}

}  // namespace

std::optional<Key> read_private_key(const std::string& path, std::string& error) {
  return read_key(path, true, error, [](std::FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); });
}

std::optional<Key> read_public_key(const std::string& path, std::string& error) {
  std::string ignored;
  auto k = read_key(path, false, error, [](std::FILE* f) { return PEM_read_PUBKEY(f, nullptr, nullptr, nullptr); });
  if (k) return k;
  auto priv = read_key(path, true, ignored, [](std::FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); });
  if (priv) {
    error.clear();
    priv->is_private = false;
  }
  return priv;
}

std::string sign(const Key& key, std::string_view message) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  std::size_t len = sizeof sig;
  if (!ctx || !key.is_private || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    throw std::runtime_error("Ed25519 signing failed" + openssl_error());
  return hex(sig, len);
}

bool verify(const Key& key, std::string_view message, std::string_view signature_hex) {
  auto sig = unhex(signature_hex);
  if (!sig || sig->size() != 64 || !key.pkey) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), sig->data(), sig->size(), reinterpret_cast<const unsigned char*>(message.data()),
                             message.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string short_id(const std::string& key_id) { return key_id.substr(0, 16); }

}  // namespace kb::sign
