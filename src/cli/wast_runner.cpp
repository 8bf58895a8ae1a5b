#include "cli/wast_runner.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/read_file.h"
#include "cli/tier.h"
#include "cli/wast_values.h"

namespace weft::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using wast::Expected;

enum class Outcome { Pass, Fail, Skip, Uncounted };

struct ActionResult {
  std::string error; // non-empty: the action could not be run at all
  std::optional<Trap> trap;
  std::vector<Value> values;
};

std::string TrapReason(const Trap& trap) {
  return trap.message.empty() ? TrapKindMessage(trap.kind) : trap.message;
}

// The expected trap text must be contained in ours. Scripts sometimes add
// detail we do not report ("uninitialized element 2" for our "uninitialized
// element"), so an expected text that extends ours by a space-separated
// suffix also matches.
bool TrapTextMatches(const std::string& actual, const std::string& expected) {
  if (actual.find(expected) != std::string::npos) return true;
  return expected.size() > actual.size() &&
         expected.compare(0, actual.size(), actual) == 0 &&
         expected[actual.size()] == ' ';
}

Error LinkError(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string StringField(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string())
    return j[key].get<std::string>();
  return "";
}

std::string DescribeValues(const std::vector<Value>& values,
                           const std::vector<Expected>* shapes = nullptr) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ", ";
    const Expected* shape =
        shapes && i < shapes->size() ? &(*shapes)[i] : nullptr;
    s += wast::DescribeGot(values[i], shape);
  }
  return s + ")";
}

// The state of one script: its Store, the spectest module, named and
// registered instances.
class ScriptRun {
public:
  ScriptRun(const Engine& engine, const WastCompileFn& compile,
            const WastOptions& options, std::ostream& out, std::string source,
            fs::path base_dir)
      : compile_(compile), options_(options), out_(out),
        source_(std::move(source)), base_dir_(std::move(base_dir)),
        store_(engine) {
    CreateSpectest();
  }

  WastCounts Run(const json& commands) {
    for (const json& cmd : commands) {
      std::string detail;
      Outcome outcome;
      try {
        outcome = RunCommand(cmd, detail);
      } catch (const json::exception& e) {
        outcome = Outcome::Fail;
        detail = std::string("malformed command: ") + e.what();
      }
      Report(cmd, outcome, detail);
    }
    return counts_;
  }

private:
  void CreateSpectest() {
    auto print = [this](const char* name, std::vector<ValType> params) {
      FuncType type{std::move(params), {}};
      std::string label = std::string("spectest.") + name;
      spectest_[name] =
          Extern{ExternKind::Func,
                 store_.CreateHostFunc(
                     type,
                     [this, label](Store&, std::span<const Value> args,
                                   std::span<Value>) -> std::optional<Trap> {
                       if (options_.verbose) {
                         std::vector<Value> v(args.begin(), args.end());
                         out_ << label << DescribeValues(v) << "\n";
                       }
                       return std::nullopt;
                     })};
    };
    print("print", {});
    print("print_i32", {ValType::I32});
    print("print_i64", {ValType::I64});
    print("print_f32", {ValType::F32});
    print("print_f64", {ValType::F64});
    print("print_i32_f32", {ValType::I32, ValType::F32});
    print("print_f64_f64", {ValType::F64, ValType::F64});
    auto global = [this](const char* name, ValType t, const Value& v) {
      spectest_[name] = Extern{ExternKind::Global,
                               store_.CreateGlobal(GlobalType{t, false}, v)};
    };
    global("global_i32", ValType::I32, Value::I32(666));
    global("global_i64", ValType::I64, Value::I64(666));
    global("global_f32", ValType::F32, Value::F32(666.6f));
    global("global_f64", ValType::F64, Value::F64(666.6));
    spectest_["table"] =
        Extern{ExternKind::Table,
               store_.CreateTable(TableType{ValType::FuncRef, Limits{10, 20}})};
    spectest_["memory"] = Extern{ExternKind::Memory,
                                 store_.CreateMemory(MemoryType{Limits{1, 2}})};
  }

