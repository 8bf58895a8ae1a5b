#include "native/loader.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "native/jit_module.h"

namespace weft::native {
namespace {

constexpr size_t kStubSize = 16; // jmp *[rip+0]; .quad addr; int3 int3
constexpr uint32_t kShtX8664Unwind = 0x70000001; // SHT_X86_64_UNWIND

Error LinkError(const std::string& what) {
  return Error{"compiled code: " + what, kNoOffset, {}};
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

enum class Area : uint8_t { None, Text, Ro, Rw };

// Where a symbol is: at an offset in the image, a runtime symbol, or an
// absolute value.
struct Sym {
  enum Kind : uint8_t { Internal, External, Absolute } kind = Absolute;
  uint64_t value = 0; // offset, index in Image::externals, or value
};

struct Obj {
  std::span<const uint8_t> bytes;
  size_t index = 0;
  std::vector<Elf64_Shdr> sh;
  const char* shstr = nullptr;
  size_t shstr_size = 0;
  std::vector<Elf64_Sym> syms;
  const char* str = nullptr;
  size_t str_size = 0;
  std::vector<Area> area;        // per section
  std::vector<uint64_t> where;   // per section: offset in its area
  std::vector<uintptr_t> addr;   // per section, once mapped
  std::vector<int32_t> got;      // per symbol: GOT slot, -1 none
  std::vector<int32_t> stub;     // per symbol: stub, -1 none
  std::vector<Sym> sym;          // per symbol, once resolved
  std::vector<uint8_t> sym_done; // per symbol
  std::vector<uint32_t> relas;   // SHT_RELA sections to apply
};

std::string ObjName(const Obj& o) {
  return "object " + std::to_string(o.index);
}

// A NUL-terminated name at `off` inside a string table, or nullptr.
const char* NameAt(const char* table, size_t size, uint64_t off) {
  if (table == nullptr || off >= size) return nullptr;
  if (std::memchr(table + off, 0, size - off) == nullptr) return nullptr;
  return table + off;
}

Status ParseObject(Obj& o) {
  const std::span<const uint8_t> b = o.bytes;
  Elf64_Ehdr eh;
  if (b.size() < sizeof eh) return LinkError(ObjName(o) + ": truncated");
  std::memcpy(&eh, b.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL ||
      eh.e_machine != EM_X86_64)
    return LinkError(ObjName(o) + ": not an x86-64 ELF relocatable object");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      eh.e_shoff > b.size() ||
      (b.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum ||
      eh.e_shstrndx >= eh.e_shnum)
    return LinkError(ObjName(o) + ": bad section header table");
  o.sh.resize(eh.e_shnum);
  std::memcpy(o.sh.data(), b.data() + eh.e_shoff,
              eh.e_shnum * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& s : o.sh) {
    if (s.sh_type == SHT_NOBITS || s.sh_type == SHT_NULL) continue;
    if (s.sh_offset > b.size() || s.sh_size > b.size() - s.sh_offset)
      return LinkError(ObjName(o) + ": section outside the object");
  }
  const Elf64_Shdr& ss = o.sh[eh.e_shstrndx];
  o.shstr = reinterpret_cast<const char*>(b.data() + ss.sh_offset);
  o.shstr_size = ss.sh_size;

  const size_t n = o.sh.size();
  o.area.assign(n, Area::None);
  o.where.assign(n, 0);
  o.addr.assign(n, 0);
  uint32_t symtab = 0;
  for (size_t i = 1; i < n; ++i) {
    const Elf64_Shdr& s = o.sh[i];
    const char* name = NameAt(o.shstr, o.shstr_size, s.sh_name);
    if (name == nullptr) return LinkError(ObjName(o) + ": bad section name");
    switch (s.sh_type) {
    case SHT_SYMTAB:
      if (symtab != 0) return LinkError(ObjName(o) + ": two symbol tables");
      symtab = static_cast<uint32_t>(i);
      continue;
    case SHT_RELA: o.relas.push_back(static_cast<uint32_t>(i)); continue;
    case SHT_REL:
      return LinkError(ObjName(o) + ": REL relocations are not supported");
    case SHT_INIT_ARRAY:
    case SHT_FINI_ARRAY:
    case SHT_PREINIT_ARRAY:
      return LinkError(ObjName(o) + ": constructors are not supported");
    default: break;
    }
    if (!(s.sh_flags & SHF_ALLOC)) continue;
    if (s.sh_flags & SHF_TLS)
      return LinkError(ObjName(o) + ": thread-local data is not supported");
    if (s.sh_type == kShtX8664Unwind || std::strcmp(name, ".eh_frame") == 0)
      continue; // nothing unwinds through generated code
    if (s.sh_addralign > 4096 || (s.sh_addralign & (s.sh_addralign - 1)) != 0)
      return LinkError(ObjName(o) + ": bad alignment of " + name);
    o.area[i] = (s.sh_flags & SHF_EXECINSTR) ? Area::Text
                : (s.sh_flags & SHF_WRITE)   ? Area::Rw
                                             : Area::Ro;
  }
  if (symtab == 0) return LinkError(ObjName(o) + ": no symbol table");
  const Elf64_Shdr& st = o.sh[symtab];
  if (st.sh_entsize != sizeof(Elf64_Sym) || st.sh_link >= n ||
      o.sh[st.sh_link].sh_type != SHT_STRTAB)
    return LinkError(ObjName(o) + ": bad symbol table");
  o.syms.resize(st.sh_size / sizeof(Elf64_Sym));
  std::memcpy(o.syms.data(), b.data() + st.sh_offset,
              o.syms.size() * sizeof(Elf64_Sym));
  o.str = reinterpret_cast<const char*>(b.data() + o.sh[st.sh_link].sh_offset);
  o.str_size = o.sh[st.sh_link].sh_size;
  o.got.assign(o.syms.size(), -1);
  o.stub.assign(o.syms.size(), -1);
  o.sym.assign(o.syms.size(), Sym{});
  o.sym_done.assign(o.syms.size(), 0);
  // Keep only relocation sections for loaded sections, against this
  // symbol table.
  std::vector<uint32_t> keep;
  for (uint32_t r : o.relas) {
    const Elf64_Shdr& rs = o.sh[r];
    if (rs.sh_info >= n || o.area[rs.sh_info] == Area::None) continue;
    if (rs.sh_link != symtab || rs.sh_entsize != sizeof(Elf64_Rela))
      return LinkError(ObjName(o) + ": bad relocation section");
    if (o.sh[rs.sh_info].sh_type == SHT_NOBITS)
      return LinkError(ObjName(o) + ": relocations against .bss");
    keep.push_back(r);
  }
  o.relas = std::move(keep);
  return Status();
}

bool IsGotReloc(uint32_t type) {
  return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
         type == R_X86_64_REX_GOTPCRELX || type == R_X86_64_GOTPCREL64;
}

Elf64_Rela RelaAt(const Obj& o, uint32_t sec, size_t k) {
  Elf64_Rela r;
  std::memcpy(&r, o.bytes.data() + o.sh[sec].sh_offset + k * sizeof r,
              sizeof r);
  return r;
}

class Linker {
public:
  Linker(std::vector<Obj>& objs, std::span<const ExternalSymbol> ext)
      : objs_(objs), ext_(ext) {}

  Result<Image> Run(size_t num_entries) {
    WEFT_TRY(Layout());
    Place();
    WEFT_TRY(CollectGlobals());
    for (Obj& o : objs_)
      for (uint32_t r : o.relas)
        WEFT_TRY(ApplySection(o, r));
    img_.stubs = stub_of_.size();
    img_.got_slots = got_of_.size();
    img_.entries.resize(num_entries);
    for (size_t i = 0; i < num_entries; ++i) {
      auto it = globals_.find("e" + std::to_string(i));
      if (it == globals_.end() || it->second.kind != Sym::Internal ||
          it->second.value >= img_.text_size)
        return LinkError("no entry for function " + std::to_string(i));
      img_.entries[i] = it->second.value;
    }
    return std::move(img_);
  }

private:
  Status Layout() {
    uint64_t size[4] = {0, 0, 0, 0};
    for (Obj& o : objs_) {
      for (size_t i = 1; i < o.sh.size(); ++i) {
        if (o.area[i] == Area::None) continue;
        const Elf64_Shdr& s = o.sh[i];
        uint64_t& at = size[static_cast<int>(o.area[i])];
        at = AlignUp(at, s.sh_addralign ? s.sh_addralign : 1);
        o.where[i] = at;
        if (s.sh_size > (1ull << 31)) return LinkError("section too large");
        at += s.sh_size;
      }
      // Upper bounds: a GOT slot per symbol a GOT relocation names, a stub
      // per undefined symbol a PC-relative relocation names.
      for (uint32_t r : o.relas) {
        const size_t count = o.sh[r].sh_size / sizeof(Elf64_Rela);
        for (size_t k = 0; k < count; ++k) {
          const Elf64_Rela rel = RelaAt(o, r, k);
          const uint32_t sym = ELF64_R_SYM(rel.r_info);
          const uint32_t type = ELF64_R_TYPE(rel.r_info);
          if (sym >= o.syms.size())
            return LinkError(ObjName(o) + ": bad symbol index");
          if (IsGotReloc(type) && o.got[sym] < 0)
            o.got[sym] = static_cast<int32_t>(n_got_++);
          if ((type == R_X86_64_PLT32 || type == R_X86_64_PC32) &&
              o.syms[sym].st_shndx == SHN_UNDEF && o.stub[sym] < 0)
            o.stub[sym] = static_cast<int32_t>(n_stub_++);
        }
      }
    }
    const uint64_t page = Image::kPage;
    stub_off_ = AlignUp(size[1], 16);
    img_.text_size = AlignUp(stub_off_ + n_stub_ * kStubSize, page);
    got_off_ = AlignUp(size[2], 8);
    img_.ro_size = AlignUp(got_off_ + n_got_ * 8, page);
    const uint64_t rw = AlignUp(size[3], page);
    const uint64_t total = img_.text_size + img_.ro_size + rw;
    if (total > (1ull << 32)) return LinkError("code too large");
    base_[1] = 0;
    base_[2] = img_.text_size;
    base_[3] = img_.text_size + img_.ro_size;
    img_.bytes.assign(total, 0);
    return Status();
  }

  uint8_t* At(uint64_t offset) { return img_.bytes.data() + offset; }

  void Place() {
    for (Obj& o : objs_)
      for (size_t i = 1; i < o.sh.size(); ++i) {
        if (o.area[i] == Area::None) continue;
        o.addr[i] = base_[static_cast<int>(o.area[i])] + o.where[i];
        const Elf64_Shdr& s = o.sh[i];
        if (s.sh_type != SHT_NOBITS && s.sh_size != 0)
          std::memcpy(At(o.addr[i]), o.bytes.data() + s.sh_offset, s.sh_size);
      }
  }

  Status CollectGlobals() {
    size_t n = 0;
    for (const Obj& o : objs_)
      n += o.syms.size();
    globals_.reserve(n);
    for (Obj& o : objs_)
      for (size_t k = 1; k < o.syms.size(); ++k) {
        const Elf64_Sym& s = o.syms[k];
        const unsigned bind = ELF64_ST_BIND(s.st_info);
        if ((bind != STB_GLOBAL && bind != STB_WEAK) || s.st_shndx == SHN_UNDEF)
          continue;
        const char* name = NameAt(o.str, o.str_size, s.st_name);
        if (name == nullptr) return LinkError(ObjName(o) + ": bad symbol name");
        auto a = Defined(o, s);
        if (!a) return a.error();
        auto [it, fresh] = globals_.emplace(std::string_view(name), *a);
        if (!fresh && bind != STB_WEAK)
          return LinkError(std::string("symbol defined twice: ") + name);
      }
    return Status();
  }

  Result<Sym> Defined(const Obj& o, const Elf64_Sym& s) {
    if (s.st_shndx == SHN_ABS) return Sym{Sym::Absolute, s.st_value};
    if (s.st_shndx == SHN_COMMON || s.st_shndx >= SHN_LORESERVE ||
        s.st_shndx >= o.sh.size())
      return LinkError(ObjName(o) + ": unsupported symbol section");
    if (o.area[s.st_shndx] == Area::None)
      return LinkError(ObjName(o) + ": symbol in a section not loaded");
    if (s.st_value > o.sh[s.st_shndx].sh_size)
      return LinkError(ObjName(o) + ": symbol outside its section");
    return Sym{Sym::Internal, o.addr[s.st_shndx] + s.st_value};
  }

  // Each symbol is resolved once per object (relocations name the same
  // helpers and functions many times).
  Result<Sym> Resolve(Obj& o, uint32_t k) {
    if (o.sym_done[k]) return o.sym[k];
    auto r = ResolveOnce(o, k);
    if (r) {
      o.sym[k] = *r;
      o.sym_done[k] = 1;
    }
    return r;
  }

  Result<Sym> ResolveOnce(const Obj& o, uint32_t k) {
    if (k == 0) return Sym{};
    const Elf64_Sym& s = o.syms[k];
    if (s.st_shndx != SHN_UNDEF) return Defined(o, s);
    const char* name = NameAt(o.str, o.str_size, s.st_name);
    if (name == nullptr) return LinkError(ObjName(o) + ": bad symbol name");
    if (auto it = globals_.find(name); it != globals_.end()) return it->second;
    for (size_t i = 0; i < img_.externals.size(); ++i)
      if (img_.externals[i] == name) return Sym{Sym::External, i};
    for (const ExternalSymbol& e : ext_)
      if (std::strcmp(e.name, name) == 0) {
        img_.externals.push_back(name);
        return Sym{Sym::External, img_.externals.size() - 1};
      }
    if (ELF64_ST_BIND(s.st_info) == STB_WEAK) return Sym{};
    return LinkError(std::string("undefined symbol ") + name);
  }

  // Writes the 64-bit value of `s` (+ addend) at `at`, with the fixup it
  // needs.
  void Put64(uint64_t at, const Sym& s, int64_t addend) {
    uint64_t v = s.value + uint64_t(addend);
    if (s.kind == Sym::External) {
      v = uint64_t(addend);
      img_.fixups.push_back(
          {at, Image::kSymbol, static_cast<uint32_t>(s.value)});
    } else if (s.kind == Sym::Internal) {
      img_.fixups.push_back({at, Image::kRelative, 0});
    }
    std::memcpy(At(at), &v, 8);
  }

  // One GOT slot and one stub per target, however many objects and
  // relocations name it (the reserved areas are upper bounds).
  uint64_t GotSlot(const Sym& s) {
    auto [it, fresh] = got_of_.emplace(Key(s), 0);
    if (!fresh) return it->second;
    const uint64_t slot =
        base_[2] + got_off_ + 8 * uint64_t(got_of_.size() - 1);
    Put64(slot, s, 0);
    it->second = slot;
    return slot;
  }

  uint64_t Stub(const Sym& s) {
    auto [it, fresh] = stub_of_.emplace(Key(s), 0);
    if (!fresh) return it->second;
    const uint64_t at =
        base_[1] + stub_off_ + kStubSize * uint64_t(stub_of_.size() - 1);
    const uint8_t code[kStubSize] = {
        0xFF, 0x25, 0, 0, 0, 0, 0,    0,
        0,    0,    0, 0, 0, 0, 0xCC, 0xCC}; // jmp *[rip]
    std::memcpy(At(at), code, kStubSize);
    Put64(at + 6, s, 0);
    it->second = at;
    return at;
  }

  static uint64_t Key(const Sym& s) {
    return (uint64_t(s.kind) << 62) ^ s.value;
  }

  Status ApplySection(Obj& o, uint32_t r) {
    const Elf64_Shdr& rs = o.sh[r];
    const Elf64_Shdr& target = o.sh[rs.sh_info];
    const uint64_t sec = o.addr[rs.sh_info];
    const size_t count = rs.sh_size / sizeof(Elf64_Rela);
    const int64_t got = int64_t(base_[2] + got_off_);
    for (size_t i = 0; i < count; ++i) {
      const Elf64_Rela rel = RelaAt(o, r, i);
      const uint32_t k = ELF64_R_SYM(rel.r_info);
      const uint32_t type = ELF64_R_TYPE(rel.r_info);
      if (type == R_X86_64_NONE) continue;
      const bool wide = type == R_X86_64_64 || type == R_X86_64_PC64 ||
                        type == R_X86_64_GOTPC64 || type == R_X86_64_GOTOFF64 ||
                        type == R_X86_64_GOTPCREL64;
      const unsigned width = wide ? 8 : 4;
      if (rel.r_offset > target.sh_size ||
          target.sh_size - rel.r_offset < width)
        return LinkError(ObjName(o) + ": relocation outside its section");
      auto sr = Resolve(o, k);
      if (!sr) return sr.error();
      const Sym S = *sr;
      const int64_t A = rel.r_addend;
      const uint64_t P = sec + rel.r_offset;
      auto pcrel = [&]() -> Result<int64_t> {
        if (S.kind == Sym::Internal) return int64_t(S.value) + A - int64_t(P);
        if (S.kind == Sym::External) return int64_t(Stub(S)) + A - int64_t(P);
        return LinkError(ObjName(o) +
                         ": PC-relative reference to an absolute symbol");
      };
      int64_t v = 0;
      switch (type) {
      case R_X86_64_64:
        Put64(P, S, A);
        ++img_.relocations;
        continue;
      case R_X86_64_PC64:
      case R_X86_64_PC32:
      case R_X86_64_PLT32: {
        auto pv = pcrel();
        if (!pv) return pv.error();
        v = *pv;
        break;
      }
      case R_X86_64_GOTPCREL:
      case R_X86_64_GOTPCRELX:
      case R_X86_64_REX_GOTPCRELX:
      case R_X86_64_GOTPCREL64: v = int64_t(GotSlot(S)) + A - int64_t(P); break;
      case R_X86_64_GOTPC32:
      case R_X86_64_GOTPC64: v = got + A - int64_t(P); break;
      case R_X86_64_GOTOFF64:
        if (S.kind != Sym::Internal)
          return LinkError(ObjName(o) + ": GOTOFF64 to a runtime symbol");
        v = int64_t(S.value) + A - got;
        break;
      default:
        return LinkError(ObjName(o) + ": unsupported relocation type " +
                         std::to_string(type) +
                         " (not position-independent code?)");
      }
      if (width == 8) {
        std::memcpy(At(P), &v, 8);
      } else {
        if (v < INT32_MIN || v > INT32_MAX)
          return LinkError(ObjName(o) + ": relocation out of range");
        const int32_t w = static_cast<int32_t>(v);
        std::memcpy(At(P), &w, 4);
      }
      ++img_.relocations;
    }
    return Status();
  }

  std::vector<Obj>& objs_;
  std::span<const ExternalSymbol> ext_;
  Image img_;
  std::unordered_map<std::string_view, Sym> globals_;
  std::unordered_map<uint64_t, uint64_t> got_of_, stub_of_;
  uint64_t base_[4] = {0, 0, 0, 0}; // by Area
  size_t n_got_ = 0, n_stub_ = 0;
  uint64_t stub_off_ = 0, got_off_ = 0;
};

template <typename F> void* Fn(F* f) { return reinterpret_cast<void*>(f); }

} // namespace

LoadedCode::~LoadedCode() {
  if (base != nullptr) munmap(base, size);
}

Result<Image> PrelinkObjects(std::span<const std::span<const uint8_t>> objects,
                             size_t num_entries,
                             std::span<const ExternalSymbol> externals) {
  std::vector<Obj> objs(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    objs[i].bytes = objects[i];
    objs[i].index = i;
    WEFT_TRY(ParseObject(objs[i]));
  }
  return Linker(objs, externals).Run(num_entries);
}

// Blob: "WEFTIMG1", u64 text_size, ro_size, total size, fixup count,
// external count, entry count; the fixups (u64 offset, u32 kind, u32
// symbol); the externals (u32 length + name); the entries (u64); zeros to a
// multiple of 16; the image bytes.
namespace {

constexpr char kImageMagic[8] = {'W', 'E', 'F', 'T', 'I', 'M', 'G', '1'};

void Put(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

} // namespace

std::vector<uint8_t> SerializeImage(const Image& image, uint64_t at) {
  std::vector<uint8_t> out(kImageMagic, kImageMagic + 8);
  const uint64_t head[6] = {image.text_size,        image.ro_size,
                            image.bytes.size(),     image.fixups.size(),
                            image.externals.size(), image.entries.size()};
  Put(out, head, sizeof head);
  for (const Image::Fixup& f : image.fixups) {
    Put(out, &f.offset, 8);
    Put(out, &f.kind, 4);
    Put(out, &f.symbol, 4);
  }
  for (const std::string& e : image.externals) {
    const uint32_t n = static_cast<uint32_t>(e.size());
    Put(out, &n, 4);
    Put(out, e.data(), e.size());
  }
  for (uint64_t e : image.entries)
    Put(out, &e, 8);
  // The header says nothing about the padding: ParseImage finds the bytes
  // as the last `total` bytes of the blob.
  while ((at + out.size()) % Image::kPage != 0)
    out.push_back(0);
  Put(out, image.bytes.data(), image.bytes.size());
  return out;
}

ImageView ViewOf(const Image& image) {
  ImageView v;
  v.bytes = image.bytes;
  v.text_size = image.text_size;
  v.ro_size = image.ro_size;
  v.fixups = image.fixups;
  v.externals = image.externals;
  v.entries = image.entries;
  return v;
}

Result<ImageView> ParseImage(std::span<const uint8_t> blob) {
  const Error bad = LinkError("damaged code image");
  size_t pos = 0;
  auto take = [&](void* out, size_t n) {
    if (blob.size() - pos < n) return false;
    std::memcpy(out, blob.data() + pos, n);
    pos += n;
    return true;
  };
  char magic[8];
  uint64_t head[6];
  if (!take(magic, 8) || std::memcmp(magic, kImageMagic, 8) != 0 ||
      !take(head, sizeof head))
    return bad;
  ImageView v;
  v.text_size = head[0];
  v.ro_size = head[1];
  const uint64_t total = head[2];
  const uint64_t page = Image::kPage;
  if (v.text_size % page || v.ro_size % page || total % page ||
      v.text_size > total || v.ro_size > total - v.text_size ||
      head[3] > blob.size() / 16 || head[4] > blob.size() / 4 ||
      head[5] > blob.size() / 8)
    return bad;
  v.fixups.resize(head[3]);
  for (Image::Fixup& f : v.fixups) {
    if (!take(&f.offset, 8) || !take(&f.kind, 4) || !take(&f.symbol, 4))
      return bad;
    if (f.offset > total || total - f.offset < 8 || f.kind > 1 ||
        (f.kind == Image::kSymbol && f.symbol >= head[4]))
      return bad;
  }
  v.externals.resize(head[4]);
  for (std::string& e : v.externals) {
    uint32_t n = 0;
    if (!take(&n, 4) || blob.size() - pos < n) return bad;
    e.assign(reinterpret_cast<const char*>(blob.data() + pos), n);
    pos += n;
  }
  v.entries.resize(head[5]);
  for (uint64_t& e : v.entries)
    if (!take(&e, 8) || e >= v.text_size) return bad;
  if (blob.size() - pos < total || blob.size() - pos - total >= Image::kPage)
    return bad;
  v.bytes = blob.subspan(blob.size() - total);
  return v;
}

Result<std::shared_ptr<LoadedCode>> LoadImage(const ImageView& image,
                                              std::vector<void*>& entries,
                                              const ImageFile* file) {
  // The runtime symbols first: an unknown name loads nothing.
  const std::span<const ExternalSymbol> table = RuntimeSymbols();
  std::vector<uint64_t> addr(image.externals.size());
  for (size_t i = 0; i < image.externals.size(); ++i) {
    const ExternalSymbol* found = nullptr;
    for (const ExternalSymbol& e : table)
      if (image.externals[i] == e.name) found = &e;
    if (found == nullptr)
      return LinkError("undefined symbol " + image.externals[i]);
    addr[i] = reinterpret_cast<uint64_t>(found->addr);
  }
  const size_t total = image.bytes.size();
  if (total == 0) return std::make_shared<LoadedCode>(); // no functions
  void* p = MAP_FAILED;
  if (file != nullptr && file->fd >= 0 && file->offset % Image::kPage == 0)
    p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE, file->fd,
             static_cast<off_t>(file->offset));
  const bool copy = p == MAP_FAILED;
  if (copy) {
    // MAP_POPULATE: every page is written below; faulting them in as one
    // batch is cheaper than one fault per page.
    p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) return LinkError("cannot map code");
  }
  auto code = std::make_shared<LoadedCode>();
  code->base = static_cast<uint8_t*>(p);
  code->size = total;
  if (copy) std::memcpy(p, image.bytes.data(), total);
  const uint64_t base = reinterpret_cast<uint64_t>(p);
  for (const Image::Fixup& f : image.fixups) {
    uint64_t v;
    std::memcpy(&v, code->base + f.offset, 8);
    v += f.kind == Image::kRelative ? base : addr[f.symbol];
    std::memcpy(code->base + f.offset, &v, 8);
  }
  if (image.text_size &&
      mprotect(p, image.text_size, PROT_READ | PROT_EXEC) != 0)
    return LinkError("cannot make code executable");
  if (image.ro_size &&
      mprotect(code->base + image.text_size, image.ro_size, PROT_READ) != 0)
    return LinkError("cannot protect read-only data");
  entries.resize(image.entries.size());
  for (size_t i = 0; i < image.entries.size(); ++i)
    entries[i] = code->base + image.entries[i];
  return code;
}

std::span<const ExternalSymbol> RuntimeSymbols() {
  static const std::vector<ExternalSymbol> table = [] {
    std::vector<ExternalSymbol> t;
    size_t n = 0;
    const jit::HelperSymbol* h = jit::Helpers(n);
    for (size_t i = 0; i < n; ++i)
      t.push_back({h[i].name, h[i].addr});
    using D1 = double(double);
    using F1 = float(float);
    using D2 = double(double, double);
    using F2 = float(float, float);
    const ExternalSymbol libc[] = {
        {"memcpy", Fn(&std::memcpy)},
        {"memmove", Fn(&std::memmove)},
        {"memset", Fn(&std::memset)},
        {"fmod", Fn(static_cast<D2*>(&::fmod))},
        {"fmodf", Fn(static_cast<F2*>(&::fmodf))},
        {"floor", Fn(static_cast<D1*>(&::floor))},
        {"floorf", Fn(static_cast<F1*>(&::floorf))},
        {"ceil", Fn(static_cast<D1*>(&::ceil))},
        {"ceilf", Fn(static_cast<F1*>(&::ceilf))},
        {"trunc", Fn(static_cast<D1*>(&::trunc))},
        {"truncf", Fn(static_cast<F1*>(&::truncf))},
        {"nearbyint", Fn(static_cast<D1*>(&::nearbyint))},
        {"nearbyintf", Fn(static_cast<F1*>(&::nearbyintf))},
        {"rint", Fn(static_cast<D1*>(&::rint))},
        {"rintf", Fn(static_cast<F1*>(&::rintf))},
        {"roundeven", Fn(static_cast<D1*>(&::roundeven))},
        {"roundevenf", Fn(static_cast<F1*>(&::roundevenf))},
        {"sqrt", Fn(static_cast<D1*>(&::sqrt))},
        {"sqrtf", Fn(static_cast<F1*>(&::sqrtf))},
        {"fmin", Fn(static_cast<D2*>(&::fmin))},
        {"fminf", Fn(static_cast<F2*>(&::fminf))},
        {"fmax", Fn(static_cast<D2*>(&::fmax))},
        {"fmaxf", Fn(static_cast<F2*>(&::fmaxf))},
        {"copysign", Fn(static_cast<D2*>(&::copysign))},
        {"copysignf", Fn(static_cast<F2*>(&::copysignf))},
    };
    t.insert(t.end(), std::begin(libc), std::end(libc));
    return t;
  }();
  return table;
}

Result<std::shared_ptr<const CompiledModule>>
LoadNativeModule(Module module, const ImageView& image, const ImageFile* file) {
  if (image.entries.size() != module.functions.size())
    return LinkError("the code has " + std::to_string(image.entries.size()) +
                     " functions, the module " +
                     std::to_string(module.functions.size()));
  std::vector<void*> entries;
  auto code = LoadImage(image, entries, file);
  if (!code) return code.error();
  auto jm = std::make_shared<jit::JitModule>();
  jm->entries.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i)
    jm->entries[i] = reinterpret_cast<jit::EntryFn>(entries[i]);
  jm->mod = std::move(module);
  jm->keepalive = std::move(*code);
  return std::shared_ptr<const CompiledModule>(std::move(jm));
}

Result<std::shared_ptr<const CompiledModule>>
LoadNativeModule(Module module,
                 std::span<const std::span<const uint8_t>> objects) {
  auto image =
      PrelinkObjects(objects, module.functions.size(), RuntimeSymbols());
  if (!image) return image.error();
  return LoadNativeModule(std::move(module), ViewOf(*image));
}

} // namespace weft::native
