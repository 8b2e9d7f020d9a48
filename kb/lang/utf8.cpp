// UTF-8 checks (kb/lang/utf8.h), byte by byte after RFC 3629, table 3-7 of
// the Unicode standard.
#include "kb/lang/utf8.h"

namespace kb {

std::size_t utf8_char_length(std::string_view s, std::size_t pos) {
  auto byte = [&](std::size_t i) { return pos + i < s.size() ? static_cast<unsigned char>(s[pos + i]) : 0u; };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 == 0xE0) n = 3, lo = 0xA0;
  else if (b0 == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (b0 >= 0xE1 && b0 <= 0xEF) n = 3;
  else if (b0 == 0xF0) n = 4, lo = 0x90;
  else if (b0 == 0xF4) n = 4, hi = 0x8F;  // nothing above U+10FFFF
  else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
  else return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return n;
}

std::size_t utf8_invalid_offset(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_char_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string excerpt(std::string_view s, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_char_length(s, i);
    if (out.size() + (n ? n : 1) > max_bytes) return out + "...";
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0 || c < 0x20 || c == 0x7f) out += '?';
    else out.append(s.substr(i, n));
    i += n ? n : 1;
  }
  return out;
}

std::string escape_control(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  auto hex = [](unsigned c) { return std::string{digits[(c >> 4) & 15], digits[c & 15]}; };
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_char_length(s, i);
    const unsigned c = static_cast<unsigned char>(s[i]);
    if (n == 0) out += "\\x" + hex(c), n = 1;
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || c == 0x7f) out += "\\x" + hex(c);
    else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0)
      out += "\\u00" + hex(static_cast<unsigned char>(s[i + 1]));
    else out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace kb