  void Report(const json& cmd, Outcome outcome, const std::string& detail) {
    switch (outcome) {
    case Outcome::Pass: ++counts_.passed; break;
    case Outcome::Fail: ++counts_.failed; break;
    case Outcome::Skip: ++counts_.skipped; break;
    case Outcome::Uncounted: break;
    }
    if (outcome != Outcome::Fail && !options_.verbose) return;
    std::string line = source_ + ":";
    if (cmd.is_object() && cmd.contains("line") && cmd["line"].is_number())
      line += std::to_string(cmd["line"].get<int64_t>()) + ":";
    line += " " + Label(cmd) + ": ";
    switch (outcome) {
    case Outcome::Fail: line += "FAILED: " + detail; break;
    case Outcome::Skip: line += "skipped"; break;
    default: line += "ok"; break;
    }
    if (outcome != Outcome::Fail && !detail.empty())
      line += " (" + detail + ")";
    out_ << line << "\n";
  }

  // "assert_return $M.add(i32 1, i32 2)", "module binary.2.wasm".
  std::string Label(const json& cmd) {
    std::string type = StringField(cmd, "type");
    if (cmd.is_object() && cmd.contains("action"))
      return type + " " + DescribeAction(cmd["action"]);
    std::string s = type;
    if (std::string name = StringField(cmd, "name"); !name.empty())
      s += " " + name;
    if (std::string file = StringField(cmd, "filename"); !file.empty())
      s += " " + file;
    if (std::string as = StringField(cmd, "as"); !as.empty())
      s += " as " + Quote(as);
    return s;
  }

  std::string DescribeAction(const json& action) {
    std::string s;
    if (std::string m = StringField(action, "module"); !m.empty()) s = m + ".";
    s += StringField(action, "field");
    if (StringField(action, "type") == "get") return "get " + s;
    s += "(";
    if (action.contains("args") && action["args"].is_array()) {
      bool first = true;
      for (const json& a : action["args"]) {
        if (!first) s += ", ";
        first = false;
        Value v;
        std::string err;
        s += wast::ParseArg(a, v, err) ? wast::DescribeGot(v) : a.dump();
      }
    }
    return s + ")";
  }

  Outcome RunCommand(const json& cmd, std::string& detail) {
    const std::string type = StringField(cmd, "type");
    if (type == "module") return DoModule(cmd, detail);
    if (type == "register") return DoRegister(cmd, detail);
    if (type == "action") {
      ActionResult r = DoAction(cmd.at("action"));
      if (!r.error.empty()) return Fail(detail, r.error);
      if (r.trap) return Fail(detail, "trap: " + TrapReason(*r.trap));
      return Outcome::Pass;
    }
    if (type == "assert_return") return DoAssertReturn(cmd, detail);
    if (type == "assert_trap" || type == "assert_exhaustion")
      return DoAssertTrap(cmd, detail);
    if (type == "assert_invalid" || type == "assert_malformed")
      return DoAssertInvalid(cmd, detail);
    if (type == "assert_unlinkable") return DoAssertUnlinkable(cmd, detail);
    if (type == "assert_uninstantiable")
      return DoAssertUninstantiable(cmd, detail);
    if (type.rfind("assert_", 0) == 0)
      return Fail(detail, "unsupported command type");
    detail = "unsupported command ignored";
    return Outcome::Uncounted;
  }

  static Outcome Fail(std::string& detail, std::string why) {
    detail = std::move(why);
    return Outcome::Fail;
  }

  // Reads and compiles the command's "filename".
  std::shared_ptr<const CompiledModule>
  Compile(const json& cmd, std::string& error, bool& read_failed) {
    read_failed = false;
    std::string file = StringField(cmd, "filename");
    std::vector<uint8_t> bytes;
    if (file.empty() ||
        !ReadFileBytes((base_dir_ / file).string(), bytes, error)) {
      if (file.empty())
        error = "command names no module file";
      else
        error = file + ": " + error;
      read_failed = true;
      return nullptr;
    }
    auto compiled = compile_(bytes);
    if (!compiled) {
      error = compiled.error().message;
      return nullptr;
    }
    return std::move(compiled).value();
  }

