// The character sets of the names onset reads from files and then shows in messages, tables,
// HTML reports and plots. Readers check them where a name is read and report file:line:column
// (check/README.md, models/README.md and fits/README.md state them for users):
//
//  - an identifier: a claim's `id` and its effects' ids, a model file's `name`, a library model
//    named by a claim: 1 to 64 bytes of ASCII letters, digits, '_', '-' and '.', starting with
//    a letter, a digit or '_';
//  - a label: a column name of a data set or a table: 1 to 1024 bytes of letters (ASCII, or
//    any non-ASCII UTF-8 character such as µ), digits, spaces and _ - . , : ( ) [ ] / % + * = #;
//    so no control characters (a line break, a tab), quotes, backquotes, backslashes or
//    $ @ ! ; & | < > { } ~ ^ ?.
//
// Plots (io/gnuplot.hpp) pass every text they show through the label set once more.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace onset::io {

inline constexpr std::size_t kMaxIdentifierBytes = 64;
inline constexpr std::size_t kMaxLabelBytes = 1024;

// The rules in words, for "expected ..." in messages.
inline constexpr const char* kIdentifierRule =
    "1 to 64 ASCII letters, digits, '_', '-' or '.', starting with a letter, a digit or '_'";
inline constexpr const char* kLabelRule =
    "1 to 1024 letters, digits, spaces or _ - . , : ( ) [ ] / % + * = # (no control "
    "characters, quotes, backslashes or $ @ ! ; & | < > { } ~ ^ ?)";

// True for a byte a label may hold as it is (ASCII); bytes of non-ASCII UTF-8 characters are
// allowed in labels too, and are not tested here.
bool is_label_ascii(char ch);

// Where `text` breaks the rule: "" when it is an identifier (a label), else what is wrong in
// words ("it is empty", "it is longer than 64 bytes", "it has a line break (byte 2)", "it has
// '\"' (byte 5)").
std::string identifier_problem(std::string_view text);
std::string label_problem(std::string_view text);

}  // namespace onset::io
