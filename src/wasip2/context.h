// The state of one component instance's WASI 0.2 host, as plain C++:
// args, env, cwd, preopens, stdio, and a table of host objects (streams,
// pollables, descriptors, directory-entry streams, errors, the network)
// named by `rep`, the number the canonical ABI hands back to host
// functions for the guest's own/borrow handles.
//
// Every operation here is what one WASI 0.2 function does; bind_*.cpp only
// convert Vals. A child resource (a stream of a descriptor, the pollable
// of a stream) shares ownership of what it uses, so dropping the parent
// first is harmless.
//
// Blocking operations wait in slices and give up with an "interrupted"
// trap once the Store is interrupted (weft's --timeout), as preview1's
// poll_oneoff does.
#pragma once

#include <cstdint>
#include <dirent.h>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/runtime.h"
#include "wasi/sandbox_path.h"
#include "wasip2/wasip2.h"
#include "wasm/result.h"

namespace weft::wasip2 {

using wasi::UniqueFd;

// wasi:filesystem/types.error-code, in WIT order (the enum's case index).
enum class FsError : uint8_t {
  kAccess,
  kWouldBlock,
  kAlready,
  kBadDescriptor,
  kBusy,
  kDeadlock,
  kQuota,
  kExist,
  kFileTooLarge,
  kIllegalByteSequence,
  kInProgress,
  kInterrupted,
  kInvalid,
  kIo,
  kIsDirectory,
  kLoop,
  kTooManyLinks,
  kMessageSize,
  kNameTooLong,
  kNoDevice,
  kNoEntry,
  kNoLock,
  kInsufficientMemory,
  kInsufficientSpace,
  kNotDirectory,
  kNotEmpty,
  kNotRecoverable,
  kUnsupported,
  kNoTty,
  kNoSuchDevice,
  kOverflow,
  kNotPermitted,
  kPipe,
  kReadOnly,
  kInvalidSeek,
  kTextFileBusy,
  kCrossDevice,
};
const char* FsErrorName(FsError e); // "not-permitted"
FsError FsErrorFromHost(int host_errno);
// The sandbox resolver's errors: EXDEV means "would leave the preopen".
FsError FsErrorFromResolve(int host_errno);

// wasi:filesystem/types.descriptor-type, in WIT order.
enum class DescType : uint8_t {
  kUnknown,
  kBlockDevice,
  kCharacterDevice,
  kDirectory,
  kFifo,
  kSymbolicLink,
  kRegularFile,
  kSocket,
};
DescType DescTypeFromMode(unsigned mode);

// wasi:filesystem/types.descriptor-flags bits.
namespace dflag {
inline constexpr uint32_t kRead = 1u << 0;
inline constexpr uint32_t kWrite = 1u << 1;
inline constexpr uint32_t kFileIntegritySync = 1u << 2;
inline constexpr uint32_t kDataIntegritySync = 1u << 3;
inline constexpr uint32_t kRequestedWriteSync = 1u << 4;
inline constexpr uint32_t kMutateDirectory = 1u << 5;
inline constexpr uint32_t kAll = (1u << 6) - 1;
} // namespace dflag
// open-flags bits.
namespace oflag {
inline constexpr uint32_t kCreate = 1u << 0;
inline constexpr uint32_t kDirectory = 1u << 1;
inline constexpr uint32_t kExclusive = 1u << 2;
inline constexpr uint32_t kTruncate = 1u << 3;
inline constexpr uint32_t kAll = (1u << 4) - 1;
} // namespace oflag
inline constexpr uint32_t kPathSymlinkFollow = 1u << 0; // path-flags

enum class ObjKind : uint8_t {
  kError,
  kPollable,
  kInputStream,
  kOutputStream,
  kDescriptor,
  kDirStream,
  kNetwork,
  kNeverIssued, // terminals, sockets: never handed out, their drops free
                // nothing
};
const char* ObjKindName(ObjKind k); // the WIT resource name

struct Object {
  explicit Object(ObjKind k) : kind(k) {}
  virtual ~Object() = default;
  const ObjKind kind;
};

// wasi:io/error.error: a message, and the filesystem error-code when the
// failed operation was a file's (filesystem-error-code).
struct ErrorObj : Object {
  static constexpr ObjKind kKind = ObjKind::kError;
  ErrorObj() : Object(kKind) {}
  std::string message;
  std::optional<FsError> code;
};

// Bytes and end-of-input of the in-memory stdin, or the sink of an output.
struct StdioSource;
struct StdioSink;

struct PollableObj : Object {
  static constexpr ObjKind kKind = ObjKind::kPollable;
  PollableObj() : Object(kKind) {}
  enum class Type : uint8_t { kReady, kDeadline, kFdRead, kFdWrite };
  Type type = Type::kReady;
  uint64_t deadline = 0; // kDeadline: CLOCK_MONOTONIC ns
  int fd = -1;           // kFdRead / kFdWrite, kept open by `keep`
  std::shared_ptr<void> keep;
};

struct InputStreamObj : Object {
  static constexpr ObjKind kKind = ObjKind::kInputStream;
  InputStreamObj() : Object(kKind) {}
  enum class Src : uint8_t { kStdin, kFile };
  Src src = Src::kStdin;
  std::shared_ptr<StdioSource> stdin_src; // kStdin
  std::shared_ptr<UniqueFd> file;         // kFile: read at `offset`
  uint64_t offset = 0;
  bool closed = false;
};

struct OutputStreamObj : Object {
  static constexpr ObjKind kKind = ObjKind::kOutputStream;
  OutputStreamObj() : Object(kKind) {}
  enum class Dst : uint8_t { kStdio, kFile, kAppend };
  Dst dst = Dst::kStdio;
  std::shared_ptr<StdioSink> sink; // kStdio
  std::shared_ptr<UniqueFd> file;  // kFile (at `offset`) / kAppend
  uint64_t offset = 0;
  bool closed = false;
};

struct DescriptorObj : Object {
  static constexpr ObjKind kKind = ObjKind::kDescriptor;
  DescriptorObj() : Object(kKind) {}
  std::shared_ptr<UniqueFd> fd;
  DescType type = DescType::kUnknown;
  uint32_t flags = 0; // dflag bits this descriptor may use
};

struct DirStreamObj : Object {
  static constexpr ObjKind kKind = ObjKind::kDirStream;
  DirStreamObj() : Object(kKind) {}
  ~DirStreamObj() override;
  DIR* dir = nullptr;
};

struct NetworkObj : Object {
  static constexpr ObjKind kKind = ObjKind::kNetwork;
  NetworkObj() : Object(kKind) {}
};

// How an operation failed: a stream error (`closed`, or
// last-operation-failed with an error resource made of `message` and
// `code`), a filesystem error-code, or a trap that ends the guest
// (interrupted, output limit, resource limit).
struct Failure {
  enum class Kind : uint8_t { kFailed, kClosed, kTrap };
  Kind kind = Kind::kFailed;
  FsError code = FsError::kIo;
  std::string message;
  std::optional<Trap> trap;

