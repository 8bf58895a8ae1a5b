// The WASI 0.2.12 WIT packages, embedded at build time (wit/wasi-0.2,
// cmake/EmbedWit.cmake), loaded into a HostLinker in one Add so the
// packages' cross-references resolve whatever their order.
#include "component/wit.h"

namespace weft::component {

Result<bool> AddWasi02Wit(HostLinker& linker) {
  std::vector<wit::SourceFile> files;
  for (const EmbeddedWit& f : Wasi02WitFiles())
    files.push_back(wit::SourceFile{f.text, f.name});
  return linker.AddWitFiles(files);
}

} // namespace weft::component
