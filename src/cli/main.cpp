// The `weft` command: argument parsing and dispatch only. The commands
// live in run_cmd.cpp (validate, run) and wast_runner.cpp (wast).
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/run_cmd.h"
#include "cli/wast_runner.h"

namespace {

// `run` takes its module and the guest's arguments unparsed (see below), so
// CLI11 cannot derive its usage line; spell it out.
class Formatter : public CLI::Formatter {
public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_name() == "run")
      return "Usage: weft run [--invoke NAME] FILE.wasm [ARG...]\n";
    return CLI::Formatter::make_usage(app, std::move(name));
  }
};

} // namespace

int main(int argc, char** argv) {
  using namespace weft::cli;

  CLI::App app{"weft: a WebAssembly runtime", "weft"};
  app.formatter(std::make_shared<Formatter>());
  app.set_version_flag("--version", std::string("weft ") + WEFT_VERSION);
  app.require_subcommand(1);
  app.footer("Run `weft COMMAND --help` for the options of a command.\n"
             "Exit status: 0 on success, 1 on an error (invalid module, link "
             "error, trap, failed spec command), 2 on bad usage.");

  std::string validate_path;
  CLI::App* validate =
      app.add_subcommand("validate", "Decode and validate a module; print "
                                     "nothing and exit 0 when it is valid");
  validate->add_option("FILE", validate_path, "the .wasm module")->required();

  RunOptions run_options;
  CLI::App* run = app.add_subcommand(
      "run", "Instantiate a module and call an export (default: _start)");
  run->add_option("--invoke", run_options.invoke,
                  "the exported function to call; arguments are parsed by its "
                  "parameter types");
  // Everything from the module file on belongs to the guest, options
  // included: CLI11's prefix-command mode leaves it all unparsed.
  run->prefix_command();
  run->footer(
      "Options go before FILE.wasm; everything after it is passed to the "
      "program or function.\n"
      "Arguments: i32/i64 as decimal (signed or unsigned) or 0x hex; f32/f64 "
      "as decimal floats, nan, inf, -inf, -0, nan:0xPAYLOAD; v128 as 0x + 32 "
      "hex digits; references only as null.\n"
      "Results are printed one per line: integers signed decimal, floats in "
      "the shortest form that reads back exactly, v128 as 0x + 32 hex "
      "digits, references as null or ref.");

  std::string wast_path;
  WastOptions wast_options;
  CLI::App* wast = app.add_subcommand(
      "wast", "Run spec test scripts (wast2json output): one .json file, or "
              "every .json below a folder");
  wast->add_option("PATH", wast_path, "a .json script or a folder")->required();
  wast->add_flag("-v,--verbose", wast_options.verbose,
                 "print every command, spectest print output and message "
                 "mismatches");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // --help and --version are successes; everything else is a usage error.
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (*validate) return ValidateCommand(validate_path);
  if (*wast) return WastCommand(wast_path, wast_options);
  if (*run) {
    std::vector<std::string> rest = run->remaining();
    if (rest.empty()) {
      std::cerr << "error: weft run: missing FILE.wasm\n"
                << "Usage: weft run [--invoke NAME] FILE.wasm [ARG...]\n";
      return kExitUsage;
    }
    if (rest.front().size() > 1 && rest.front()[0] == '-') {
      std::cerr << "error: weft run: unknown option " << rest.front()
                << " (options go before FILE.wasm)\n";
      return kExitUsage;
    }
    run_options.module_path = rest.front();
    run_options.args.assign(rest.begin() + 1, rest.end());
    return RunCommand(run_options);
  }
  return kExitUsage;
}