  static Failure Closed() { return {Kind::kClosed, FsError::kIo, "", {}}; }
  static Failure Code(FsError c, std::string msg = "") {
    return {Kind::kFailed, c, std::move(msg), {}};
  }
  static Failure Host(int host_errno);
  static Failure Trapped(Trap t) {
    return {Kind::kTrap, FsError::kIo, "", std::move(t)};
  }
};

template <typename T> class [[nodiscard]] Outcome {
public:
  Outcome(T v) : v_(std::move(v)) {}       // NOLINT: implicit by design
  Outcome(Failure f) : v_(std::move(f)) {} // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

private:
  std::variant<T, Failure> v_;
};
struct Unit {};

struct DirEntry {
  DescType type = DescType::kUnknown;
  std::string name;
};

struct Datetime {
  uint64_t seconds = 0;
  uint32_t nanoseconds = 0;
};

struct DescStat {
  DescType type = DescType::kUnknown;
  uint64_t link_count = 0;
  uint64_t size = 0;
  Datetime atime, mtime, ctime;
};

// set-times' new-timestamp: no-change, now, or a time.
struct NewTime {
  enum class Kind : uint8_t { kNoChange, kNow, kTime } kind = Kind::kNoChange;
  Datetime time;
};

class WasiP2Context {
public:
  // Opens the preopens (each must be a directory) and duplicates the stdio
  // fds.
  static Result<std::shared_ptr<WasiP2Context>>
  Create(const WasiP2Options& options);
  ~WasiP2Context();
  WasiP2Context(const WasiP2Context&) = delete;
  WasiP2Context& operator=(const WasiP2Context&) = delete;

