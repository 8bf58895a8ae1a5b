// The guest fd table, errno mapping, and the small memory helpers shared by
// the handlers.
#include <cerrno>
#include <climits>

#include "wasi/wasi_internal.h"

namespace weft::wasi {

Errno ErrnoFromHost(int e) {
  switch (e) {
  case 0: return Errno::kSuccess;
  case E2BIG: return Errno::k2Big;
  case EACCES: return Errno::kAcces;
  case EADDRINUSE: return Errno::kAddrInUse;
  case EADDRNOTAVAIL: return Errno::kAddrNotAvail;
  case EAFNOSUPPORT: return Errno::kAfNoSupport;
  case EAGAIN: return Errno::kAgain;
  case EALREADY: return Errno::kAlready;
  case EBADF: return Errno::kBadf;
  case EBADMSG: return Errno::kBadMsg;
  case EBUSY: return Errno::kBusy;
  case ECANCELED: return Errno::kCanceled;
  case ECHILD: return Errno::kChild;
  case ECONNABORTED: return Errno::kConnAborted;
  case ECONNREFUSED: return Errno::kConnRefused;
  case ECONNRESET: return Errno::kConnReset;
  case EDEADLK: return Errno::kDeadlk;
  case EDESTADDRREQ: return Errno::kDestAddrReq;
  case EDOM: return Errno::kDom;
  case EDQUOT: return Errno::kDquot;
  case EEXIST: return Errno::kExist;
  case EFAULT: return Errno::kFault;
  case EFBIG: return Errno::kFbig;
  case EHOSTUNREACH: return Errno::kHostUnreach;
  case EIDRM: return Errno::kIdrm;
  case EILSEQ: return Errno::kIlseq;
  case EINPROGRESS: return Errno::kInProgress;
  case EINTR: return Errno::kIntr;
  case EINVAL: return Errno::kInval;
  case EIO: return Errno::kIo;
  case EISCONN: return Errno::kIsConn;
  case EISDIR: return Errno::kIsDir;
  case ELOOP: return Errno::kLoop;
  case EMFILE: return Errno::kMfile;
  case EMLINK: return Errno::kMlink;
  case EMSGSIZE: return Errno::kMsgSize;
  case EMULTIHOP: return Errno::kMultihop;
  case ENAMETOOLONG: return Errno::kNameTooLong;
  case ENETDOWN: return Errno::kNetDown;
  case ENETRESET: return Errno::kNetReset;
  case ENETUNREACH: return Errno::kNetUnreach;
  case ENFILE: return Errno::kNfile;
  case ENOBUFS: return Errno::kNoBufs;
  case ENODEV: return Errno::kNoDev;
  case ENOENT: return Errno::kNoEnt;
  case ENOEXEC: return Errno::kNoExec;
  case ENOLCK: return Errno::kNoLck;
  case ENOLINK: return Errno::kNoLink;
  case ENOMEM: return Errno::kNoMem;
  case ENOMSG: return Errno::kNoMsg;
  case ENOPROTOOPT: return Errno::kNoProtoOpt;
  case ENOSPC: return Errno::kNoSpc;
  case ENOSYS: return Errno::kNoSys;
  case ENOTCONN: return Errno::kNotConn;
  case ENOTDIR: return Errno::kNotDir;
  case ENOTEMPTY: return Errno::kNotEmpty;
  case ENOTRECOVERABLE: return Errno::kNotRecoverable;
  case ENOTSOCK: return Errno::kNotSock;
  case ENOTSUP: return Errno::kNotSup; // == EOPNOTSUPP on Linux
  case ENOTTY: return Errno::kNotTy;
  case ENXIO: return Errno::kNxio;
  case EOVERFLOW: return Errno::kOverflow;
  case EOWNERDEAD: return Errno::kOwnerDead;
  case EPERM: return Errno::kPerm;
  case EPIPE: return Errno::kPipe;
  case EPROTO: return Errno::kProto;
  case EPROTONOSUPPORT: return Errno::kProtoNoSupport;
  case EPROTOTYPE: return Errno::kProtoType;
  case ERANGE: return Errno::kRange;
  case EROFS: return Errno::kRofs;
  case ESPIPE: return Errno::kSpipe;
  case ESRCH: return Errno::kSrch;
  case ESTALE: return Errno::kStale;
  case ETIMEDOUT: return Errno::kTimedOut;
  case ETXTBSY: return Errno::kTxtBsy;
  case EXDEV: return Errno::kXdev;
  default: return Errno::kIo; // no closer WASI value
  }
}

Errno ErrnoFromResolve(int e) {
  return e == EXDEV ? Errno::kNotCapable : ErrnoFromHost(e);
}

FileType FileTypeFromMode(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return FileType::kRegularFile;
  case S_IFDIR: return FileType::kDirectory;
  case S_IFCHR: return FileType::kCharacterDevice;
  case S_IFBLK: return FileType::kBlockDevice;
  case S_IFLNK: return FileType::kSymbolicLink;
  case S_IFSOCK: return FileType::kSocketStream;
  default: return FileType::kUnknown; // FIFOs have no WASI type
  }
}

