// The WASI preview1 ABI (wasi_snapshot_preview1): errno values, rights,
// flags, file types and the byte layout of the structs the guest passes in
// linear memory. Values and offsets follow wasi_snapshot_preview1.witx.
#pragma once

#include <cstdint>

namespace weft::wasi {

// errno: 16-bit in the ABI, returned as i32.
enum class Errno : uint16_t {
  kSuccess = 0,
  k2Big = 1,
  kAcces = 2,
  kAddrInUse = 3,
  kAddrNotAvail = 4,
  kAfNoSupport = 5,
  kAgain = 6,
  kAlready = 7,
  kBadf = 8,
  kBadMsg = 9,
  kBusy = 10,
  kCanceled = 11,
  kChild = 12,
  kConnAborted = 13,
  kConnRefused = 14,
  kConnReset = 15,
  kDeadlk = 16,
  kDestAddrReq = 17,
  kDom = 18,
  kDquot = 19,
  kExist = 20,
  kFault = 21,
  kFbig = 22,
  kHostUnreach = 23,
  kIdrm = 24,
  kIlseq = 25,
  kInProgress = 26,
  kIntr = 27,
  kInval = 28,
  kIo = 29,
  kIsConn = 30,
  kIsDir = 31,
  kLoop = 32,
  kMfile = 33,
  kMlink = 34,
  kMsgSize = 35,
  kMultihop = 36,
  kNameTooLong = 37,
  kNetDown = 38,
  kNetReset = 39,
  kNetUnreach = 40,
  kNfile = 41,
  kNoBufs = 42,
  kNoDev = 43,
  kNoEnt = 44,
  kNoExec = 45,
  kNoLck = 46,
  kNoLink = 47,
  kNoMem = 48,
  kNoMsg = 49,
  kNoProtoOpt = 50,
  kNoSpc = 51,
  kNoSys = 52,
  kNotConn = 53,
  kNotDir = 54,
  kNotEmpty = 55,
  kNotRecoverable = 56,
  kNotSock = 57,
  kNotSup = 58,
  kNotTy = 59,
  kNxio = 60,
  kOverflow = 61,
  kOwnerDead = 62,
  kPerm = 63,
  kPipe = 64,
  kProto = 65,
  kProtoNoSupport = 66,
  kProtoType = 67,
  kRange = 68,
  kRofs = 69,
  kSpipe = 70,
  kSrch = 71,
  kStale = 72,
  kTimedOut = 73,
  kTxtBsy = 74,
  kXdev = 75,
  kNotCapable = 76,
};

// Maps a host errno value to the WASI errno. EXDEV maps to kXdev here; the
// path resolver's EXDEV ("would leave the sandbox") is mapped separately.
Errno ErrnoFromHost(int host_errno);

using Rights = uint64_t;
namespace right {
inline constexpr Rights kFdDatasync = 1ull << 0;
inline constexpr Rights kFdRead = 1ull << 1;
inline constexpr Rights kFdSeek = 1ull << 2;
inline constexpr Rights kFdFdstatSetFlags = 1ull << 3;
inline constexpr Rights kFdSync = 1ull << 4;
inline constexpr Rights kFdTell = 1ull << 5;
inline constexpr Rights kFdWrite = 1ull << 6;
inline constexpr Rights kFdAdvise = 1ull << 7;
inline constexpr Rights kFdAllocate = 1ull << 8;
inline constexpr Rights kPathCreateDirectory = 1ull << 9;
inline constexpr Rights kPathCreateFile = 1ull << 10;
inline constexpr Rights kPathLinkSource = 1ull << 11;
inline constexpr Rights kPathLinkTarget = 1ull << 12;
inline constexpr Rights kPathOpen = 1ull << 13;
inline constexpr Rights kFdReaddir = 1ull << 14;
inline constexpr Rights kPathReadlink = 1ull << 15;
inline constexpr Rights kPathRenameSource = 1ull << 16;
inline constexpr Rights kPathRenameTarget = 1ull << 17;
inline constexpr Rights kPathFilestatGet = 1ull << 18;
inline constexpr Rights kPathFilestatSetSize = 1ull << 19;
inline constexpr Rights kPathFilestatSetTimes = 1ull << 20;
inline constexpr Rights kFdFilestatGet = 1ull << 21;
inline constexpr Rights kFdFilestatSetSize = 1ull << 22;
inline constexpr Rights kFdFilestatSetTimes = 1ull << 23;
inline constexpr Rights kPathSymlink = 1ull << 24;
inline constexpr Rights kPathRemoveDirectory = 1ull << 25;
inline constexpr Rights kPathUnlinkFile = 1ull << 26;
inline constexpr Rights kPollFdReadwrite = 1ull << 27;
inline constexpr Rights kSockShutdown = 1ull << 28;
inline constexpr Rights kSockAccept = 1ull << 29;
inline constexpr Rights kAll = (1ull << 30) - 1;
} // namespace right

enum class FileType : uint8_t {
  kUnknown = 0,
  kBlockDevice = 1,
  kCharacterDevice = 2,
  kDirectory = 3,
  kRegularFile = 4,
  kSocketDgram = 5,
  kSocketStream = 6,
  kSymbolicLink = 7,
};

namespace fdflag {
inline constexpr uint16_t kAppend = 1 << 0;
inline constexpr uint16_t kDsync = 1 << 1;
inline constexpr uint16_t kNonblock = 1 << 2;
inline constexpr uint16_t kRsync = 1 << 3;
inline constexpr uint16_t kSync = 1 << 4;
inline constexpr uint16_t kAll = (1 << 5) - 1;
} // namespace fdflag

namespace oflag {
inline constexpr uint16_t kCreat = 1 << 0;
inline constexpr uint16_t kDirectory = 1 << 1;
inline constexpr uint16_t kExcl = 1 << 2;
inline constexpr uint16_t kTrunc = 1 << 3;
inline constexpr uint16_t kAll = (1 << 4) - 1;
} // namespace oflag

namespace fstflag {
inline constexpr uint16_t kAtim = 1 << 0;
inline constexpr uint16_t kAtimNow = 1 << 1;
inline constexpr uint16_t kMtim = 1 << 2;
inline constexpr uint16_t kMtimNow = 1 << 3;
} // namespace fstflag

inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;

enum class Whence : uint8_t { kSet = 0, kCur = 1, kEnd = 2 };

enum class ClockId : uint32_t {
  kRealtime = 0,
  kMonotonic = 1,
  kProcessCputime = 2,
  kThreadCputime = 3,
};

enum class EventType : uint8_t { kClock = 0, kFdRead = 1, kFdWrite = 2 };
inline constexpr uint16_t kSubclockAbstime = 1 << 0;
inline constexpr uint16_t kEventFdReadwriteHangup = 1 << 0;

namespace sdflag {
inline constexpr uint8_t kRd = 1 << 0;
inline constexpr uint8_t kWr = 1 << 1;
} // namespace sdflag
namespace riflag {
inline constexpr uint16_t kRecvPeek = 1 << 0;
inline constexpr uint16_t kRecvWaitall = 1 << 1;
} // namespace riflag
inline constexpr uint16_t kRoflagRecvDataTruncated = 1 << 0;

inline constexpr uint8_t kPreopenTypeDir = 0;

// Struct layouts (size, and the offset of each field).
namespace layout {
inline constexpr uint32_t kIovecSize = 8; // buf u32 @0, buf_len u32 @4
inline constexpr uint32_t kFdstatSize = 24;
inline constexpr uint32_t kFdstatFiletype = 0; // u8
inline constexpr uint32_t kFdstatFlags = 2;    // u16
inline constexpr uint32_t kFdstatRightsBase = 8;
inline constexpr uint32_t kFdstatRightsInheriting = 16;
inline constexpr uint32_t kFilestatSize = 64;
inline constexpr uint32_t kFilestatDev = 0;
inline constexpr uint32_t kFilestatIno = 8;
inline constexpr uint32_t kFilestatFiletype = 16; // u8
inline constexpr uint32_t kFilestatNlink = 24;
inline constexpr uint32_t kFilestatSizeField = 32;
inline constexpr uint32_t kFilestatAtim = 40;
inline constexpr uint32_t kFilestatMtim = 48;
inline constexpr uint32_t kFilestatCtim = 56;
inline constexpr uint32_t kPrestatSize = 8; // tag u8 @0, pr_name_len u32 @4
inline constexpr uint32_t kDirentSize = 24;
inline constexpr uint32_t kDirentNext = 0;
inline constexpr uint32_t kDirentIno = 8;
inline constexpr uint32_t kDirentNamlen = 16; // u32
inline constexpr uint32_t kDirentType = 20;   // u8
inline constexpr uint32_t kSubscriptionSize = 48;
inline constexpr uint32_t kSubUserdata = 0;
inline constexpr uint32_t kSubTag = 8;             // u8
inline constexpr uint32_t kSubClockId = 16;        // u32
inline constexpr uint32_t kSubClockTimeout = 24;   // u64
inline constexpr uint32_t kSubClockPrecision = 32; // u64
inline constexpr uint32_t kSubClockFlags = 40;     // u16
inline constexpr uint32_t kSubFd = 16;             // u32
inline constexpr uint32_t kEventSize = 32;
inline constexpr uint32_t kEventUserdata = 0;
inline constexpr uint32_t kEventError = 8;   // u16
inline constexpr uint32_t kEventType = 10;   // u8
inline constexpr uint32_t kEventNbytes = 16; // u64
inline constexpr uint32_t kEventFlags = 24;  // u16
} // namespace layout

} // namespace weft::wasi