  const WasiP2Options& options() const { return options_; }

  // Back to the state Create left, to run another guest in a reused
  // instance (weft serve): every host object freed, in-memory stdin
  // rewound to empty, in-memory outputs emptied, output limits full again.
  // Host stdio fds and preopens stay open as they are.
  void Reset();

  // --- the resource table -------------------------------------------------
  // A new object's rep, or a trap when the guest holds max_resources
  // already.
  Outcome<uint32_t> Add(std::unique_ptr<Object> obj);
  Object* Find(uint32_t rep) const;
  template <typename T> T* Get(uint32_t rep) const {
    Object* o = Find(rep);
    return o && o->kind == T::kKind ? static_cast<T*>(o) : nullptr;
  }
  // Frees the object; false when `rep` is not a live object of `kind`.
  bool Drop(uint32_t rep, ObjKind kind);
  size_t live() const { return live_; }
  // A trap for a rep that names nothing of `kind` (a dropped handle).
  static Trap BadRep(ObjKind kind, uint32_t rep);

  // An error resource for a failed stream operation.
  Outcome<uint32_t> NewError(const Failure& f);

  // --- wasi:cli -------------------------------------------------------------
  const std::vector<std::string>& args() const { return options_.config.args; }
  const std::vector<std::pair<std::string, std::string>>& env() const {
    return options_.config.env;
  }
  const std::optional<std::string>& initial_cwd() const {
    return options_.initial_cwd;
  }
  Outcome<uint32_t> GetStdin();
  Outcome<uint32_t> GetStdout();
  Outcome<uint32_t> GetStderr();
  // In-memory stdio (WasiConfig::memory_stdio): fd 0's input, 1 and 2's
  // output; null otherwise.
  std::string* MemoryStdio(int stdio_fd);
  // Whether stdout (1) or stderr (2) hit its output limit.
  bool OutputLimitReached(int stdio_fd) const;

  // --- wasi:random / clocks -------------------------------------------------
  Outcome<std::string> RandomBytes(uint64_t len);
  uint64_t RandomU64();
  std::pair<uint64_t, uint64_t> InsecureSeed() const { return seed_; }
  static uint64_t MonotonicNow();
  static uint64_t MonotonicResolution();
  static Datetime WallNow();
  static Datetime WallResolution();
  Outcome<uint32_t> SubscribeInstant(uint64_t when);
  Outcome<uint32_t> SubscribeDuration(uint64_t ns);

  // --- wasi:io --------------------------------------------------------------
  bool PollableReady(const PollableObj& p) const;
  // Waits until the pollable is ready (trap: interrupted).
  std::optional<Trap> Block(const Store& store, const PollableObj& p);
  // Waits until at least one is ready; the indices of the ready ones. An
  // empty list traps, as the spec says.
  Outcome<std::vector<uint32_t>> Poll(const Store& store,
                                      const std::vector<uint32_t>& reps);

  Outcome<std::string> Read(InputStreamObj& s, uint64_t len);
  Outcome<std::string> BlockingRead(const Store& store, InputStreamObj& s,
                                    uint64_t len);
  Outcome<uint64_t> Skip(InputStreamObj& s, uint64_t len);
  Outcome<uint64_t> BlockingSkip(const Store& store, InputStreamObj& s,
                                 uint64_t len);
  Outcome<uint32_t> SubscribeInput(const InputStreamObj& s);

  Outcome<uint64_t> CheckWrite(OutputStreamObj& s);
  Outcome<Unit> Write(const Store& store, OutputStreamObj& s,
                      std::string_view data);
  Outcome<Unit> Flush(OutputStreamObj& s);
  Outcome<Unit> WriteZeroes(const Store& store, OutputStreamObj& s,
                            uint64_t len);
  Outcome<uint64_t> Splice(const Store& store, OutputStreamObj& dst,
                           InputStreamObj& src, uint64_t len, bool blocking);
  Outcome<uint32_t> SubscribeOutput(const OutputStreamObj& s);

