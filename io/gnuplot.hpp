// Plots drawn by gnuplot (Debian gnuplot-nox) for `onset check --report` and `onset fit --plot`,
// the one place onset runs another program. No text of a user's reaches gnuplot as a command:
//
//  - A script holds onset's own commands only. Every text in it that comes from an input (a
//    title with an effect id, an axis label with a column or observable name) goes through
//    gnuplot_text(), which keeps only the label characters of io/names.hpp (anything else
//    becomes '?') inside a single-quoted string: no quote, line break, backquote, '@' or '$' can
//    end the string or start a command. Label columns of data files go through
//    gnuplot_data_label() the same way.
//  - gnuplot runs as a program, never through a shell (posix_spawn with an argument vector), in
//    a private temporary folder (mkdtemp, mode 0700) with `set output 'plot.out'`: it never sees
//    a path a user gave. run_gnuplot returns the bytes it drew; the caller writes them with
//    io::write_file_atomically, which checks the target like any other output.
//  - The program is $ONSET_GNUPLOT if set (a program name or path, not a command line), else
//    `gnuplot` on the PATH.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onset::io {

// gnuplot could not draw (not installed, or it failed: the message has its own words).
struct GnuplotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct GnuplotJob {
  // The terminal, e.g. "svg size 760,380 dynamic noenhanced font 'sans,11'": onset's own text.
  std::string terminal;
  // The commands that draw, after `set terminal` and `set output`; data files by their names.
  std::string script;
  // Data files: name (letters, digits, '_' and '.') and content, written beside the script.
  std::vector<std::pair<std::string, std::string>> data_files;
};

// `text` as a gnuplot single-quoted string: 'text', every byte outside the label set of
// io/names.hpp (and every malformed UTF-8 byte) replaced by '?'.
std::string gnuplot_text(std::string_view text);

// `text` as a label column of a data file: "text", filtered in the same way.
std::string gnuplot_data_label(std::string_view text);

// $ONSET_GNUPLOT, else "gnuplot".
std::string gnuplot_program();

// "" when gnuplot can be run (`gnuplot --version` succeeds); else why not, with the fix. Call it
// before the work, so that a report or plot that cannot be drawn is refused at once.
std::string gnuplot_problem();

// "" when `script` holds only what onset's scripts hold; else the first thing that is not, with
// its line. Every line starts with `set`, `unset` or `plot`, or continues the line before (which
// ends in a backslash); outside single-quoted strings there are only numbers, the words of
// onset's plots (no `system`, `load`, `call`, `eval`, `print`, `output`, ...) and the
// punctuation [ ] ( ) : , . / * - +; a quoted string closes on its own line and holds only the
// label characters and '?' (what gnuplot_text puts for the others). run_gnuplot refuses a script
// that breaks this, so a text that escaped the filter (a bug in a script's making) still never
// runs.
std::string gnuplot_script_problem(std::string_view script);

// Before the work of a command that will draw into `path`: the target as any output
// (io::check_output_target, never one of `inputs`), and gnuplot runs. Throws io::OutputError
// naming the path and what is wrong.
void check_plot_target(const std::string& path, const std::vector<std::string>& inputs);

// Runs the job in a private temporary folder (removed afterwards) and returns the file gnuplot
// wrote. Throws GnuplotError with gnuplot's messages when it fails or writes nothing.
std::string run_gnuplot(const GnuplotJob& job);

}  // namespace onset::io
