#include "cli/compile_cmd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

#include "cli/component_artifact.h"
#include "cli/component_cmd.h"
#include "cli/read_file.h"
#include "cli/run_cmd.h"
#include "cli/tier.h"
#include "cli/wat.h"
#include "component/binary.h"
#include "native/artifact.h"
#include "native/cache.h"

namespace weft::cli {
namespace {

int Fail(const std::string& path, const std::string& message) {
  std::cerr << path << ": error: " << message << "\n";
  return kExitError;
}

std::string DefaultOutput(const std::string& in) {
  std::string base = in;
  for (const char* ext : {".wasm", ".wat"}) {
    const size_t n = std::strlen(ext);
    if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) {
      base.resize(base.size() - n);
      break;
    }
  }
  return base + ".cwasm";
}

// Temporary file in the same folder, then rename(): readers never see a
// partial artifact.
bool WriteAtomically(const std::string& path, std::span<const uint8_t> bytes,
                     std::string& error) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = std::string("cannot write ") + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("cannot write ") + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = std::string("cannot write ") + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// `weft compile X.component.wasm`: every core module through the compiler,
// into one container with the component (component_artifact.h).
int CompileComponentArtifact(const std::string& path,
                             std::span<const uint8_t> bytes,
                             const std::string& out) {
  auto modules = ComponentCoreModules(bytes);
  if (!modules) {
    std::string msg = modules.error().message;
    if (modules.error().offset != kNoOffset)
      msg += " at offset " + std::to_string(modules.error().offset);
    return Fail(path, msg);
  }
  std::vector<std::vector<uint8_t>> artifacts;
  for (size_t i = 0; i < modules->size(); ++i) {
    const std::string label = path + " (core module " + std::to_string(i) + ")";
    auto artifact = CompileArtifact((*modules)[i], label, true);
    if (!artifact) return Fail(label, artifact.error().message);
    artifacts.push_back(std::move(*artifact));
  }
  auto container = WriteComponentArtifact(bytes, artifacts);
  if (!container) return Fail(path, container.error().message);
  std::string error;
  if (!WriteAtomically(out, *container, error)) return Fail(path, error);
  return kExitOk;
}

} // namespace

int CompileCommand(const CompileArgs& args) {
  const std::string& path = args.input;
  std::vector<uint8_t> bytes;
  std::string error;
  if (!ReadFileBytes(path, bytes, error)) return Fail(path, error);
  if (native::IsArtifact(bytes))
    return Fail(path, "already compiled (a weft artifact, not a module)");
  if (IsWatFile(path, bytes)) {
    WatResult wat = WatToWasm(path, bytes);
    if (!wat.errors.empty()) {
      for (const std::string& line : wat.errors)
        std::cerr << line << "\n";
      return kExitError;
    }
    bytes = std::move(wat.wasm);
  }

  if (component::IsComponentBinary(bytes)) {
    if (args.into_cache) return CompileComponentIntoCache(path, bytes);
    return CompileComponentArtifact(
        path, bytes, args.output.empty() ? DefaultOutput(path) : args.output);
  }

  if (args.into_cache) {
    CacheSettings cache = CacheFromEnv();
    if (!cache.enabled)
      return Fail(path, "the compile cache is disabled (WEFT_CACHE=off)");
    native::CompileCache cc(cache.dir);
    const std::string key = cc.Key(native::Sha256Of(bytes),
                                   CodeOptionsFor(DefaultExplicitBounds()));
    // Another process (the background compile a `weft run` started) may
    // be compiling this key: wait for it, then use its entry, or compile
    // it ourselves when it did not store one. Returning before the code is
    // in the cache would make the next run miss it.
    const int lock = cc.Lock(key);
    if (lock < 0)
      return Fail(path, "cannot use the compile cache in " + cache.dir);
    int status = kExitOk;
    if (cc.Load(key, CodeOptionsFor(DefaultExplicitBounds())).outcome !=
        native::CompileCache::Outcome::Hit) {
      auto m = CompileIntoCache(bytes, path, cache, true);
      if (!m) status = Fail(path, m.error().message);
    }
    native::CompileCache::ReleaseLock(lock);
    return status;
  }

  auto artifact = CompileArtifact(bytes, path, true);
  if (!artifact) {
    std::string msg = artifact.error().message;
    if (artifact.error().offset != kNoOffset)
      msg += " at offset " + std::to_string(artifact.error().offset);
    return Fail(path, msg);
  }
  const std::string out =
      args.output.empty() ? DefaultOutput(path) : args.output;
  if (!WriteAtomically(out, *artifact, error)) return Fail(path, error);
  return kExitOk;
}

} // namespace weft::cli