  // Resolves imports by (module, field) and instantiates.
  InstantiateResult Instantiate(std::shared_ptr<const CompiledModule> module) {
    std::vector<Extern> imports;
    for (const Import& imp : module->module().imports) {
      std::optional<Extern> ext = LookupImport(imp.module, imp.name);
      InstantiateResult fail;
      if (!ext) {
        fail.link_error = LinkError("unknown import " + Quote(imp.module) +
                                    " " + Quote(imp.name));
        return fail;
      }
      if (ext->kind != imp.kind) {
        fail.link_error = LinkError("incompatible import type for " +
                                    Quote(imp.module) + " " + Quote(imp.name) +
                                    ": expected " + ExternKindName(imp.kind) +
                                    ", got " + ExternKindName(ext->kind));
        return fail;
      }
      imports.push_back(*ext);
    }
    return store_.Instantiate(std::move(module), imports);
  }

  std::optional<Extern> LookupImport(const std::string& module,
                                     const std::string& field) {
    if (auto it = registered_.find(module); it != registered_.end())
      return it->second->GetExport(field);
    if (module == "spectest") {
      if (auto it = spectest_.find(field); it != spectest_.end())
        return it->second;
    }
    return std::nullopt;
  }

  Outcome DoModule(const json& cmd, std::string& detail) {
    const std::string name = StringField(cmd, "name");
    current_ = nullptr;
    if (!name.empty()) named_.erase(name);
    std::string error;
    bool read_failed;
    auto compiled = Compile(cmd, error, read_failed);
    if (!compiled)
      return Fail(detail, read_failed ? error : "cannot compile: " + error);
    InstantiateResult r = Instantiate(std::move(compiled));
    if (r.link_error)
      return Fail(detail, "link error: " + r.link_error->message);
    if (r.trap) return Fail(detail, "trap: " + TrapReason(*r.trap));
    current_ = r.instance;
    if (!name.empty()) named_[name] = r.instance;
    return Outcome::Uncounted;
  }

  Outcome DoRegister(const json& cmd, std::string& detail) {
    std::string error;
    Instance* inst = FindInstance(StringField(cmd, "name"), error);
    if (!inst) return Fail(detail, error);
    registered_[cmd.at("as").get<std::string>()] = inst;
    return Outcome::Uncounted;
  }

  Instance* FindInstance(const std::string& name, std::string& error) {
    if (name.empty()) {
      if (!current_) error = "no module is instantiated";
      return current_;
    }
    auto it = named_.find(name);
    if (it == named_.end()) {
      error = "no module named " + name;
      return nullptr;
    }
    return it->second;
  }

  ActionResult DoAction(const json& action) {
    ActionResult r;
    Instance* inst = FindInstance(StringField(action, "module"), r.error);
    if (!inst) return r;
    const std::string field = action.at("field").get<std::string>();
    std::optional<Extern> ext = inst->GetExport(field);
    if (!ext) {
      r.error = "no export " + Quote(field);
      return r;
    }
    const std::string type = StringField(action, "type");
    if (type == "get") {
      if (ext->kind != ExternKind::Global) {
        r.error = "export " + Quote(field) + " is not a global";
        return r;
      }
      r.values.push_back(ext->global()->Get());
      return r;
    }
    if (type != "invoke") {
      r.error = "unknown action type " + Quote(type);
      return r;
    }
    if (ext->kind != ExternKind::Func) {
      r.error = "export " + Quote(field) + " is not a function";
      return r;
    }
    FuncInst* func = ext->func();
    std::vector<Value> args;
    if (action.contains("args")) {
      for (const json& a : action["args"]) {
        Value v;
        if (!wast::ParseArg(a, v, r.error)) return r;
        args.push_back(v);
      }
    }
    const FuncType& ft = func->type();
    bool types_match = args.size() == ft.params.size();
    for (size_t i = 0; types_match && i < args.size(); ++i)
      types_match = args[i].type == ft.params[i];
    if (!types_match) {
      r.error = "arguments " + DescribeValues(args) +
                " do not match the function's type " + ft.ToString();
      return r;
    }
    CallResult call = store_.Call(func, args);
    r.trap = std::move(call.trap);
    r.values = std::move(call.results);
    return r;
  }

