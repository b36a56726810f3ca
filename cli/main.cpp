// The `onset` command: one binary, one subcommand per job.
#include <glog/logging.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "cli/claim_command.hpp"
#include "cli/commands.hpp"
#include "cli/nca_command.hpp"
#include "io/environment.hpp"
#include "io/output_file.hpp"
#include "pk/distributed.hpp"
#include "pk/user_error.hpp"

namespace {

int run_command(int argc, char** argv) {
  // Ceres reports some terminations through glog at ERROR level even when told to be silent
  // ("Terminating: Number of consecutive invalid steps ..."); every such outcome reaches the
  // user once, in words, in the fit's status. Only a fatal glog message is still printed.
  FLAGS_minloglevel = google::GLOG_FATAL;
  CLI::App app{
      "onset: pharmacokinetic and biodistribution modelling; when could an effect first appear?"};
  const std::string version =
      std::string("onset 0.1.0 (MPI: ") +
      (onset::pk::built_with_mpi() ? "yes, " + std::to_string(onset::pk::mpi_size()) + " ranks"
                                   : std::string("no")) +
      ")";
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  onset::cli::register_reference_command(app);
  onset::cli::register_simulate_command(app);
  onset::cli::register_models_command(app);
  onset::cli::register_check_command(app);
  onset::cli::register_fit_command(app);
  onset::cli::register_nca_command(app);
  onset::cli::register_claim_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::RuntimeError& error) {  // a command finished with a non-zero exit code
    return error.get_exit_code();
  } catch (const CLI::ParseError& error) {  // unknown option, missing argument, ...
    app.exit(error);
    return onset::cli::kExitBadInput;
  } catch (const std::exception& error) {  // one a command did not catch: cli/exit_codes.hpp
    return onset::cli::report_failure("onset", error);
  } catch (...) {
    std::cerr << "onset: internal error (a bug in onset, please report it): unknown exception\n";
    return onset::cli::kExitInternalError;
  }
  return onset::cli::kExitSuccess;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a file: a closed stdin, stdout or stderr is held by /dev/null
  // (read-only), and a file-size limit makes writes fail instead of killing the process.
  onset::io::prepare_standard_streams();
  const onset::pk::MpiSession mpi(&argc, &argv,
                                  {onset::io::launched_by_mpi(), onset::io::mpi_plugin_path()});
  int code = run_command(argc, argv);
  // Output lost on the way to standard output (closed, a full disk, a file-size limit) is a
  // failure, said on stderr, never a silent success.
  if (const std::string lost = onset::io::finish_standard_output(); !lost.empty()) {
    std::cerr << "onset: the output could not be written to standard output: " << lost << "\n";
    if (code == onset::cli::kExitSuccess || code == onset::cli::kExitAnalysisFailed)
      code = onset::cli::kExitBadInput;
  }
  return code;
}
