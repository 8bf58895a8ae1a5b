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

struct Obj {
  std::span<const uint8_t> bytes;
  size_t index = 0;
  std::vector<Elf64_Shdr> sh;
  const char* shstr = nullptr;
  size_t shstr_size = 0;
  std::vector<Elf64_Sym> syms;
  const char* str = nullptr;
  size_t str_size = 0;
  std::vector<Area> area;          // per section
  std::vector<uint64_t> where;     // per section: offset in its area
  std::vector<uintptr_t> addr;     // per section, once mapped
  std::vector<int32_t> got;        // per symbol: GOT slot, -1 none
  std::vector<int32_t> stub;       // per symbol: stub, -1 none
  std::vector<uintptr_t> sym_addr; // per symbol, once resolved
  std::vector<uint8_t> sym_done;
  std::vector<uint32_t> relas; // SHT_RELA sections to apply
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
  o.sym_addr.assign(o.syms.size(), 0);
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

  Result<LinkedObjects> Run() {
    WEFT_TRY(Layout());
    WEFT_TRY(Map());
    WEFT_TRY(CollectGlobals());
    for (Obj& o : objs_)
      for (uint32_t r : o.relas)
        WEFT_TRY(ApplySection(o, r));
    WEFT_TRY(Protect());
    code_->stubs = stub_used_;
    code_->got_slots = got_used_;
    LinkedObjects out;
    out.code = std::move(code_);
    out.symbols = std::move(globals_);
    return out;
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
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    stub_off_ = AlignUp(size[1], 16);
    text_size_ = AlignUp(stub_off_ + n_stub_ * kStubSize, page);
    got_off_ = AlignUp(size[2], 8);
    ro_size_ = AlignUp(got_off_ + n_got_ * 8, page);
    rw_size_ = AlignUp(size[3], page);
    if (text_size_ + ro_size_ + rw_size_ == 0) text_size_ = page;
    return Status();
  }

  Status Map() {
    const size_t total = text_size_ + ro_size_ + rw_size_;
    // MAP_POPULATE: every page is written below; faulting them in as one
    // batch is cheaper than one fault per page.
    void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) return LinkError("cannot map code");
    code_ = std::make_shared<LoadedCode>();
    code_->base = static_cast<uint8_t*>(p);
    code_->size = total;
    code_->stubs = n_stub_;
    code_->got_slots = n_got_;
    base_[1] = reinterpret_cast<uintptr_t>(p);
    base_[2] = base_[1] + text_size_;
    base_[3] = base_[2] + ro_size_;
    for (Obj& o : objs_)
      for (size_t i = 1; i < o.sh.size(); ++i) {
        if (o.area[i] == Area::None) continue;
        o.addr[i] = base_[static_cast<int>(o.area[i])] + o.where[i];
        const Elf64_Shdr& s = o.sh[i];
        if (s.sh_type != SHT_NOBITS && s.sh_size != 0)
          std::memcpy(reinterpret_cast<void*>(o.addr[i]),
                      o.bytes.data() + s.sh_offset, s.sh_size);
      }
    return Status();
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

  Result<uintptr_t> Defined(const Obj& o, const Elf64_Sym& s) {
    if (s.st_shndx == SHN_ABS) return uintptr_t{s.st_value};
    if (s.st_shndx == SHN_COMMON || s.st_shndx >= SHN_LORESERVE ||
        s.st_shndx >= o.sh.size())
      return LinkError(ObjName(o) + ": unsupported symbol section");
    if (o.area[s.st_shndx] == Area::None)
      return LinkError(ObjName(o) + ": symbol in a section not loaded");
    if (s.st_value > o.sh[s.st_shndx].sh_size)
      return LinkError(ObjName(o) + ": symbol outside its section");
    return o.addr[s.st_shndx] + s.st_value;
  }

  // Each symbol is resolved once per object (relocations name the same
  // helpers and functions many times).
  Result<uintptr_t> Resolve(Obj& o, uint32_t k) {
    if (o.sym_done[k]) return o.sym_addr[k];
    auto r = ResolveOnce(o, k);
    if (r) {
      o.sym_addr[k] = *r;
      o.sym_done[k] = 1;
    }
    return r;
  }

