// SPDX-License-Identifier: GPL-2.0-or-later
// Named control commands taking and returning JSON (the Kea CommandMgr pattern): adding a command is one
// add() call, and the request format, errors and `help` come for free.
//   request:  {"command": "status", ...arguments}
//   response: {"ok": true, ...result}  or  {"ok": false, "error": "request: ... (what to do)"}
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace uplinkd {

class CommandRegistry {
 public:
  // A command throws InputError for a bad request; anything else it throws is reported as an internal error.
  using Command = std::function<nlohmann::json(const nlohmann::json& request)>;

  void add(std::string name, std::string help, Command command);
  nlohmann::json dispatch(const nlohmann::json& request) const;

 private:
  struct Entry {
    std::string help;
    Command command;
  };
  std::map<std::string, Entry> commands_;
};

}  // namespace uplinkd
