// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/command_registry.hpp"

#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "daemon/request.hpp"

namespace uplinkd {

void CommandRegistry::add(std::string name, std::string help, Command command) {
  commands_[std::move(name)] = Entry{std::move(help), std::move(command)};
}

nlohmann::json CommandRegistry::dispatch(const nlohmann::json& request) const {
  auto name = request.find("command");
  if (name == request.end() || !name->is_string())
    return {{"ok", false},
            {"error", "request: \"command\" is missing (send {\"command\": \"help\"} for the list)"}};
  const std::string& command = name->get_ref<const std::string&>();
  if (command == "help") {
    nlohmann::json list = nlohmann::json::object();
    for (const auto& [known, entry] : commands_) list[known] = entry.help;
    return {{"ok", true}, {"commands", list}};
  }
  auto entry = commands_.find(command);
  if (entry == commands_.end())
    return {{"ok", false},
            {"error",
             "request: unknown command " + quoted_text_for_error(command) + " (send \"help\" for the list)"}};
  try {
    nlohmann::json response = entry->second.command(request);
    response["ok"] = true;
    return response;
  } catch (const InputError& error) {
    return {{"ok", false}, {"error", error.what()}};
  } catch (const std::exception& error) {
    spdlog::error("command {} failed: {}", command, error.what());
    return {{"ok", false}, {"error", std::string("internal error: ") + error.what()}};
  }
}

}  // namespace uplinkd
