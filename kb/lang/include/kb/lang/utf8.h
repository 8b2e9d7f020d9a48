// UTF-8 well-formedness, and bounded excerpts of user text for one-line
// messages. Guideline sources and patient JSON must be well-formed UTF-8
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kb {

/** Length (1 to 4) of the well-formed UTF-8 character starting at byte
    `pos` of `s`, or 0 when the bytes there are not well-formed UTF-8.
    @pre pos < s.size() */
std::size_t utf8_char_length(std::string_view s, std::size_t pos);

/** Offset of the first byte of `s` that does not start a well-formed UTF-8
    character, or std::string_view::npos when all of `s` is well-formed. */
std::size_t utf8_invalid_offset(std::string_view s);

/** `s` for quoting in a one-line message: cut at a character boundary to at
    most `max_bytes` bytes (then "..." is appended), with every byte that is
    not well-formed UTF-8, and every control character, replaced by '?'. */
std::string excerpt(std::string_view s, std::size_t max_bytes = 64);

/** `s` safe to print on a terminal as one line, nothing lost (C-style
    escapes, each starting with a backslash): a backslash is doubled;
    newline, tab and carriage return become backslash-n, -t and -r; every
    other C0 control character and DEL becomes backslash-x and two hex
    digits, as does a byte that is not well-formed UTF-8; a C1 control
    character (U+0080..U+009F) becomes backslash-u00 and two hex digits.
    Other text is kept as it is. */
std::string escape_control(std::string_view s);

}  // namespace kb
