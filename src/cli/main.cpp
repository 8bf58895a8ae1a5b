// The `weft` command: argument parsing and dispatch only. The commands
// live in run_cmd.cpp (validate, run) and wast_runner.cpp (wast).
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/compile_cmd.h"
#include "cli/run_args.h"
#include "cli/run_cmd.h"
#include "cli/serve_cmd.h"
#include "cli/wast_runner.h"

namespace {

constexpr const char* kRunUsage =
    "Usage: weft run [OPTIONS] FILE.wasm|FILE.wat [ARGS...]\n";

// `run` takes its module and the guest's arguments unparsed (see below), so
// CLI11 cannot derive its usage line; spell it out.
class Formatter : public CLI::Formatter {
public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_name() == "run") return kRunUsage;
    return CLI::Formatter::make_usage(app, std::move(name));
  }
};

int UsageError(const std::string& message) {
  std::cerr << "error: weft run: " << message << "\n" << kRunUsage;
  return weft::cli::kExitUsage;
}

} // namespace

int main(int argc, char** argv) {
  using namespace weft::cli;

  CLI::App app{"weft: a WebAssembly runtime", "weft"};
  app.formatter(std::make_shared<Formatter>());
  app.set_version_flag("--version", std::string("weft ") + WEFT_VERSION);
  app.require_subcommand(1);
  app.footer("Run `weft COMMAND --help` for the options of a command.\n"
             "Exit status: 0 on success, 1 on an error (invalid module, link "
             "error, trap, failed spec command), 2 on bad usage; `weft run` "
             "of a WASI program exits with the program's status, or 134 when "
             "it traps.");

  std::string validate_path;
  CLI::App* validate = app.add_subcommand(
      "validate", "Decode and validate a module (binary or text format); "
                  "print nothing and exit 0 when it is valid");
  validate->add_option("FILE", validate_path, "the .wasm or .wat module")
      ->required();

  RunOptions run_options;
  std::vector<std::string> dirs, envs;
  std::string max_memory, timeout;
  CLI::App* run = app.add_subcommand(
      "run", "Run a WASI program (its _start export), or call an export with "
             "--invoke");
  run->add_option("--dir", dirs,
                  "let the guest use host directory HOST "
                  "under the name GUEST (default: HOST), read-write, or "
                  "read-only with :ro. Repeatable. The split is at the last "
                  "\"::\": a HOST containing \"::\" needs an explicit ::GUEST")
      ->allow_extra_args(false)
      ->type_name("HOST[::GUEST[:ro]]");
  run->add_option("--env", envs,
                  "an environment variable for the guest, which "
                  "sees only these (NAME alone: weft's own value). Repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE");
  run->add_option("--max-memory", max_memory,
                  "most bytes any linear memory may have: 65536, "
                  "64KiB, 16MiB, 1GiB (K/M/G are powers of 1024). "
                  "memory.grow beyond it returns -1; a module that starts "
                  "larger does not instantiate")
      ->type_name("SIZE");
  run->add_option("--timeout", timeout,
                  "interrupt the guest after 500ms, 2s, 1m, ...: "
                  "\"error: trap: interrupted (timeout 2s expired)\"; a guest "
                  "blocked in a host call (sleep, read) is ended 100 ms later "
                  "with the same message")
      ->type_name("DURATION");
  run->add_option("--invoke", run_options.invoke,
                  "call export NAME instead of _start; ARGS are its "
                  "arguments, parsed by its parameter types, and its results "
                  "are printed")
      ->type_name("NAME");
  run->add_option("--tier", run_options.tier,
                  "execution tier: auto (default: compiled code from the "
                  "compile cache when it is there, else the interpreter while "
                  "a background process compiles it for the next run), "
                  "compiled (LLVM; compile now on a cache miss) "
                  "or interp. A .cwasm file always runs its compiled code. "
                  "Cache: $WEFT_CACHE_DIR, $XDG_CACHE_HOME/weft or "
                  "~/.cache/weft; WEFT_CACHE=off disables it")
      ->capture_default_str();
  // Everything from the module file on belongs to the guest, options
  // included: CLI11's prefix-command mode leaves it all unparsed.
  run->prefix_command();
  run->footer(
      "Options go before the module; everything after it goes to the "
      "program (its argv[1..]; argv[0] is the module path as given) or, "
      "with --invoke, to the function.\n"
      "The module may be binary (.wasm) or text (.wat, or any file not "
      "starting with a NUL byte).\n"
      "WASI: the guest gets wasi_snapshot_preview1 with weft's stdin, stdout "
      "and stderr, the --dir directories, the --env variables and its "
      "arguments, nothing else; any other import is a link error.\n"
      "Exit status: the program's own (0 when _start returns, N for "
      "proc_exit(N)); 134 when it traps (\"error: trap: <reason>\" on "
      "stderr, as wasmtime does); 1 for an invalid module, a link error, or "
      "a trap under --invoke; 2 for bad usage.\n"
      "--invoke values: i32/i64 as decimal (signed or unsigned) or 0x hex; "
      "f32/f64 as decimal floats, nan, inf, -inf, -0, nan:0xPAYLOAD; v128 "
      "as 0x + 32 hex digits; references only as null. Results are printed "
      "one per line: integers signed decimal, floats in the shortest form "
      "that reads back exactly, v128 as 0x + 32 hex digits, references as "
      "null or ref.");

  CompileArgs compile_args;
  CLI::App* compile = app.add_subcommand(
      "compile", "Compile a module to native code ahead of time: FILE.cwasm, "
                 "which `weft run` loads without compiling (same weft build "
                 "and CPU only)");
  compile->add_option("FILE", compile_args.input, "the .wasm or .wat module")
      ->required();
  compile
      ->add_option("-o,--output", compile_args.output,
                   "the artifact to write (default: FILE with .cwasm)")
      ->type_name("FILE.cwasm");
  compile->add_flag("--cache", compile_args.into_cache,
                    "store the result into the compile cache instead "
                    "($WEFT_CACHE_DIR, else $XDG_CACHE_HOME/weft, else "
                    "~/.cache/weft), where `weft run` and `weft serve` find "
                    "it");
  compile->footer("Progress is shown on a terminal for large modules. The "
                  "artifact records the weft build, the CPU and the options; "
                  "any other weft or CPU refuses it.");

  std::string wast_path;
  WastOptions wast_options;
  CLI::App* wast = app.add_subcommand(
      "wast", "Run spec test scripts (wast2json output): one .json file, or "
              "every .json below a folder");
  wast->add_option("PATH", wast_path, "a .json script or a folder")->required();
  wast->add_flag("-v,--verbose", wast_options.verbose,
                 "print every command, spectest print output and message "
                 "mismatches");
  wast->add_option("--tier", wast_options.tier,
                   "execution tier: interp, compiled (LLVM) or "
                   "auto (compiled, interpreter for what it cannot compile)")
      ->capture_default_str();

  ServeArgs serve_args;
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve an app's functions over HTTP (WAGI); see "
               "docs/manifest.md and docs/guest-abi.md");
  serve->add_option("APP", serve_args.app,
                    "the app folder (holding weft.toml) or the manifest "
                    "file; default: the current folder");
  serve
      ->add_option("--listen", serve_args.listen,
                   "address to listen on (port 0: any free port, printed "
                   "when listening)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  serve
      ->add_option("--data-dir", serve_args.data_dir,
                   "where KV stores keep their SQLite files")
      ->type_name("DIR")
      ->capture_default_str();
  serve->add_option("--workers", serve_args.workers,
                    "worker threads (default: one per core)");
  serve
      ->add_option("--request-timeout", serve_args.request_timeout,
                   "a request must arrive whole within this time of its "
                   "first byte, else 408 (default 10s); idle keep-alive "
                   "connections are closed after it")
      ->type_name("DURATION");
  serve
      ->add_option("--tier", serve_args.tier,
                   "execution tier: auto (default: compiled code from the "
                   "cache at once, else the interpreter while it compiles in "
                   "the background; new requests then use it), compiled "
                   "(compile at start-up) or interp")
      ->capture_default_str();
  serve->add_flag("--no-access-log", serve_args.no_access_log,
                  "no log record per request (errors and guest logs are "
                  "still logged)");
  serve->add_flag("--watch", serve_args.watch,
                  "reload the app when its manifest or a module changes "
                  "(requests in flight finish on the old version; a version "
                  "that fails to load is refused and logged, the old one "
                  "keeps serving)");
  serve
      ->add_option("--admin-listen", serve_args.admin_listen,
                   "serve the admin API (docs/admin-api.md: list functions, "
                   "deploy or remove the app) on this address; requires the "
                   "bearer token in the environment variable "
                   "WEFT_ADMIN_TOKEN. Off by default")
      ->type_name("HOST:PORT");
  serve
      ->add_option("--outbound-ca", serve_args.outbound_ca,
                   "a PEM file of CA certificates that guests' outbound "
                   "https:// requests trust besides the system's")
      ->type_name("FILE");
  serve
      ->add_option("--kv-backend", serve_args.kv_backend,
                   "where KV stores live: sqlite (default: files in "
                   "--data-dir), redis://[[user]:pass@]host[:port][/db] or "
                   "nats://host:port (JetStream KV); see docs/kv.md")
      ->type_name("URL");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // --help and --version are successes; everything else is a usage error.
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (*validate) return ValidateCommand(validate_path);
  if (*compile) return CompileCommand(compile_args);
  if (*wast) return WastCommand(wast_path, wast_options);
  if (*serve) return ServeCommand(serve_args);
  if (*run) {
    std::vector<std::string> rest = run->remaining();
    if (rest.empty()) return UsageError("missing FILE.wasm");
    if (rest.front().size() > 1 && rest.front()[0] == '-')
      return UsageError("unknown option " + rest.front() +
                        " (options go before the module)");
    std::string error;
    for (const std::string& d : dirs) {
      auto p = ParseDirSpec(d, error);
      if (!p) return UsageError("--dir: " + error);
      run_options.preopens.push_back(*p);
    }
    for (const std::string& e : envs) {
      auto kv = ParseEnvSpec(e, error);
      if (!kv) return UsageError("--env: " + error);
      run_options.env.push_back(*kv);
    }
    if (!max_memory.empty()) {
      run_options.max_memory_bytes = ParseSize(max_memory, error);
      if (!run_options.max_memory_bytes)
        return UsageError("--max-memory: " + error);
    }
    if (!timeout.empty()) {
      run_options.timeout = ParseDuration(timeout, error);
      if (!run_options.timeout) return UsageError("--timeout: " + error);
      run_options.timeout_text = timeout;
    }
    run_options.module_path = rest.front();
    run_options.args.assign(rest.begin() + 1, rest.end());
    return RunCommand(run_options);
  }
  return kExitUsage;
}
