// WasiP2Context: creation, the resource table, stdio, random and clocks.
#include "wasip2/context.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasip2/stdio.h"

namespace weft::wasip2 {
namespace {

Error P2Error(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

// Fills `out` from the kernel's CSPRNG.
bool FillRandom(void* out, size_t len) {
  auto* p = static_cast<uint8_t*>(out);
  while (len > 0) {
    ssize_t n = ::getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Nanos(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

std::shared_ptr<StdioSink>
MakeSink(const WasiConfig& c, int which,
         const std::function<bool(std::string_view)>& callback) {
  auto sink = std::make_shared<StdioSink>();
  const int host_fd = which == 1 ? c.stdout_fd : c.stderr_fd;
  const uint64_t limit = which == 1 ? c.stdout_limit : c.stderr_limit;
  sink->callback = callback;
  if (callback) {
    sink->kind = StdioSink::Kind::kCallback;
  } else if (c.memory_stdio) {
    sink->kind = StdioSink::Kind::kMemory;
  } else if (host_fd >= 0) {
    sink->kind = StdioSink::Kind::kFd;
    sink->fd.reset(::fcntl(host_fd, F_DUPFD_CLOEXEC, 3));
    if (!sink->fd.valid()) sink->kind = StdioSink::Kind::kNone;
  }
  sink->limit = limit;
  if (limit == 0 && sink->kind == StdioSink::Kind::kMemory)
    sink->limit = kDefaultMemoryOutputLimit;
  sink->left = sink->limit;
  sink->ends_guest = which == 1 && c.stdout_limit_ends_guest;
  return sink;
}

} // namespace

DirStreamObj::~DirStreamObj() {
  if (dir) ::closedir(dir);
}

const char* ObjKindName(ObjKind k) {
  switch (k) {
  case ObjKind::kError: return "error";
  case ObjKind::kPollable: return "pollable";
  case ObjKind::kInputStream: return "input-stream";
  case ObjKind::kOutputStream: return "output-stream";
  case ObjKind::kDescriptor: return "descriptor";
  case ObjKind::kDirStream: return "directory-entry-stream";
  case ObjKind::kNetwork: return "network";
  case ObjKind::kNeverIssued: return "resource";
  }
  return "resource";
}

Failure Failure::Host(int host_errno) {
  return Code(FsErrorFromHost(host_errno), std::strerror(host_errno));
}

WasiP2Context::WasiP2Context(const WasiP2Options& options)
    : options_(options),
      resolver_(options.config.force_path_walk ? wasi::PathBackend::kWalk
                                               : wasi::PathBackend::kAuto) {}

WasiP2Context::~WasiP2Context() = default;

Result<std::shared_ptr<WasiP2Context>>
WasiP2Context::Create(const WasiP2Options& options) {
  std::shared_ptr<WasiP2Context> ctx(new WasiP2Context(options));
  const WasiConfig& c = options.config;
  for (const WasiPreopen& p : c.preopens) {
    int fd = ::open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return P2Error("cannot open preopen " + p.host_path + ": " +
                     std::strerror(errno));
    ctx->preopens_.push_back(
        {std::make_shared<UniqueFd>(fd), p.guest_path, p.read_only});
  }
  ctx->stdin_ = std::make_shared<StdioSource>();
  if (c.memory_stdio) {
    ctx->stdin_->memory = true;
  } else if (c.stdin_fd >= 0) {
    ctx->stdin_->fd.reset(::fcntl(c.stdin_fd, F_DUPFD_CLOEXEC, 3));
    struct stat st;
    if (ctx->stdin_->fd.valid() && ::fstat(ctx->stdin_->fd.get(), &st) == 0)
      ctx->stdin_->regular = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
  }
  ctx->stdout_ = MakeSink(c, 1, options.stdout_callback);
  ctx->stderr_ = MakeSink(c, 2, options.stderr_callback);
  uint64_t seed[3];
  if (!FillRandom(seed, sizeof(seed)))
    return P2Error("cannot read random seed");
  ctx->seed_ = {seed[0], seed[1]};
  ctx->insecure_state_ = seed[2];
  return ctx;
}

void WasiP2Context::Reset() {
  slots_.clear();
  free_.clear();
  live_ = 0;
  stdin_->data.clear();
  stdin_->pos = 0;
  for (StdioSink* sink : {stdout_.get(), stderr_.get()}) {
    sink->data.clear();
    sink->left = sink->limit;
    sink->reached = false;
  }
}

// --- resource table ----------------------------------------------------------

Outcome<uint32_t> WasiP2Context::Add(std::unique_ptr<Object> obj) {
  if (live_ >= options_.max_resources)
    return Failure::Trapped(Trap{TrapKind::Host,
                                 "wasi: more than " +
                                     std::to_string(options_.max_resources) +
                                     " host resources held at once",
                                 0});
  if ((obj->kind == ObjKind::kDescriptor || obj->kind == ObjKind::kDirStream) &&
      !FdBudgetLeft())
    return Failure::Code(FsError::kInsufficientMemory,
                         "too many open descriptors");
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    slots_[index] = std::move(obj);
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::move(obj));
  }
  ++live_;
  return index + 1;
}

bool WasiP2Context::FdBudgetLeft() const {
  uint32_t n = 0;
  for (const auto& s : slots_)
    if (s &&
        (s->kind == ObjKind::kDescriptor || s->kind == ObjKind::kDirStream))
      ++n;
  return n < options_.config.max_fds;
}

Object* WasiP2Context::Find(uint32_t rep) const {
  if (rep == 0 || rep > slots_.size()) return nullptr;
  return slots_[rep - 1].get();
}

bool WasiP2Context::Drop(uint32_t rep, ObjKind kind) {
  Object* o = Find(rep);
  if (!o || o->kind != kind) return false;
  slots_[rep - 1].reset();
  free_.push_back(rep - 1);
  --live_;
  return true;
}

Trap WasiP2Context::BadRep(ObjKind kind, uint32_t rep) {
  return Trap{TrapKind::Host,
              std::string("wasi: no live ") + ObjKindName(kind) + " with rep " +
                  std::to_string(rep),
              0};
}

Outcome<uint32_t> WasiP2Context::NewError(const Failure& f) {
  auto e = std::make_unique<ErrorObj>();
  e->message = f.message.empty() ? FsErrorName(f.code) : f.message;
  e->code = f.code;
  return Add(std::move(e));
}

// --- stdio
// ----------------------------------------------------------------------

Outcome<uint32_t> WasiP2Context::GetStdin() {
  auto s = std::make_unique<InputStreamObj>();
  s->src = InputStreamObj::Src::kStdin;
  s->stdin_src = stdin_;
  return Add(std::move(s));
}

Outcome<uint32_t>
WasiP2Context::NewOutput(const std::shared_ptr<StdioSink>& sink) {
  auto s = std::make_unique<OutputStreamObj>();
  s->dst = OutputStreamObj::Dst::kStdio;
  s->sink = sink;
  return Add(std::move(s));
}

Outcome<uint32_t> WasiP2Context::GetStdout() { return NewOutput(stdout_); }
Outcome<uint32_t> WasiP2Context::GetStderr() { return NewOutput(stderr_); }

std::string* WasiP2Context::MemoryStdio(int stdio_fd) {
  if (!options_.config.memory_stdio) return nullptr;
  switch (stdio_fd) {
  case 0: return &stdin_->data;
  case 1: return &stdout_->data;
  case 2: return &stderr_->data;
  default: return nullptr;
  }
}

bool WasiP2Context::OutputLimitReached(int stdio_fd) const {
  if (stdio_fd == 1) return stdout_->reached;
  if (stdio_fd == 2) return stderr_->reached;
  return false;
}

// --- random and clocks
// ---------------------------------------------------------

Outcome<std::string> WasiP2Context::RandomBytes(uint64_t len) {
  if (len > options_.max_random_bytes)
    return Failure::Trapped(Trap{
        TrapKind::Host,
        "wasi:random: " + std::to_string(len) + " bytes requested, at most " +
            std::to_string(options_.max_random_bytes) + " per call",
        0});
  std::string out(static_cast<size_t>(len), '\0');
  if (!FillRandom(out.data(), out.size()))
    return Failure::Trapped(
        Trap{TrapKind::Host, "wasi:random: the host has no entropy", 0});
  return out;
}

uint64_t WasiP2Context::RandomU64() {
  uint64_t v = 0;
  if (!FillRandom(&v, sizeof(v))) v = SplitMix(&insecure_state_);
  return v;
}

uint64_t WasiP2Context::MonotonicNow() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return Nanos(ts);
}

uint64_t WasiP2Context::MonotonicResolution() {
  struct timespec ts;
  if (::clock_getres(CLOCK_MONOTONIC, &ts) != 0) return 1;
  return std::max<uint64_t>(1, Nanos(ts));
}

Datetime WasiP2Context::WallNow() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

Datetime WasiP2Context::WallResolution() {
  struct timespec ts;
  if (::clock_getres(CLOCK_REALTIME, &ts) != 0) return {0, 1};
  return {static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

Outcome<uint32_t> WasiP2Context::SubscribeInstant(uint64_t when) {
  auto p = std::make_unique<PollableObj>();
  p->type = PollableObj::Type::kDeadline;
  p->deadline = when;
  return Add(std::move(p));
}

Outcome<uint32_t> WasiP2Context::SubscribeDuration(uint64_t ns) {
  const uint64_t now = MonotonicNow();
  return SubscribeInstant(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
}

// --- error codes
// ------------------------------------------------------------------

const char* FsErrorName(FsError e) {
  static const char* const kNames[] = {
      "access",
      "would-block",
      "already",
      "bad-descriptor",
      "busy",
      "deadlock",
      "quota",
      "exist",
      "file-too-large",
      "illegal-byte-sequence",
      "in-progress",
      "interrupted",
      "invalid",
      "io",
      "is-directory",
      "loop",
      "too-many-links",
      "message-size",
      "name-too-long",
      "no-device",
      "no-entry",
      "no-lock",
      "insufficient-memory",
      "insufficient-space",
      "not-directory",
      "not-empty",
      "not-recoverable",
      "unsupported",
      "no-tty",
      "no-such-device",
      "overflow",
      "not-permitted",
      "pipe",
      "read-only",
      "invalid-seek",
      "text-file-busy",
      "cross-device",
  };
  static_assert(std::size(kNames) ==
                static_cast<size_t>(FsError::kCrossDevice) + 1);
  const auto i = static_cast<size_t>(e);
  return i < std::size(kNames) ? kNames[i] : "io";
}

FsError FsErrorFromHost(int e) {
  switch (e) {
  case EACCES: return FsError::kAccess;
  case EAGAIN: return FsError::kWouldBlock;
  case EALREADY: return FsError::kAlready;
  case EBADF: return FsError::kBadDescriptor;
  case EBUSY: return FsError::kBusy;
  case EDEADLK: return FsError::kDeadlock;
  case EDQUOT: return FsError::kQuota;
  case EEXIST: return FsError::kExist;
  case EFBIG: return FsError::kFileTooLarge;
  case EILSEQ: return FsError::kIllegalByteSequence;
  case EINPROGRESS: return FsError::kInProgress;
  case EINTR: return FsError::kInterrupted;
  case EINVAL: return FsError::kInvalid;
  case EIO: return FsError::kIo;
  case EISDIR: return FsError::kIsDirectory;
  case ELOOP: return FsError::kLoop;
  case EMLINK: return FsError::kTooManyLinks;
  case EMSGSIZE: return FsError::kMessageSize;
  case ENAMETOOLONG: return FsError::kNameTooLong;
  case ENODEV: return FsError::kNoDevice;
  case ENOENT: return FsError::kNoEntry;
  case ENOLCK: return FsError::kNoLock;
  case ENOMEM: return FsError::kInsufficientMemory;
  case ENOSPC: return FsError::kInsufficientSpace;
  case ENOTDIR: return FsError::kNotDirectory;
  case ENOTEMPTY: return FsError::kNotEmpty;
  case ENOTRECOVERABLE: return FsError::kNotRecoverable;
  case ENOTSUP: return FsError::kUnsupported;
  case ENOTTY: return FsError::kNoTty;
  case ENXIO: return FsError::kNoSuchDevice;
  case EOVERFLOW: return FsError::kOverflow;
  case EPERM: return FsError::kNotPermitted;
  case EPIPE: return FsError::kPipe;
  case EROFS: return FsError::kReadOnly;
  case ESPIPE: return FsError::kInvalidSeek;
  case ETXTBSY: return FsError::kTextFileBusy;
  case EXDEV: return FsError::kCrossDevice;
  default: return FsError::kIo;
  }
}

FsError FsErrorFromResolve(int e) {
  return e == EXDEV ? FsError::kNotPermitted : FsErrorFromHost(e);
}

DescType DescTypeFromMode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return DescType::kRegularFile;
  case S_IFDIR: return DescType::kDirectory;
  case S_IFCHR: return DescType::kCharacterDevice;
  case S_IFBLK: return DescType::kBlockDevice;
  case S_IFLNK: return DescType::kSymbolicLink;
  case S_IFSOCK: return DescType::kSocket;
  case S_IFIFO: return DescType::kFifo;
  default: return DescType::kUnknown;
  }
}

} // namespace weft::wasip2
