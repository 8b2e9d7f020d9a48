// The version of the kb tools, reported by kb-verify and stored with results.
#pragma once

namespace kb::cli {
/** Semantic version of this build of the tools. */
inline constexpr const char* kToolVersion = "0.1.0";
}  // namespace kb::cli
