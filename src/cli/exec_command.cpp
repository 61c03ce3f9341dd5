// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/exec_command.hpp"

#include <elf.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/control_client.hpp"
#include "common/ip.hpp"
#include "plan/ownership.hpp"

#ifndef UPLINKD_EXEC_SHIM
#define UPLINKD_EXEC_SHIM "/usr/lib/uplinkd/libuplinkd-exec.so"
#endif

namespace uplinkd {
namespace {

constexpr const char* kShimName = "libuplinkd-exec.so";

// The address of one family of a status entry ("100.64.1.23/24"), without its length, when that side is not
// down; empty otherwise.
std::string usable_address(const nlohmann::json& side, Family family) {
  if (!side.is_object() || side.value("state", std::string("down")) == "down") return "";
  const auto address = side.find("address");
  if (address == side.end() || !address->is_string()) return "";
  const auto prefix = Prefix::parse(address->get<std::string>());
  if (!prefix || prefix->family() != family) return "";
  return prefix->address.to_string();
}

std::string why_of(const nlohmann::json& side) {
  if (!side.is_object()) return "";
  const auto why = side.find("why");
  return why != side.end() && why->is_string() ? why->get<std::string>() : "";
}

// Why an uplink down in both families is not usable: IPv4's reason, and IPv6's when it says more than that
// the uplink has no IPv6 at all.
std::string down_reason(const nlohmann::json& entry) {
  std::string why = why_of(entry);
  const std::string why6 = why_of(entry.value("ipv6", nlohmann::json()));
  const bool no_ipv6 = why6.empty() || why6 == why || why6.find("is not balanced") != std::string::npos ||
                       why6.rfind("no global IPv6 address", 0) == 0;
  if (why.empty()) why = "down";
  return no_ipv6 ? why : why + "; IPv6: " + why6;
}

// The ELF identity of this process, which the preload library shares (same build).
struct ElfIdentity {
  unsigned char elf_class = 0;
  uint16_t machine = 0;
};

template <typename T>
bool read_at(std::ifstream& file, uint64_t offset, T& out) {
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(reinterpret_cast<char*>(&out), sizeof out);
  return static_cast<size_t>(file.gcount()) == sizeof out;
}

// Whether the 64-bit ELF file has a section of one of these names (Go's build id note and build info).
bool has_go_sections(std::ifstream& file, const Elf64_Ehdr& header) {
  if (header.e_shoff == 0 || header.e_shnum == 0 || header.e_shnum > 4096 ||
      header.e_shstrndx >= header.e_shnum || header.e_shentsize != sizeof(Elf64_Shdr))
    return false;
  Elf64_Shdr names{};
  if (!read_at(file, header.e_shoff + uint64_t{header.e_shstrndx} * sizeof(Elf64_Shdr), names) ||
      names.sh_size > (1u << 20))
    return false;
  std::string table(names.sh_size, '\0');
  file.seekg(static_cast<std::streamoff>(names.sh_offset));
  file.read(table.data(), static_cast<std::streamsize>(table.size()));
  if (static_cast<size_t>(file.gcount()) != table.size()) return false;
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section{};
    if (!read_at(file, header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), section)) return false;
    if (section.sh_name >= table.size()) continue;
    const char* name = table.c_str() + section.sh_name;
    if (std::strcmp(name, ".note.go.buildid") == 0 || std::strcmp(name, ".go.buildinfo") == 0) return true;
  }
  return false;
}

ElfIdentity own_identity() {
  ElfIdentity identity;
  std::ifstream self("/proc/self/exe", std::ios::binary);
  unsigned char ident[EI_NIDENT + 4] = {};
  self.read(reinterpret_cast<char*>(ident), sizeof ident);
  identity.elf_class = ident[EI_CLASS];
  std::memcpy(&identity.machine, ident + EI_NIDENT + 2, sizeof identity.machine);  // after e_type
  return identity;
}

void set_environment(const char* name, const std::string& value) {
  if (::setenv(name, value.c_str(), 1) != 0)
    throw std::runtime_error(std::string("cannot set ") + name + ": " + std::strerror(errno));
}

}  // namespace

ExecChoice choose_exec_target(const nlohmann::json& status, const std::string& name) {
  const auto uplinks = status.value("uplinks", nlohmann::json::array());
  std::string known;
  for (const auto& entry : uplinks) {
    if (!entry.is_object()) continue;
    const std::string entry_name = entry.value("name", std::string());
    known += (known.empty() ? "" : ", ") + entry_name;
    if (entry_name != name) continue;
    ExecTarget target;
    target.uplink = name;
    target.mark = ownership::uplink_mark(entry.value("table", uint32_t{0}));
    target.address = usable_address(entry, Family::v4);
    target.address6 = usable_address(entry.value("ipv6", nlohmann::json()), Family::v6);
    if (target.address.empty() && target.address6.empty())
      return {std::nullopt, "uplink " + name + " is not usable: " + down_reason(entry)};
    return {target, ""};
  }
  return {std::nullopt,
          "no uplink named \"" + name + "\" (uplinks: " + (known.empty() ? "none" : known) + ")"};
}

