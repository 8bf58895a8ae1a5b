#include "cli/wat.h"

#include <memory>

#include <wabt/binary-writer.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

namespace weft::cli {

bool IsWatFile(const std::string& path, std::span<const uint8_t> bytes) {
  const std::string ext = ".wat";
  if (path.size() >= ext.size() &&
      path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
    return true;
  return !bytes.empty() && bytes[0] != 0;
}

namespace {

// wabt's defaults are exactly weft's feature set (WebAssembly 2.0); say so
// explicitly so a newer wabt with other defaults changes nothing here.
wabt::Features WeftFeatures() {
  wabt::Features f;
  f.enable_sign_extension();
  f.enable_sat_float_to_int();
  f.enable_multi_value();
  f.enable_bulk_memory();
  f.enable_reference_types();
  f.enable_simd();
  f.enable_mutable_globals();
  f.disable_exceptions();
  f.disable_threads();
  f.disable_tail_call();
  f.disable_memory64();
  f.disable_multi_memory();
  f.disable_function_references();
  f.disable_gc();
  return f;
}

void CollectErrors(const std::string& path, const wabt::Errors& errors,
                   std::vector<std::string>& out) {
  for (const wabt::Error& e : errors) {
    if (e.error_level != wabt::ErrorLevel::Error) continue;
    out.push_back(path + ":" + std::to_string(e.loc.line) + ":" +
                  std::to_string(e.loc.first_column) + ": error: " + e.message);
  }
}

} // namespace

WatResult WatToWasm(const std::string& path, std::span<const uint8_t> text) {
  WatResult result;
  wabt::Errors errors;
  const wabt::Features features = WeftFeatures();
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(
      path, text.data(), text.size(), &errors);
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result r =
      wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  if (wabt::Succeeded(r))
    r = wabt::ValidateModule(module.get(), &errors,
                             wabt::ValidateOptions(features));
  if (wabt::Failed(r)) {
    CollectErrors(path, errors, result.errors);
    if (result.errors.empty())
      result.errors.push_back(path + ": error: not a valid text module");
    return result;
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false,
                                         /*write_debug_names=*/false);
  if (wabt::Failed(
          wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    result.errors.push_back(path + ": error: cannot encode the module");
    return result;
  }
  result.wasm = std::move(stream.output_buffer().data);
  return result;
}

} // namespace weft::cli