  Outcome DoAssertReturn(const json& cmd, std::string& detail) {
    std::vector<Expected> expected;
    for (const json& e : cmd.at("expected")) {
      Expected x;
      std::string error;
      if (!wast::ParseExpected(e, x, error)) return Fail(detail, error);
      expected.push_back(std::move(x));
    }
    ActionResult r = DoAction(cmd.at("action"));
    if (!r.error.empty()) return Fail(detail, r.error);
    if (r.trap) return Fail(detail, "trap: " + TrapReason(*r.trap));
    bool ok = r.values.size() == expected.size();
    for (size_t i = 0; ok && i < expected.size(); ++i)
      ok = wast::Matches(expected[i], r.values[i]);
    if (ok) return Outcome::Pass;
    std::string want = "(";
    for (size_t i = 0; i < expected.size(); ++i)
      want += (i ? ", " : "") + wast::DescribeExpected(expected[i]);
    want += ")";
    return Fail(detail, "expected " + want + ", got " +
                            DescribeValues(r.values, &expected));
  }

  Outcome DoAssertTrap(const json& cmd, std::string& detail) {
    const std::string text = StringField(cmd, "text");
    ActionResult r = DoAction(cmd.at("action"));
    if (!r.error.empty()) return Fail(detail, r.error);
    if (!r.trap)
      return Fail(detail, "expected trap " + Quote(text) + ", got " +
                              DescribeValues(r.values));
    const std::string reason = TrapReason(*r.trap);
    if (!TrapTextMatches(reason, text))
      return Fail(detail, "expected trap " + Quote(text) + ", got trap " +
                              Quote(reason));
    return Outcome::Pass;
  }

  void CheckMessage(const std::string& got, const std::string& expected,
                    std::string& detail) {
    if (got.find(expected) != std::string::npos) return;
    ++counts_.message_mismatches;
    detail =
        "message mismatch: expected " + Quote(expected) + ", got " + Quote(got);
  }

  Outcome DoAssertInvalid(const json& cmd, std::string& detail) {
    if (StringField(cmd, "module_type") == "text") return Outcome::Skip;
    std::string error;
    bool read_failed;
    auto compiled = Compile(cmd, error, read_failed);
    if (read_failed) return Fail(detail, error);
    const std::string text = StringField(cmd, "text");
    if (compiled)
      return Fail(detail, "module compiled, expected error " + Quote(text));
    CheckMessage(error, text, detail);
    return Outcome::Pass;
  }

  Outcome DoAssertUnlinkable(const json& cmd, std::string& detail) {
    std::string error;
    bool read_failed;
    auto compiled = Compile(cmd, error, read_failed);
    if (!compiled)
      return Fail(detail, read_failed ? error : "cannot compile: " + error);
    InstantiateResult r = Instantiate(std::move(compiled));
    const std::string text = StringField(cmd, "text");
    if (r.link_error) {
      CheckMessage(r.link_error->message, text, detail);
      return Outcome::Pass;
    }
    if (r.trap)
      return Fail(detail, "expected link error " + Quote(text) + ", got trap " +
                              Quote(TrapReason(*r.trap)));
    return Fail(detail, "module linked, expected link error " + Quote(text));
  }

