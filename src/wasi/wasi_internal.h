// Internals of the WASI layer shared by its source files: the fd table, the
// per-call context handed to every handler, and the handler declarations.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/uio.h>
#include <utility>
#include <vector>

#include "runtime/runtime.h"
#include "wasi/guest_memory.h"
#include "wasi/sandbox_path.h"
#include "wasi/wasi.h"
#include "wasi/wasi_abi.h"

namespace weft::wasi {

// Rights that make sense for each kind of fd.
namespace rights {
inline constexpr Rights kRegularFile =
    right::kFdDatasync | right::kFdRead | right::kFdSeek |
    right::kFdFdstatSetFlags | right::kFdSync | right::kFdTell |
    right::kFdWrite | right::kFdAdvise | right::kFdAllocate |
    right::kFdFilestatGet | right::kFdFilestatSetSize |
    right::kFdFilestatSetTimes | right::kPollFdReadwrite;
inline constexpr Rights kDirectory =
    right::kFdFdstatSetFlags | right::kFdSync | right::kFdDatasync |
    right::kFdAdvise | right::kPathCreateDirectory | right::kPathCreateFile |
    right::kPathLinkSource | right::kPathLinkTarget | right::kPathOpen |
    right::kFdReaddir | right::kPathReadlink | right::kPathRenameSource |
    right::kPathRenameTarget | right::kPathFilestatGet |
    right::kPathFilestatSetSize | right::kPathFilestatSetTimes |
    right::kFdFilestatGet | right::kFdFilestatSetTimes | right::kPathSymlink |
    right::kPathRemoveDirectory | right::kPathUnlinkFile |
    right::kPollFdReadwrite;
// Pipes, terminals, character devices.
inline constexpr Rights kStream =
    right::kFdRead | right::kFdWrite | right::kFdFdstatSetFlags |
    right::kFdFilestatGet | right::kPollFdReadwrite;
inline constexpr Rights kSocket = kStream | right::kSockShutdown;
// Everything that changes the file system; a read-only preopen lacks these.
inline constexpr Rights kMutating =
    right::kFdWrite | right::kFdAllocate | right::kFdFilestatSetSize |
    right::kFdFilestatSetTimes | right::kPathCreateDirectory |
    right::kPathCreateFile | right::kPathLinkSource | right::kPathLinkTarget |
    right::kPathRenameSource | right::kPathRenameTarget |
    right::kPathFilestatSetSize | right::kPathFilestatSetTimes |
    right::kPathSymlink | right::kPathRemoveDirectory | right::kPathUnlinkFile;
} // namespace rights

FileType FileTypeFromMode(mode_t mode);
// The rights an fd of this type can use at all.
Rights RightsForType(FileType type);

// What is left of a capped output stream (WasiConfig::stdout_limit).
struct OutputBudget {
  uint64_t left = 0;
  bool reached = false;    // a write was refused or cut short
  bool ends_guest = false; // a refused write traps (stdout_limit_ends_guest)
  uint64_t limit = 0;
};

// An in-memory stdio stream (WasiConfig::memory_stdio): input is read
// from `data` at `pos`; output is appended to `data`.
struct MemStream {
  std::string data;
  size_t pos = 0;
};

struct FdEntry {
  std::shared_ptr<OutputBudget> budget; // null: uncapped
  MemStream* mem = nullptr; // in-memory stdio (then `host` is not open)
  UniqueFd host;
  FileType type = FileType::kUnknown;
  Rights base = 0;
  Rights inheriting = 0;
  bool preopen = false;
  std::string preopen_name; // the guest-visible name of a preopen
};

class FdTable {
public:
  explicit FdTable(uint32_t max_fds) : max_fds_(max_fds) {}

  // The entry for `fd` when it exists (badf) and has every right in
  // `required` (notcapable).
  Errno Get(uint32_t fd, Rights required, FdEntry** out);
  FdEntry* Find(uint32_t fd);
  // Puts an entry at the lowest free number.
  Errno Insert(std::unique_ptr<FdEntry> entry, uint32_t* fd);
  // Puts an entry at a given number (used for stdio and preopens).
  void Place(uint32_t fd, std::unique_ptr<FdEntry> entry);
  Errno Close(uint32_t fd);
  Errno Renumber(uint32_t from, uint32_t to);
  // Whether the table may differ from how it was built: an fd was opened,
  // closed or renumbered, rights were dropped, or an fd other than stdio
  // was used through Get or seeked (a directory's offset or flags are state
  // too). Find alone (fd_prestat_*, path lookups) leaves it unset.
  bool touched() const { return touched_; }
  void MarkTouched() { touched_ = true; }
  // Empties the table (WasiContext::Reset rebuilds it).
  void Clear();

private:
  std::vector<std::unique_ptr<FdEntry>> slots_;
  bool touched_ = false;
  uint32_t open_ = 0;
  uint32_t max_fds_;
};

} // namespace weft::wasi

