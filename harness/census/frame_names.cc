#include "harness/census/frame_names.h"

#include <gelf.h>

#include <cstdio>
#include <filesystem>

#include "harness/census/thread_stacks.h"

namespace faultline {
namespace {

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Whether `mod` has a full symbol table: debug information (in the file or
// found apart, e.g. libc6-dbg's) or a .symtab. A stripped file keeps only
// .dynsym, its exported functions: its other frames cannot be named, so a
// pattern naming them would match nothing and a `held` check pass unseen.
bool HasFullSymbols(Dwfl_Module* mod) {
  Dwarf_Addr bias = 0;
  if (dwfl_module_getdwarf(mod, &bias) != nullptr) return true;
  Elf* elf = dwfl_module_getelf(mod, &bias);
  for (Elf_Scn* scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn != nullptr;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) != nullptr && header.sh_type == SHT_SYMTAB) return true;
  }
  return false;
}

}  // namespace

const std::string& FrameNames::Name(Dwarf_Addr pc) {
  auto it = names_.find(pc);
  if (it == names_.end()) it = names_.emplace(pc, Symbolize(pc)).first;
  return it->second;
}

std::string FrameNames::Symbolize(Dwarf_Addr pc) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, pc);
  if (mod == nullptr) return "?? (" + Hex(pc) + ")";
  Dwarf_Addr start = 0;
  const char* mod_name =
      dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string module = Basename(mod_name ? mod_name : "?");
  const char* symbol = dwfl_module_addrname(mod, pc);
  Module& names = modules_[mod];
  names.name = module;
  if (symbol == nullptr) {
    ++names.unnamed;
    return "?? (" + module + "+" + Hex(pc - start) + ")";
  }
  std::string text = FunctionName(symbol);
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file != nullptr && lineno > 0)
      text += " (" + Basename(file) + ":" + std::to_string(lineno) + ")";
  }
  return text;
}

std::set<std::string> FrameNames::StrippedExecutable(pid_t tid) const {
  std::set<std::string> out;
  std::error_code ignored;
  const std::string exe =
      std::filesystem::read_symlink("/proc/" + std::to_string(tid) + "/exe", ignored);
  for (const auto& [mod, names] : modules_) {
    const char* file =
        dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (names.unnamed > 0 && file != nullptr && exe == file && !HasFullSymbols(mod)) {
      out.insert(names.name);
    }
  }
  return out;
}

}  // namespace faultline