  Result<uintptr_t> ResolveOnce(const Obj& o, uint32_t k) {
    if (k == 0) return uintptr_t{0};
    const Elf64_Sym& s = o.syms[k];
    if (s.st_shndx != SHN_UNDEF) return Defined(o, s);
    const char* name = NameAt(o.str, o.str_size, s.st_name);
    if (name == nullptr) return LinkError(ObjName(o) + ": bad symbol name");
    if (auto it = globals_.find(name); it != globals_.end()) return it->second;
    for (const ExternalSymbol& e : ext_)
      if (std::strcmp(e.name, name) == 0)
        return reinterpret_cast<uintptr_t>(e.addr);
    if (ELF64_ST_BIND(s.st_info) == STB_WEAK) return uintptr_t{0};
    return LinkError(std::string("undefined symbol ") + name);
  }

  // One GOT slot and one stub per target address, however many objects
  // and symbols name it (the reserved areas are upper bounds).
  uintptr_t GotSlot(Obj&, uint32_t, uintptr_t s) {
    auto [it, fresh] = got_of_.emplace(s, 0);
    if (!fresh) return it->second;
    const uintptr_t slot = base_[2] + got_off_ + 8 * uint64_t(got_used_++);
    std::memcpy(reinterpret_cast<void*>(slot), &s, 8);
    it->second = slot;
    return slot;
  }

  uintptr_t Stub(Obj&, uint32_t, uintptr_t s) {
    auto [it, fresh] = stub_of_.emplace(s, 0);
    if (!fresh) return it->second;
    const uintptr_t at =
        base_[1] + stub_off_ + kStubSize * uint64_t(stub_used_++);
    it->second = at;
    uint8_t code[kStubSize] = {0xFF, 0x25, 0, 0, 0, 0}; // jmp *[rip+0]
    std::memcpy(code + 6, &s, 8);
    code[14] = code[15] = 0xCC;
    std::memcpy(reinterpret_cast<void*>(at), code, kStubSize);
    return at;
  }

  Status ApplySection(Obj& o, uint32_t r) {
    const Elf64_Shdr& rs = o.sh[r];
    const Elf64_Shdr& target = o.sh[rs.sh_info];
    const uintptr_t sec = o.addr[rs.sh_info];
    const size_t count = rs.sh_size / sizeof(Elf64_Rela);
    const uintptr_t got = base_[2] + got_off_;
    for (size_t i = 0; i < count; ++i) {
      const Elf64_Rela rel = RelaAt(o, r, i);
      const uint32_t k = ELF64_R_SYM(rel.r_info);
      const uint32_t type = ELF64_R_TYPE(rel.r_info);
      if (type == R_X86_64_NONE) continue;
      const unsigned width =
          (type == R_X86_64_64 || type == R_X86_64_PC64 ||
           type == R_X86_64_GOTPC64 || type == R_X86_64_GOTOFF64 ||
           type == R_X86_64_GOTPCREL64)
              ? 8
              : 4;
      if (rel.r_offset > target.sh_size ||
          target.sh_size - rel.r_offset < width)
        return LinkError(ObjName(o) + ": relocation outside its section");
      auto sr = Resolve(o, k);
      if (!sr) return sr.error();
      const uintptr_t S = *sr;
      const int64_t A = rel.r_addend;
      const uintptr_t P = sec + rel.r_offset;
      int64_t v = 0;
      bool pc32 = false, abs32 = false, s32 = false;
      switch (type) {
      case R_X86_64_64: v = int64_t(S + A); break;
      case R_X86_64_PC64: v = int64_t(S + A - P); break;
      case R_X86_64_PC32:
      case R_X86_64_PLT32: {
        v = int64_t(S + A - P);
        if ((v < INT32_MIN || v > INT32_MAX) && o.stub[k] >= 0)
          v = int64_t(Stub(o, k, S) + A - P);
        pc32 = true;
        break;
      }
      case R_X86_64_GOTPCREL:
      case R_X86_64_GOTPCRELX:
      case R_X86_64_REX_GOTPCRELX:
        v = int64_t(GotSlot(o, k, S) + A - P);
        pc32 = true;
        break;
      case R_X86_64_GOTPCREL64: v = int64_t(GotSlot(o, k, S) + A - P); break;
      case R_X86_64_GOTPC32:
        v = int64_t(got + A - P);
        pc32 = true;
        break;
      case R_X86_64_GOTPC64: v = int64_t(got + A - P); break;
      case R_X86_64_GOTOFF64: v = int64_t(S + A - got); break;
      case R_X86_64_32:
        v = int64_t(S + A);
        abs32 = true;
        break;
      case R_X86_64_32S:
        v = int64_t(S + A);
        s32 = true;
        break;
      default:
        return LinkError(ObjName(o) + ": unsupported relocation type " +
                         std::to_string(type));
      }
      if (width == 8) {
        std::memcpy(reinterpret_cast<void*>(P), &v, 8);
      } else {
        if ((pc32 || s32) && (v < INT32_MIN || v > INT32_MAX))
          return LinkError(ObjName(o) + ": relocation out of range");
        if (abs32 && (v < 0 || v > int64_t(UINT32_MAX)))
          return LinkError(ObjName(o) + ": relocation out of range");
        const uint32_t w = static_cast<uint32_t>(v);
        std::memcpy(reinterpret_cast<void*>(P), &w, 4);
      }
      ++code_->relocations;
    }
    return Status();
  }

