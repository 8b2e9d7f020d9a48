// SHA-256 digests as lowercase hex, for the content and row hashes of the
// store (docs/store.md). A thin wrapper over OpenSSL's EVP interface.
#pragma once

#include <string>
#include <string_view>

namespace kb {

/** The SHA-256 digest of `data`.
    @return 64 lowercase hexadecimal characters */
std::string sha256_hex(std::string_view data);

}  // namespace kb