Rights RightsForType(FileType type) {
  switch (type) {
  case FileType::kRegularFile:
  case FileType::kBlockDevice: return rights::kRegularFile;
  case FileType::kDirectory: return rights::kDirectory;
  case FileType::kSocketStream:
  case FileType::kSocketDgram: return rights::kSocket;
  default: return rights::kStream;
  }
}

FdEntry* FdTable::Find(uint32_t fd) {
  if (fd >= slots_.size()) return nullptr;
  return slots_[fd].get();
}

Errno FdTable::Get(uint32_t fd, Rights required, FdEntry** out) {
  FdEntry* e = Find(fd);
  if (!e) return Errno::kBadf;
  if ((e->base & required) != required) return Errno::kNotCapable;
  if (fd > 2) touched_ = true;
  *out = e;
  return Errno::kSuccess;
}

Errno FdTable::Insert(std::unique_ptr<FdEntry> entry, uint32_t* fd) {
  touched_ = true;
  if (open_ >= max_fds_) return Errno::kNfile;
  uint32_t i = 0;
  while (i < slots_.size() && slots_[i])
    ++i;
  if (i == slots_.size()) slots_.emplace_back();
  slots_[i] = std::move(entry);
  ++open_;
  *fd = i;
  return Errno::kSuccess;
}

void FdTable::Place(uint32_t fd, std::unique_ptr<FdEntry> entry) {
  if (fd >= slots_.size()) slots_.resize(fd + 1);
  if (!slots_[fd]) ++open_;
  slots_[fd] = std::move(entry);
}

void FdTable::Clear() {
  slots_.clear();
  open_ = 0;
  touched_ = false;
}

Errno FdTable::Close(uint32_t fd) {
  touched_ = true;
  if (!Find(fd)) return Errno::kBadf;
  slots_[fd].reset();
  --open_;
  while (!slots_.empty() && !slots_.back())
    slots_.pop_back();
  return Errno::kSuccess;
}

Errno FdTable::Renumber(uint32_t from, uint32_t to) {
  touched_ = true;
  if (!Find(from) || !Find(to)) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  slots_[to] = std::move(slots_[from]);
  --open_;
  while (!slots_.empty() && !slots_.back())
    slots_.pop_back();
  return Errno::kSuccess;
}

Errno LoadIovecs(const GuestMemory& mem, uint32_t iovs, uint32_t iovs_len,
                 std::vector<struct iovec>* out) {
  if (!mem.Contains(iovs, uint64_t{iovs_len} * layout::kIovecSize))
    return Errno::kFault;
  const uint32_t n = iovs_len < IOV_MAX ? iovs_len : IOV_MAX;
  out->clear();
  out->reserve(n);
  uint64_t total = 0;
  constexpr uint64_t kMaxTotal = 0x7fffffff;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t buf = 0, len = 0;
    mem.Load(iovs + i * layout::kIovecSize, &buf);
    mem.Load(iovs + i * layout::kIovecSize + 4, &len);
    uint8_t* p = mem.Span(buf, len);
    if (!p) return Errno::kFault;
    uint64_t take = len;
    if (total + take > kMaxTotal) take = kMaxTotal - total;
    if (take) out->push_back({p, static_cast<size_t>(take)});
    total += take;
    if (total == kMaxTotal) break;
  }
  return Errno::kSuccess;
}

namespace {
uint64_t Nanos(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}
} // namespace

bool StoreFilestat(const GuestMemory& mem, uint32_t ptr,
                   const struct stat& st) {
  uint8_t* p = mem.Span(ptr, layout::kFilestatSize);
  if (!p) return false;
  std::memset(p, 0, layout::kFilestatSize);
  mem.Store<uint64_t>(ptr + layout::kFilestatDev, st.st_dev);
  mem.Store<uint64_t>(ptr + layout::kFilestatIno, st.st_ino);
  mem.Store<uint8_t>(ptr + layout::kFilestatFiletype,
                     static_cast<uint8_t>(FileTypeFromMode(st.st_mode)));
  mem.Store<uint64_t>(ptr + layout::kFilestatNlink, st.st_nlink);
  mem.Store<uint64_t>(ptr + layout::kFilestatSizeField,
                      static_cast<uint64_t>(st.st_size));
  mem.Store<uint64_t>(ptr + layout::kFilestatAtim, Nanos(st.st_atim));
  mem.Store<uint64_t>(ptr + layout::kFilestatMtim, Nanos(st.st_mtim));
  mem.Store<uint64_t>(ptr + layout::kFilestatCtim, Nanos(st.st_ctim));
  return true;
}

Errno LoadPath(const GuestMemory& mem, uint32_t ptr, uint32_t len,
               std::string* out) {
  std::string_view s;
  if (!mem.String(ptr, len, &s)) return Errno::kFault;
  out->assign(s);
  return Errno::kSuccess;
}

} // namespace weft::wasi