  // --- wasi:filesystem ------------------------------------------------------
  // New descriptor objects for each preopen, with their guest names.
  Outcome<std::vector<std::pair<uint32_t, std::string>>> GetDirectories();

  Outcome<uint32_t> ReadViaStream(DescriptorObj& d, uint64_t offset);
  Outcome<uint32_t> WriteViaStream(DescriptorObj& d, uint64_t offset);
  Outcome<uint32_t> AppendViaStream(DescriptorObj& d);
  Outcome<Unit> Advise(DescriptorObj& d, uint64_t offset, uint64_t len,
                       uint32_t advice);
  Outcome<Unit> SyncData(DescriptorObj& d);
  Outcome<Unit> Sync(DescriptorObj& d);
  Outcome<Unit> SetSize(DescriptorObj& d, uint64_t size);
  Outcome<Unit> SetTimes(DescriptorObj& d, const NewTime& atime,
                         const NewTime& mtime);
  // (bytes, end of file)
  Outcome<std::pair<std::string, bool>> ReadAt(DescriptorObj& d, uint64_t len,
                                               uint64_t offset);
  Outcome<uint64_t> WriteAt(DescriptorObj& d, std::string_view data,
                            uint64_t offset);
  Outcome<uint32_t> ReadDirectory(DescriptorObj& d);
  Outcome<std::optional<DirEntry>> ReadDirectoryEntry(DirStreamObj& s);
  Outcome<DescStat> Stat(DescriptorObj& d);
  Outcome<DescStat> StatAt(DescriptorObj& d, uint32_t path_flags,
                           std::string_view path);
  Outcome<Unit> SetTimesAt(DescriptorObj& d, uint32_t path_flags,
                           std::string_view path, const NewTime& atime,
                           const NewTime& mtime);
  Outcome<Unit> LinkAt(DescriptorObj& d, uint32_t old_flags,
                       std::string_view old_path, DescriptorObj& new_dir,
                       std::string_view new_path);
  Outcome<uint32_t> OpenAt(DescriptorObj& d, uint32_t path_flags,
                           std::string_view path, uint32_t open_flags,
                           uint32_t flags);
  Outcome<std::string> ReadlinkAt(DescriptorObj& d, std::string_view path);
  Outcome<Unit> CreateDirectoryAt(DescriptorObj& d, std::string_view path);
  Outcome<Unit> RemoveDirectoryAt(DescriptorObj& d, std::string_view path);
  Outcome<Unit> RenameAt(DescriptorObj& d, std::string_view old_path,
                         DescriptorObj& new_dir, std::string_view new_path);
  Outcome<Unit> SymlinkAt(DescriptorObj& d, std::string_view target,
                          std::string_view new_path);
  Outcome<Unit> UnlinkFileAt(DescriptorObj& d, std::string_view path);
  bool IsSameObject(DescriptorObj& a, DescriptorObj& b);
  Outcome<std::pair<uint64_t, uint64_t>> MetadataHash(DescriptorObj& d);
  Outcome<std::pair<uint64_t, uint64_t>>
  MetadataHashAt(DescriptorObj& d, uint32_t path_flags, std::string_view path);

private:
  explicit WasiP2Context(const WasiP2Options& options);
  Outcome<uint32_t> NewOutput(const std::shared_ptr<StdioSink>& sink);
  Outcome<std::string> ReadSome(InputStreamObj& s, uint64_t len, bool* ready);
  Outcome<Unit> WriteAll(const Store* store, OutputStreamObj& s,
                         std::string_view data);
  Outcome<bool> WaitFd(const Store& store, int fd, short events);
  // Descriptors and directory streams hold host fds: at most max_fds.
  bool FdBudgetLeft() const;

  WasiP2Options options_;
  wasi::SandboxResolver resolver_;
  struct Preopen {
    std::shared_ptr<UniqueFd> fd;
    std::string guest_path;
    bool read_only = true;
  };
  std::vector<Preopen> preopens_;
  std::shared_ptr<StdioSource> stdin_;
  std::shared_ptr<StdioSink> stdout_, stderr_;
  std::pair<uint64_t, uint64_t> seed_;
  uint64_t insecure_state_ = 0;

  std::vector<std::unique_ptr<Object>> slots_; // rep = index + 1
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

} // namespace weft::wasip2
