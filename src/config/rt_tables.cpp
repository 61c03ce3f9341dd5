#include "config/rt_tables.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

namespace uplinkd {
namespace {

std::string_view trim_right(std::string_view text) {
  size_t end = text.find_last_not_of(" \t\r");
  return end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
}

bool is_ours(std::string_view line) {
  auto content = trim_right(line);
  return content.size() > kRtTablesMarker.size() && content.ends_with(kRtTablesMarker) &&
         (content[content.size() - kRtTablesMarker.size() - 1] == ' ' ||
          content[content.size() - kRtTablesMarker.size() - 1] == '\t');
}

// iproute2 reads each line as "0x%x %s" or "%d %s" after skipping blanks; comments start with '#'.
bool parse_entry(std::string_view line, uint32_t& id, std::string& name) {
  std::string copy(line);
  char word[256];
  unsigned value = 0;
  const char* text = copy.c_str();
  while (*text == ' ' || *text == '\t') ++text;
  if (*text == '#') return false;
  if (std::sscanf(text, "0x%x %255s", &value, word) != 2 && std::sscanf(text, "%u %255s", &value, word) != 2)
    return false;
  id = value;
  name = word;
  return true;
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

std::string read_existing(const std::string& path, bool& exists) {
  std::ifstream file(path, std::ios::binary);
  exists = static_cast<bool>(file);
  if (!exists) {
    if (errno == ENOENT) return {};
    fail("cannot read", path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail("cannot write", path);
    done += static_cast<size_t>(written);
  }
}

}  // namespace

TableNamesUpdate merge_table_names(std::string_view existing, const TableNames& names) {
  TableNamesUpdate update;
  std::multimap<std::string, uint32_t> foreign;  // name -> id, from lines that are not ours
  size_t start = 0;
  while (start < existing.size()) {
    size_t end = existing.find('\n', start);
    bool has_newline = end != std::string_view::npos;
    if (!has_newline) end = existing.size();
    auto line = existing.substr(start, end - start);
    start = end + 1;
    if (is_ours(line)) continue;
    update.text.append(line);
    // A last line without a newline gets one, so that ours start on a line of their own.
    update.text += '\n';
    uint32_t id = 0;
    std::string name;
    if (parse_entry(line, id, name)) foreign.emplace(name, id);
  }
  for (const auto& [id, name] : names) {
    auto [first, last] = foreign.equal_range(name);
    bool same = false;
    std::string other;
    for (auto it = first; it != last; ++it) {
      if (it->second == id)
        same = true;
      else
        other = std::to_string(it->second);
    }
    if (same) continue;  // already there, written by someone else: leave it to them
    if (!other.empty()) {
      update.conflicts.push_back(name + " is table " + other);
      continue;
    }
    update.text += std::to_string(id) + " " + name + " " + std::string(kRtTablesMarker) + "\n";
  }
  return update;
}

TableNamesResult write_table_names(const std::string& path, const TableNames& names) {
  namespace fs = std::filesystem;
  bool exists = false;
  std::string existing = read_existing(path, exists);
  auto update = merge_table_names(existing, names);
  TableNamesResult result;
  for (auto& conflict : update.conflicts) result.conflicts.push_back(conflict + " in " + path);
  if ((exists && update.text == existing) || (!exists && update.text.empty())) return result;

  fs::path target(path);
  fs::path directory = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) throw std::system_error(error, "cannot create the directory of " + path);

  // A leading dot and no ".conf" suffix keep iproute2 from reading the temp file from rt_tables.d.
  std::string temp = (directory / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("cannot create a temporary file for", path);
  try {
    struct stat old {};
    mode_t mode = exists && ::stat(path.c_str(), &old) == 0 ? old.st_mode & 07777 : 0644;
    if (::fchmod(fd, mode) != 0) fail("cannot set the mode of", temp);
    write_all(fd, update.text, temp);
    if (::fsync(fd) != 0) fail("cannot sync", temp);
    if (::close(fd) != 0) {
      fd = -1;
      fail("cannot close", temp);
    }
    fd = -1;
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot replace", path);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  // The rename is durable only once the directory is on disk too.
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  result.rewritten = true;
  return result;
}

}  // namespace uplinkd