namespace weft {

struct WasiContext::Impl {
  std::vector<std::string> args;
  std::vector<std::string> env; // "KEY=VALUE"
  wasi::FdTable fds;
  wasi::SandboxResolver resolver;
  std::shared_ptr<wasi::OutputBudget> stdio_budget[3];
  wasi::MemStream mem_stdio[3]; // used with WasiConfig::memory_stdio
  WasiConfig config;            // what Reset rebuilds the fd table from

  Impl(uint32_t max_fds, wasi::PathBackend backend)
      : fds(max_fds), resolver(backend) {}
};

} // namespace weft

namespace weft::wasi {

// What one host call sees: the context, the store, and (looked up on first
// use) the caller's exported memory.
class WasiCall {
public:
  WasiCall(WasiContext::Impl& ctx, Store& store) : ctx_(ctx), store_(store) {}
  WasiContext::Impl& ctx() { return ctx_; }
  FdTable& fds() { return ctx_.fds; }
  const SandboxResolver& resolver() const { return ctx_.resolver; }
  // The caller's "memory" export; an empty memory (every access faults)
  // when there is none.
  const GuestMemory& mem();
  // Whether the store was interrupted (a blocking handler gives up).
  bool interrupted() const { return store_.interrupted(); }

  // Set by a handler that ends the guest (proc_exit).
  std::optional<Trap> trap;

private:
  WasiContext::Impl& ctx_;
  Store& store_;
  std::optional<GuestMemory> mem_;
};

// Reads a guest iovec array into host iovecs, checking the array and every
// buffer against memory. At most IOV_MAX buffers are used (a short
// transfer, which the guest must handle anyway), and the total is kept
// below 2^31 so the u32 byte count cannot overflow.
Errno LoadIovecs(const GuestMemory& mem, uint32_t iovs, uint32_t iovs_len,
                 std::vector<struct iovec>* out);

// Writes a 64-byte filestat.
bool StoreFilestat(const GuestMemory& mem, uint32_t ptr, const struct stat& st);

// Reads a guest path (ptr, len).
Errno LoadPath(const GuestMemory& mem, uint32_t ptr, uint32_t len,
               std::string* out);

// Converts WASI timestamps + fstflags into utimensat's timespec pair.
Errno TimesFromWasi(uint64_t atim, uint64_t mtim, uint32_t flags,
                    struct timespec ts[2]);

// The resolver's errors: EXDEV means "outside the root".
Errno ErrnoFromResolve(int host_errno);

// --- handlers, one per wasi_functions.def row ------------------------------
// args / environ / clocks / random / process / sockets (wasi_sys.cpp)
Errno ArgsGet(WasiCall& c, uint32_t argv, uint32_t argv_buf);
Errno ArgsSizesGet(WasiCall& c, uint32_t argc_out, uint32_t buf_size_out);
Errno EnvironGet(WasiCall& c, uint32_t environ, uint32_t environ_buf);
Errno EnvironSizesGet(WasiCall& c, uint32_t count_out, uint32_t size_out);
Errno ClockResGet(WasiCall& c, uint32_t id, uint32_t res_out);
Errno ClockTimeGet(WasiCall& c, uint32_t id, uint64_t precision,
                   uint32_t time_out);
Errno RandomGet(WasiCall& c, uint32_t buf, uint32_t buf_len);
void ProcExit(WasiCall& c, uint32_t code);
Errno ProcRaise(WasiCall& c, uint32_t sig);
Errno SchedYield(WasiCall& c);
Errno SockAccept(WasiCall& c, uint32_t fd, uint32_t flags, uint32_t fd_out);
Errno SockRecv(WasiCall& c, uint32_t fd, uint32_t ri_data, uint32_t ri_data_len,
               uint32_t ri_flags, uint32_t nread_out, uint32_t roflags_out);
Errno SockSend(WasiCall& c, uint32_t fd, uint32_t si_data, uint32_t si_data_len,
               uint32_t si_flags, uint32_t nwritten_out);
Errno SockShutdown(WasiCall& c, uint32_t fd, uint32_t how);
// poll (wasi_poll.cpp)
Errno PollOneoff(WasiCall& c, uint32_t in, uint32_t out, uint32_t nsubs,
                 uint32_t nevents_out);
// fd_* (wasi_fd.cpp)
Errno FdAdvise(WasiCall& c, uint32_t fd, uint64_t offset, uint64_t len,
               uint32_t advice);
Errno FdAllocate(WasiCall& c, uint32_t fd, uint64_t offset, uint64_t len);
Errno FdClose(WasiCall& c, uint32_t fd);
Errno FdDatasync(WasiCall& c, uint32_t fd);
Errno FdFdstatGet(WasiCall& c, uint32_t fd, uint32_t out);
Errno FdFdstatSetFlags(WasiCall& c, uint32_t fd, uint32_t flags);
Errno FdFdstatSetRights(WasiCall& c, uint32_t fd, uint64_t base,
                        uint64_t inheriting);
Errno FdFilestatGet(WasiCall& c, uint32_t fd, uint32_t out);
Errno FdFilestatSetSize(WasiCall& c, uint32_t fd, uint64_t size);
Errno FdFilestatSetTimes(WasiCall& c, uint32_t fd, uint64_t atim, uint64_t mtim,
                         uint32_t fst_flags);
Errno FdPread(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
              uint64_t offset, uint32_t nread_out);
Errno FdPrestatGet(WasiCall& c, uint32_t fd, uint32_t out);
Errno FdPrestatDirName(WasiCall& c, uint32_t fd, uint32_t path,
                       uint32_t path_len);
Errno FdPwrite(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
               uint64_t offset, uint32_t nwritten_out);
Errno FdRead(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
             uint32_t nread_out);
Errno FdReaddir(WasiCall& c, uint32_t fd, uint32_t buf, uint32_t buf_len,
                uint64_t cookie, uint32_t bufused_out);
Errno FdRenumber(WasiCall& c, uint32_t fd, uint32_t to);
Errno FdSeek(WasiCall& c, uint32_t fd, uint64_t offset, uint32_t whence,
             uint32_t newoffset_out);
Errno FdSync(WasiCall& c, uint32_t fd);
Errno FdTell(WasiCall& c, uint32_t fd, uint32_t offset_out);
Errno FdWrite(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
              uint32_t nwritten_out);
// path_* (wasi_path.cpp)
Errno PathCreateDirectory(WasiCall& c, uint32_t fd, uint32_t path,
                          uint32_t path_len);
Errno PathFilestatGet(WasiCall& c, uint32_t fd, uint32_t flags, uint32_t path,
                      uint32_t path_len, uint32_t out);
Errno PathFilestatSetTimes(WasiCall& c, uint32_t fd, uint32_t flags,
                           uint32_t path, uint32_t path_len, uint64_t atim,
                           uint64_t mtim, uint32_t fst_flags);
Errno PathLink(WasiCall& c, uint32_t old_fd, uint32_t old_flags,
               uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
               uint32_t new_path, uint32_t new_path_len);
Errno PathOpen(WasiCall& c, uint32_t dirfd, uint32_t dirflags, uint32_t path,
               uint32_t path_len, uint32_t oflags, uint64_t rights_base,
               uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out);
Errno PathReadlink(WasiCall& c, uint32_t fd, uint32_t path, uint32_t path_len,
                   uint32_t buf, uint32_t buf_len, uint32_t bufused_out);
Errno PathRemoveDirectory(WasiCall& c, uint32_t fd, uint32_t path,
                          uint32_t path_len);
Errno PathRename(WasiCall& c, uint32_t fd, uint32_t old_path,
                 uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                 uint32_t new_path_len);
Errno PathSymlink(WasiCall& c, uint32_t old_path, uint32_t old_path_len,
                  uint32_t fd, uint32_t new_path, uint32_t new_path_len);
Errno PathUnlinkFile(WasiCall& c, uint32_t fd, uint32_t path,
                     uint32_t path_len);

} // namespace weft::wasi