  Outcome DoAssertUninstantiable(const json& cmd, std::string& detail) {
    std::string error;
    bool read_failed;
    auto compiled = Compile(cmd, error, read_failed);
    if (!compiled)
      return Fail(detail, read_failed ? error : "cannot compile: " + error);
    InstantiateResult r = Instantiate(std::move(compiled));
    const std::string text = StringField(cmd, "text");
    if (r.link_error)
      return Fail(detail, "expected trap " + Quote(text) + ", got link error " +
                              Quote(r.link_error->message));
    if (!r.trap)
      return Fail(detail, "module instantiated, expected trap " + Quote(text));
    const std::string reason = TrapReason(*r.trap);
    if (!TrapTextMatches(reason, text))
      return Fail(detail, "expected trap " + Quote(text) + ", got trap " +
                              Quote(reason));
    return Outcome::Pass;
  }

  const WastCompileFn& compile_;
  const WastOptions& options_;
  std::ostream& out_;
  std::string source_;
  fs::path base_dir_;
  Store store_;
  std::map<std::string, Extern> spectest_;
  std::map<std::string, Instance*> registered_; // by "as" name
  std::map<std::string, Instance*> named_;      // by "$name"
  Instance* current_ = nullptr;
  WastCounts counts_;
};

} // namespace

std::string WastCounts::Summary() const {
  std::string s =
      std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (skipped) s += ", " + std::to_string(skipped) + " skipped";
  return s;
}

WastRunner::WastRunner(const Engine& engine, WastCompileFn compile,
                       WastOptions options)
    : engine_(engine), compile_(std::move(compile)), options_(options) {}

WastRunner::WastRunner(const Engine& engine, WastOptions options)
    : WastRunner(
          engine,
          [&engine](std::span<const uint8_t> bytes) {
            return CompileModule(engine, bytes);
          },
          options) {}

WastCounts WastRunner::RunFile(const fs::path& json_path, std::ostream& out) {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!ReadFileBytes(json_path.string(), bytes, error)) {
    out << json_path.string() << ": error: " << error << "\n";
    WastCounts c;
    c.failed = 1;
    return c;
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                        bytes.size());
  return RunText(text, json_path.parent_path(), json_path.string(), out);
}

WastCounts WastRunner::RunText(std::string_view json_text,
                               const fs::path& base_dir,
                               std::string_view display_name,
                               std::ostream& out) {
  json script = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (script.is_discarded() || !script.is_object() ||
      !script.contains("commands") || !script["commands"].is_array()) {
    out << display_name << ": error: not a spec-JSON script\n";
    WastCounts c;
    c.failed = 1;
    return c;
  }
  std::string source = StringField(script, "source_filename");
  if (source.empty()) source = std::string(display_name);
  ScriptRun run(engine_, compile_, options_, out, source, base_dir);
  return run.Run(script["commands"]);
}

int WastCommand(const std::string& path, const WastOptions& options) {
  Engine engine;
  const std::optional<Tier> tier = ParseTier(options.tier);
  if (!tier) {
    std::cerr << "error: unknown tier \"" << options.tier
              << "\" (interp, compiled, auto)\n";
    return 2;
  }
  WastRunner runner(
      engine,
      [&engine, t = *tier](std::span<const uint8_t> bytes) {
        return CompileForTier(engine, bytes, t);
      },
      options);
  WastCounts total;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && it->path().extension() == ".json")
        files.push_back(it->path());
    }
    if (ec) {
      std::cerr << path << ": error: " << ec.message() << "\n";
      return 1;
    }
    if (files.empty()) {
      std::cerr << path << ": error: no .json scripts found\n";
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      if (options.verbose) std::cout << "== " << f.string() << "\n";
      WastCounts c = runner.RunFile(f, std::cout);
      if (c.failed) std::cout << f.string() << ": " << c.Summary() << "\n";
      total += c;
    }
  } else {
    total = runner.RunFile(path, std::cout);
  }
  if (options.verbose)
    std::cout << "message mismatches: " << total.message_mismatches << "\n";
  std::cout << total.Summary() << "\n";
  std::cout.flush();
  return total.failed == 0 ? 0 : 1;
}

} // namespace weft::cli
