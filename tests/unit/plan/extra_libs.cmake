# SPDX-License-Identifier: GPL-2.0-or-later
# planner_test reads plans through plan_commands (src/apply/), as `uplinkctl plan` prints them.
target_link_libraries(unit_plan PRIVATE uplinkd_apply)
