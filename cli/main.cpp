// The `onset` command: one binary, one subcommand per job.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/nca_command.hpp"
#include "pk/distributed.hpp"

int main(int argc, char** argv) {
  const onset::pk::MpiSession mpi(&argc, &argv);
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
  }
  return onset::cli::kExitSuccess;
}