  Status Protect() {
    uint8_t* p = code_->base;
    if (text_size_ && mprotect(p, text_size_, PROT_READ | PROT_EXEC) != 0)
      return LinkError("cannot make code executable");
    if (ro_size_ && mprotect(p + text_size_, ro_size_, PROT_READ) != 0)
      return LinkError("cannot protect read-only data");
    return Status();
  }

  std::vector<Obj>& objs_;
  std::span<const ExternalSymbol> ext_;
  std::shared_ptr<LoadedCode> code_;
  std::unordered_map<std::string_view, uintptr_t> globals_;
  std::unordered_map<uintptr_t, uintptr_t> got_of_, stub_of_;
  size_t got_used_ = 0, stub_used_ = 0;
  uintptr_t base_[4] = {0, 0, 0, 0}; // by Area
  size_t n_got_ = 0, n_stub_ = 0;
  uint64_t stub_off_ = 0, got_off_ = 0;
  uint64_t text_size_ = 0, ro_size_ = 0, rw_size_ = 0;
};

template <typename F> void* Fn(F* f) { return reinterpret_cast<void*>(f); }

} // namespace

LoadedCode::~LoadedCode() {
  if (base != nullptr) munmap(base, size);
}

Result<LinkedObjects>
LinkObjects(std::span<const std::span<const uint8_t>> objects,
            std::span<const ExternalSymbol> externals) {
  std::vector<Obj> objs(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    objs[i].bytes = objects[i];
    objs[i].index = i;
    WEFT_TRY(ParseObject(objs[i]));
  }
  return Linker(objs, externals).Run();
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
LoadNativeModule(Module module,
                 std::span<const std::span<const uint8_t>> objects) {
  auto linked = LinkObjects(objects, RuntimeSymbols());
  if (!linked) return linked.error();
  auto jm = std::make_shared<jit::JitModule>();
  jm->entries.resize(module.functions.size());
  std::string name;
  for (size_t i = 0; i < module.functions.size(); ++i) {
    name = "e" + std::to_string(i);
    auto it = linked->symbols.find(name);
    if (it == linked->symbols.end())
      return LinkError("no entry for function " + std::to_string(i));
    jm->entries[i] = reinterpret_cast<jit::EntryFn>(it->second);
  }
  jm->mod = std::move(module);
  jm->keepalive = std::move(linked->code);
  return std::shared_ptr<const CompiledModule>(std::move(jm));
}

} // namespace weft::native
