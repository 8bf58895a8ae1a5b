// libFuzzer target: arbitrary bytes as a WIT file, parsed and resolved
// alone and on top of the embedded wasi:io package (so `use` across
// packages is reached). Bad input must only ever produce an Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "component/wit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::component;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wit::Options opts;
  opts.all_features = size % 2 == 1;
  wit::Resolve alone(opts);
  (void)alone.AddFile(text, "fuzz.wit");
  wit::Resolve with_io(opts);
  auto files = Wasi02WitFiles();
  if (!with_io.AddFile(files[0].text, files[0].name).ok()) __builtin_trap();
  auto r = with_io.AddFile(text, "fuzz.wit");
  if (r.ok()) {
    // Everything made must print without running off the arena, and what
    // PackageText prints must parse back.
    for (const auto& f : with_io.arena().funcs)
      (void)with_io.FuncText(f);
    std::vector<std::string> texts;
    for (uint32_t p : *r)
      texts.push_back(with_io.PackageText(p));
    std::vector<wit::SourceFile> printed;
    for (const std::string& t : texts)
      printed.push_back(wit::SourceFile{t, "printed.wit"});
    wit::Resolve again(opts);
    if (!again.AddFile(files[0].text, files[0].name).ok()) __builtin_trap();
    if (!again.Add(printed).ok()) __builtin_trap();
  }
  return 0;
}
