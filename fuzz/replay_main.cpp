// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a fuzz target over saved inputs, without libFuzzer, so that any compiler (and the ASan+UBSan build of
// the unit tests) replays the corpus. Arguments are files or directories (read recursively, in name order).
// Fails when an input crashes the target, as libFuzzer would, and when no input was found at all, so that a
// missing corpus does not pass as an empty one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> inputs(const std::filesystem::path& argument) {
  std::vector<std::filesystem::path> found;
  if (std::filesystem::is_directory(argument)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argument))
      if (entry.is_regular_file()) found.push_back(entry.path());
    std::sort(found.begin(), found.end());
  } else if (std::filesystem::is_regular_file(argument)) {
    found.push_back(argument);
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& path : inputs(argv[i])) {
      std::ifstream file(path, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return 1;
      }
      const std::vector<char> bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
      // An allocation of exactly the input's size, as libFuzzer makes, so that a read past it is caught.
      auto data = std::make_unique<uint8_t[]>(bytes.size());
      if (!bytes.empty()) std::memcpy(data.get(), bytes.data(), bytes.size());
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(data.get(), bytes.size());
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no input found in the arguments\n");
    return 1;
  }
  std::printf("replay: %zu inputs, no crash\n", replayed);
  return 0;
}