std::optional<std::string> unsteerable_program(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  Elf64_Ehdr header{};
  file.read(reinterpret_cast<char*>(&header), sizeof header);
  const auto got = static_cast<size_t>(file.gcount());
  if (got < EI_NIDENT || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return std::nullopt;  // a script
  const ElfIdentity own = own_identity();
  if (header.e_ident[EI_CLASS] != own.elf_class)
    return std::string("it is a ") + (header.e_ident[EI_CLASS] == ELFCLASS32 ? "32" : "64") +
           "-bit program, and the library that steers its sockets is " +
           (own.elf_class == ELFCLASS32 ? "32" : "64") + "-bit";
  // Both ELF classes start with the same fields up to e_machine; the rest is read as 64-bit only when it is.
  if (got < sizeof header || header.e_machine != own.machine)
    return std::string("it is built for another machine than uplinkctl");
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum > 4096)
    return std::string("its ELF header cannot be read");
  bool dynamic = false;
  for (uint16_t i = 0; i < header.e_phnum && !dynamic; ++i) {
    Elf64_Phdr segment{};
    if (!read_at(file, header.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr), segment))
      return std::string("its ELF header cannot be read");
    dynamic = segment.p_type == PT_INTERP;
  }
  if (!dynamic)
    return std::string(
        "it is statically linked, so the dynamic loader never loads the library that steers its "
        "sockets (LD_PRELOAD)");
  if (has_go_sections(file, header))
    return std::string(
        "it is a Go program, whose sockets do not pass through the C library where the library "
        "that steers them (LD_PRELOAD) sits");
  return std::nullopt;
}

std::optional<std::string> find_program(const std::string& name, const char* search_path) {
  auto runnable = [](const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return runnable(name) ? std::optional(name) : std::nullopt;
  const std::string directories = search_path ? search_path : "/bin:/usr/bin";
  size_t start = 0;
  for (;;) {
    const size_t end = directories.find(':', start);
    std::string directory = directories.substr(start, end == std::string::npos ? end : end - start);
    if (directory.empty()) directory = ".";  // an empty entry is the current directory, as for execvp
    const std::string candidate = directory + "/" + name;
    if (runnable(candidate)) return candidate;
    if (end == std::string::npos) return std::nullopt;
    start = end + 1;
  }
}

std::string exec_shim_path() {
  char self[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    std::string beside(self, static_cast<size_t>(length));
    beside = beside.substr(0, beside.rfind('/') + 1) + kShimName;
    if (::access(beside.c_str(), R_OK) == 0) return beside;
  }
  return UPLINKD_EXEC_SHIM;
}

int run_exec(const std::string& socket_path, std::chrono::milliseconds timeout, const std::string& uplink,
             const std::vector<std::string>& command) {
  const auto refuse = [](const std::string& why, int status = 1) {
    std::cerr << "uplinkctl: " << why << "\n";
    return status;
  };
  const auto status = call_daemon(socket_path, {{"command", "status"}}, timeout);
  if (!status.value("ok", false))
    return refuse(status.value("error", std::string("uplinkd refused the request")));
  const ExecChoice choice = choose_exec_target(status, uplink);
  if (!choice.target) return refuse(choice.refusal);
  const ExecTarget& target = *choice.target;

  const std::string shim = exec_shim_path();
  if (::access(shim.c_str(), R_OK) != 0)
    return refuse("cannot steer a command by " + uplink + ": " + shim + ": " + std::strerror(errno));
  // SO_MARK needs CAP_NET_ADMIN: without it every socket of CMD would fail, so say it once, here.
  const int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    const int refused =
        ::setsockopt(probe, SOL_SOCKET, SO_MARK, &target.mark, sizeof target.mark) != 0 ? errno : 0;
    ::close(probe);
    if (refused == EPERM)
      return refuse("exec marks the command's sockets (SO_MARK), which needs CAP_NET_ADMIN: run it as root");
  }
  const auto program = find_program(command.front(), std::getenv("PATH"));
  if (!program) return refuse(command.front() + ": command not found", 127);
  if (auto why = unsteerable_program(*program))
    return refuse("cannot run " + *program + " by " + uplink + " alone: " + *why);

  const char* preloaded = std::getenv("LD_PRELOAD");
  set_environment("LD_PRELOAD", shim + (preloaded && *preloaded ? std::string(" ") + preloaded : ""));
  char mark[16];
  std::snprintf(mark, sizeof mark, "0x%08x", target.mark);
  set_environment("UPLINKD_EXEC_MARK", mark);
  set_environment("UPLINKD_EXEC_ADDRESS", target.address);
  set_environment("UPLINKD_EXEC_ADDRESS6", target.address6);
  set_environment("UPLINKD_EXEC_UPLINK", target.uplink);
  std::vector<char*> argv;
  for (const auto& argument : command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(program->c_str(), argv.data());
  return refuse("cannot run " + *program + ": " + std::strerror(errno), 127);
}

}  // namespace uplinkd
