// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/rt_tables.hpp"

#include <map>

#include "common/atomic_file.hpp"
#include "common/regular_file.hpp"

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

// iproute2's files are a few lines; /etc/iproute2/rt_tables with every table named would be under this.
constexpr size_t kMaxRtTablesBytes = 1024 * 1024;

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
  const auto read = read_regular_file(path, kMaxRtTablesBytes);
  const bool exists = read.has_value();
  const std::string existing = read.value_or("");
  auto update = merge_table_names(existing, names);
  TableNamesResult result;
  for (auto& conflict : update.conflicts) result.conflicts.push_back(conflict + " in " + path);
  if ((exists && update.text == existing) || (!exists && update.text.empty())) return result;

  // Permissions as the old file's, or as Debian ships /etc/iproute2/rt_tables.
  write_file_atomically(path, update.text, 0644);
  result.rewritten = true;
  return result;
}

}  // namespace uplinkd
