#include "native/artifact.h"

#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>

#include "native/loader.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

#ifndef WEFT_VERSION
#define WEFT_VERSION "unknown"
#endif

namespace weft::native {
namespace {

constexpr size_t kFixedHeader = 32;

Error Invalid(const std::string& what) {
  return Error{"invalid compiled module: " + what, kNoOffset, {}};
}

// --- build id -----------------------------------------------------------

struct BuildIdSearch {
  uintptr_t addr;
  std::string id;
};

int FindBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* s = static_cast<BuildIdSearch*>(data);
  bool mine = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && s->addr >= lo && s->addr - lo < ph.p_memsz)
      mine = true;
  }
  if (!mine) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const uint8_t* p =
        reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const uint8_t* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) nh;
      std::memcpy(&nh, p, sizeof nh);
      const uint8_t* name = p + sizeof nh;
      const uint8_t* desc = name + ((nh.n_namesz + 3) & ~3u);
      if (desc + nh.n_descsz > end) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        s->id = Hex({desc, nh.n_descsz});
        return 1;
      }
      p = desc + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return 1;
}

// --- byte writing / reading -------------------------------------------------

void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void PutField(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  PutU64(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
  while (out.size() % 8 != 0)
    out.push_back(0);
}

void PutField(std::vector<uint8_t>& out, const std::string& s) {
  PutField(out, {reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

uint64_t GetU64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

class Reader {
public:
  explicit Reader(std::span<const uint8_t> b) : b_(b), pos_(kFixedHeader) {}
  bool Field(std::span<const uint8_t>& out) {
    if (b_.size() - pos_ < 8) return false;
    const uint64_t n = GetU64(b_.data() + pos_);
    pos_ += 8;
    if (n > b_.size() - pos_) return false;
    out = b_.subspan(pos_, n);
    pos_ += (n + 7) & ~uint64_t{7};
    if (pos_ > b_.size()) pos_ = b_.size();
    return true;
  }
  bool Text(std::string& out) {
    std::span<const uint8_t> f;
    if (!Field(f)) return false;
    out.assign(reinterpret_cast<const char*>(f.data()), f.size());
    return true;
  }
  bool AtEnd() const { return pos_ == b_.size(); }

private:
  std::span<const uint8_t> b_;
  size_t pos_;
};

// --- metadata module
// ----------------------------------------------------------

bool ReadLeb(std::span<const uint8_t> b, size_t& pos, uint32_t& out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= b.size()) return false;
    const uint8_t byte = b[pos++];
    v |= uint64_t(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      if (v > 0xFFFFFFFFu) return false;
      out = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

void PutLeb(std::vector<uint8_t>& out, uint32_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v) byte |= 0x80;
    out.push_back(byte);
  } while (v);
}

} // namespace

const std::string& WeftBuildVersion() {
  static const std::string v = [] {
    BuildIdSearch s{reinterpret_cast<uintptr_t>(&FindBuildId), {}};
    dl_iterate_phdr(FindBuildId, &s);
    if (s.id.empty()) s.id = std::string(__DATE__ " " __TIME__);
    return std::string(WEFT_VERSION) + " (build " + s.id + ")";
  }();
  return v;
}

bool IsArtifact(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kArtifactMagic, 8) == 0;
}

Result<std::vector<uint8_t>> MetaModule(std::span<const uint8_t> wasm) {
  const Error bad{
      "compiled tier: cannot read the module's sections", kNoOffset, {}};
  if (wasm.size() < 8) return bad;
  std::vector<uint8_t> out(wasm.begin(), wasm.begin() + 8);
  size_t pos = 8;
  while (pos < wasm.size()) {
    const uint8_t id = wasm[pos++];
    uint32_t size = 0;
    if (!ReadLeb(wasm, pos, size) || size > wasm.size() - pos) return bad;
    const std::span<const uint8_t> body = wasm.subspan(pos, size);
    pos += size;
    if (id == 0) continue; // custom sections: names, debug info
    if (id != 10) {
      out.push_back(id);
      PutLeb(out, size);
      out.insert(out.end(), body.begin(), body.end());
      continue;
    }
    size_t p = 0;
    uint32_t count = 0;
    if (!ReadLeb(body, p, count)) return bad;
    // Each body: size 3, no locals, unreachable, end.
    std::vector<uint8_t> code;
    PutLeb(code, count);
    for (uint32_t i = 0; i < count; ++i)
      code.insert(code.end(), {0x03, 0x00, 0x00, 0x0B});
    out.push_back(10);
    PutLeb(out, static_cast<uint32_t>(code.size()));
    out.insert(out.end(), code.begin(), code.end());
  }
  return out;
}

uint64_t Checksum64(std::span<const uint8_t> bytes) {
  // Four independent multiply-rotate lanes over 32-byte blocks, then the
  // tail and the length folded in (our own construction: fast, and any
  // changed, dropped or swapped 8-byte word changes the result).
  constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full;
  uint64_t lane[4] = {kP1, kP2, kP1 ^ kP2, kP1 + kP2};
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  auto round = [&](uint64_t& acc, uint64_t w) {
    acc += w * kP2;
    acc = (acc << 31) | (acc >> 33);
    acc *= kP1;
  };
  for (; n >= 32; p += 32, n -= 32)
    for (int i = 0; i < 4; ++i)
      round(lane[i], GetU64(p + 8 * i));
  uint64_t h =
      ((lane[0] << 1) | (lane[0] >> 63)) + ((lane[1] << 7) | (lane[1] >> 57)) +
      ((lane[2] << 12) | (lane[2] >> 52)) + ((lane[3] << 18) | (lane[3] >> 46));
  for (; n >= 8; p += 8, n -= 8)
    round(h, GetU64(p));
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  round(h, tail ^ (uint64_t(n) << 56));
  h ^= bytes.size();
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP1;
  h ^= h >> 32;
  return h;
}

Result<std::vector<uint8_t>> WriteArtifact(std::span<const uint8_t> wasm,
                                           const Sha256Digest& wasm_sha,
                                           const NativeCode& code,
                                           const std::string& options) {
  std::vector<uint8_t> out(kArtifactMagic, kArtifactMagic + 8);
  PutU64(out, kArtifactFormat);
  PutU64(out, 0); // file size
  PutU64(out, 0); // checksum
  PutField(out, WeftBuildVersion());
  PutField(out, code.triple);
  PutField(out, code.cpu);
  PutField(out, code.cpu_features);
  const CpuFeatures& host = HostCpu();
  PutField(out, {reinterpret_cast<const uint8_t*>(host.words.data()),
                 host.words.size() * 4});
  PutField(out, options);
  PutField(out, wasm_sha);
  auto meta = MetaModule(wasm);
  if (!meta) return meta.error();
  PutField(out, *meta);
  auto module = Decode(*meta);
  if (!module) return module.error();
  std::vector<std::span<const uint8_t>> objects(code.objects.begin(),
                                                code.objects.end());
  auto image =
      PrelinkObjects(objects, module->functions.size(), RuntimeSymbols());
  if (!image) return image.error();
  // Field data starts after its 8-byte length.
  PutField(out, SerializeImage(*image, out.size() + 8));
  const uint64_t size = out.size();
  std::memcpy(out.data() + 16, &size, 8);
  const uint64_t sum =
      Checksum64(std::span<const uint8_t>(out).subspan(kFixedHeader));
  std::memcpy(out.data() + 24, &sum, 8);
  return out;
}

Result<ArtifactInfo> ReadArtifact(std::span<const uint8_t> bytes,
                                  const std::string* options) {
  if (!IsArtifact(bytes))
    return Invalid("not a weft compiled module (no \\0WEFTAOT magic)");
  if (bytes.size() < kFixedHeader)
    return Invalid("truncated (" + std::to_string(bytes.size()) +
                   " bytes, shorter than the header)");
  uint32_t format;
  std::memcpy(&format, bytes.data() + 8, 4);
  if (format != kArtifactFormat)
    return Invalid("format " + std::to_string(format) + ", this weft reads " +
                   std::to_string(kArtifactFormat) +
                   "; compile the module again");
  const uint64_t size = GetU64(bytes.data() + 16);
  if (size > bytes.size())
    return Invalid("truncated (" + std::to_string(bytes.size()) + " of " +
                   std::to_string(size) + " bytes)");
  if (size < bytes.size())
    return Invalid("damaged (" + std::to_string(bytes.size() - size) +
                   " bytes after its end)");
  if (Checksum64(bytes.subspan(kFixedHeader)) != GetU64(bytes.data() + 24))
    return Invalid("corrupted (checksum mismatch)");
  ArtifactInfo info;
  Reader r(bytes);
  std::span<const uint8_t> cpu_words, sha;
  if (!r.Text(info.weft_version) || !r.Text(info.triple) || !r.Text(info.cpu) ||
      !r.Text(info.cpu_features) || !r.Field(cpu_words) ||
      !r.Text(info.options) || !r.Field(sha) || !r.Field(info.meta) ||
      !r.Field(info.image) ||
      cpu_words.size() != info.built_on.words.size() * 4 || sha.size() != 32)
    return Invalid("damaged (bad field layout)");
  std::memcpy(info.built_on.words.data(), cpu_words.data(), cpu_words.size());
  std::memcpy(info.wasm_sha.data(), sha.data(), 32);
  if (!r.AtEnd()) return Invalid("damaged (bytes after the code)");
  if (info.weft_version != WeftBuildVersion())
    return Invalid("made by weft " + info.weft_version + ", this is weft " +
                   WeftBuildVersion() + "; compile the module again");
  if (!CpuCompatible(info.built_on, HostCpu()))
    return Invalid("compiled for another CPU (" + info.cpu + ", " +
                   CpuFeaturesText(info.built_on) + "; this one is " +
                   CpuFeaturesText(HostCpu()) +
                   "); compile the module on this machine");
  if (options != nullptr && info.options != *options)
    return Invalid("compiled with options \"" + info.options +
                   "\", this weft wants \"" + *options +
                   "\"; compile the module again");
  return info;
}

Result<std::shared_ptr<const CompiledModule>>
LoadArtifact(std::span<const uint8_t> bytes, const std::string* options,
             int fd) {
  auto info = ReadArtifact(bytes, options);
  if (!info) return info.error();
  auto module = Decode(info->meta);
  if (!module) return Invalid("metadata: " + module.error().message);
  if (Status st = Validate(*module); !st)
    return Invalid("metadata: " + st.error().message);
  auto image = ParseImage(info->image);
  if (!image) return Invalid(image.error().message);
  // `bytes` is the whole file when fd is given: the image's offset in it.
  const ImageFile file{
      fd, static_cast<uint64_t>(image->bytes.data() - bytes.data())};
  auto loaded = LoadNativeModule(std::move(module).value(), *image,
                                 fd >= 0 ? &file : nullptr);
  if (!loaded) return Invalid(loaded.error().message);
  return loaded;
}

Result<std::shared_ptr<const CompiledModule>>
LoadArtifactFile(const std::string& path, const std::string* options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error{std::string("cannot read file: ") + std::strerror(errno),
                 kNoOffset,
                 {}};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return Invalid("truncated (empty file)");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map =
      ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (map == MAP_FAILED) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return Error{"cannot map file: " + why, kNoOffset, {}};
  }
  auto m = LoadArtifact({static_cast<const uint8_t*>(map), size}, options, fd);
  ::munmap(map, size);
  ::close(fd);
  return m;
}

} // namespace weft::native
